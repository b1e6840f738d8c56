"""A camera that looks online but sends the same picture (a stuck encoder or snapshot server, a still held in
front of it) is found out: degraded, a "picture frozen" event, its frames kept from detection; it comes back
with its first moving frame. Real JPEGs from the shared clips."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cameras.frames import Frame, decode_image
from cameras.handoff import WAITING, WaitingFrame
from cameras.models import Camera
from cameras.services import camera_frame_accept
from cameras.tests.factories import CameraFactory
from cameras.tests.servers import clip_jpegs
from core.redis import redis_client
from events.models import Event

pytestmark = pytest.mark.django_db


def _at(jpeg: bytes, seconds: float) -> Frame:
    frame = decode_image(jpeg)
    frame.captured_at = timezone.now() - timedelta(hours=1) + timedelta(seconds=seconds)
    return frame


def _accept(camera: Camera, frame: Frame, capture) -> tuple[Camera, int]:
    """Accept the frame as a capture does; the camera as saved and how many of its frames went to detection."""
    redis_client().delete(WAITING)
    with capture(execute=True):
        camera_frame_accept(camera=camera, frame=frame, latency_ms=5)
    camera.refresh_from_db()
    waiting = [WaitingFrame.decode(e) for e in redis_client().zrange(WAITING, 0, -1)]
    return camera, sum(w.camera_id == camera.pk for w in waiting)


def _frozen_events(camera: Camera):
    return Event.objects.filter(camera=camera, label="camera_frozen")


def test_the_same_picture_for_minutes_freezes_the_camera_and_a_moving_one_brings_it_back(
    media_dir, settings, django_capture_on_commit_callbacks
):
    settings.CAMERA_FROZEN_SECONDS = 120
    camera = CameraFactory(detect=True)
    still, moving = clip_jpegs(media_dir / "lobby.mp4", count=2)

    for seconds in (0, 60, 110):  # the same bytes, but not for long yet
        camera, sent = _accept(camera, _at(still, seconds), django_capture_on_commit_callbacks)
        assert camera.status == Camera.Status.ONLINE and sent == 1
    camera, sent = _accept(camera, _at(still, 130), django_capture_on_commit_callbacks)
    assert camera.status == Camera.Status.DEGRADED and sent == 0  # a picture that does not move is no news
    assert "has not changed for 130 s" in camera.last_error
    [event] = _frozen_events(camera)
    assert event.status == Event.Status.NEW and event.kind == Event.Kind.SYSTEM and event.severity == "high"

    camera, _ = _accept(camera, _at(still, 200), django_capture_on_commit_callbacks)
    assert camera.status == Camera.Status.DEGRADED and _frozen_events(camera).count() == 1  # one event

    camera, sent = _accept(camera, _at(moving, 210), django_capture_on_commit_callbacks)
    assert camera.status == Camera.Status.ONLINE and camera.last_error == "" and sent == 1
    event.refresh_from_db()
    assert event.status == Event.Status.RESOLVED  # closed by Vigil, with the reason in its history


def test_a_live_picture_never_freezes_however_long_it_runs(media_dir, settings, django_capture_on_commit_callbacks):
    """Consecutive frames of a real scene differ in their bytes (sensor noise, people): no false alarm."""
    settings.CAMERA_FROZEN_SECONDS = 30
    camera = CameraFactory(detect=True)
    for n, jpeg in enumerate(clip_jpegs(media_dir / "office.mp4", count=12)):
        camera, sent = _accept(camera, _at(jpeg, n * 60), django_capture_on_commit_callbacks)
        assert camera.status == Camera.Status.ONLINE and sent == 1
    assert not _frozen_events(camera).exists()


def test_the_check_can_be_turned_off(media_dir, settings, django_capture_on_commit_callbacks):
    settings.CAMERA_FROZEN_SECONDS = 0
    camera = CameraFactory(detect=True)
    [still] = clip_jpegs(media_dir / "lobby.mp4", count=1)
    for seconds in (0, 600, 6000):
        camera, sent = _accept(camera, _at(still, seconds), django_capture_on_commit_callbacks)
        assert camera.status == Camera.Status.ONLINE and sent == 1
