"""Snapshot cameras whose recording is on keep their frames (stills) as they came, for their events' timelapses;
a disk that refuses a still never costs the frame its detection."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import pytest
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse

from cameras import handoff
from cameras.frames import decode_image
from cameras.models import Camera, Still
from cameras.services import camera_capture, camera_frame_accept, stills_folder
from cameras.tests.factories import CameraFactory
from cameras.tests.servers import clip_jpegs, http_camera
from core.redis import redis_client

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def jpegs(media_dir):
    return clip_jpegs(media_dir / "street.mp4", count=3)


@pytest.fixture
def server(jpegs, tmp_path):
    with http_camera(jpegs, tmp_path) as base:
        yield base


def _waiting_cameras() -> list[int]:
    return [handoff.WaitingFrame.decode(m).camera_id for m in redis_client().zrange(handoff.WAITING, 0, -1)]


def test_recording_may_be_on_for_snapshot_and_pushed_cameras():
    for url, mode in [("http://192.0.2.10/snapshot.jpg", "interval"), ("http://192.0.2.10/edge", "push")]:
        camera = CameraFactory.build(source_url=url, capture_mode=mode, recording="events")
        camera.full_clean()  # no longer refused: it keeps its frames instead of video
        assert camera.keeps_stills and not camera.delivers_video
    video = CameraFactory.build(source_url="rtsp://192.0.2.10/live", recording="events")
    assert not video.keeps_stills  # the recorder copies its video instead


def test_an_around_events_snapshot_camera_keeps_each_captured_frame_as_it_came(
    server, jpegs, django_capture_on_commit_callbacks
):
    camera = CameraFactory(source_url=f"{server}/snapshot.jpg", recording="events", detect=False)
    with django_capture_on_commit_callbacks(execute=True):
        frame = camera_capture(camera_id=camera.pk)

    [still] = Still.objects.filter(camera=camera)
    assert still.captured_at == frame.captured_at
    assert still.file.name.startswith(f"stills/camera-{camera.pk}/")
    with default_storage.open(still.file.name, "rb") as stored:
        kept = stored.read()
    assert kept in jpegs and kept == frame.jpeg  # the camera's own bytes: never re-encoded
    assert still.size == len(kept)


def test_a_pushed_png_is_encoded_once_and_the_detection_hand_off_shares_it(
    media_dir, django_capture_on_commit_callbacks
):
    camera = CameraFactory(source_url="http://192.0.2.10/edge", capture_mode="push", recording="continuous")
    image = cv2.imdecode(np.frombuffer(clip_jpegs(media_dir / "lobby.mp4", count=1)[0], np.uint8), cv2.IMREAD_COLOR)
    frame = decode_image(cv2.imencode(".png", image)[1].tobytes())
    assert frame._jpeg is None
    with django_capture_on_commit_callbacks(execute=True):
        camera_frame_accept(camera=camera, frame=frame, latency_ms=None)

    [still] = Still.objects.filter(camera=camera)
    [entry] = redis_client().zrange(handoff.WAITING, 0, -1)
    waiting = redis_client().get(handoff.WaitingFrame.decode(entry).key)
    with default_storage.open(still.file.name, "rb") as stored:
        assert stored.read() == waiting == frame.jpeg  # one encoding, for both


@pytest.mark.parametrize(
    ("url", "recording"),
    [("http://192.0.2.10/snapshot.jpg", "off"), ("rtsp://192.0.2.10/live", "events")],
    ids=["snapshot camera, recording off", "video camera: the recorder's"],
)
def test_no_still_is_kept_when_recording_is_off_or_the_camera_delivers_video(
    url, recording, media_dir, django_capture_on_commit_callbacks
):
    camera = CameraFactory(source_url=url, recording=recording, detect=False)
    frame = decode_image(clip_jpegs(media_dir / "lobby.mp4", count=1)[0])
    with django_capture_on_commit_callbacks(execute=True):
        camera_frame_accept(camera=camera, frame=frame, latency_ms=None)
    assert not Still.objects.filter(camera=camera).exists()
    assert not stills_folder(camera.pk).exists()


def test_a_disk_that_refuses_the_still_loses_the_still_not_the_frame(
    server, django_capture_on_commit_callbacks, caplog
):
    camera = CameraFactory(source_url=f"{server}/snapshot.jpg", recording="events", detect=True)
    # A file where the camera's folder should be: every write under it fails (root ignores a read-only mode).
    folder = stills_folder(camera.pk)
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_bytes(b"")
    with caplog.at_level(logging.WARNING, logger="cameras.services"), django_capture_on_commit_callbacks(execute=True):
        frame = camera_capture(camera_id=camera.pk)

    assert frame is not None
    camera.refresh_from_db()
    assert camera.status == Camera.Status.ONLINE and camera.last_frame_at == frame.captured_at
    assert _waiting_cameras() == [camera.pk]  # the frame went on to detection
    assert not Still.objects.filter(camera=camera).exists()  # and no row points at a file that is not there
    assert f"frame of camera {camera.pk} not kept as a still" in caplog.text


def test_a_rolled_back_capture_keeps_no_still(media_dir, django_capture_on_commit_callbacks):
    camera = CameraFactory(source_url="http://192.0.2.10/snapshot.jpg", recording="continuous", detect=False)
    frame = decode_image(clip_jpegs(media_dir / "lobby.mp4", count=1)[0])
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        camera_frame_accept(camera=camera, frame=frame, latency_ms=None)
        raise RuntimeError("the caller's transaction failed")
    assert not Still.objects.filter(camera=camera).exists()
    assert not stills_folder(camera.pk).exists()


def test_a_deleted_cameras_stills_go_with_it(media_dir, django_capture_on_commit_callbacks):
    camera = CameraFactory(source_url="http://192.0.2.10/snapshot.jpg", recording="continuous", detect=False)
    with django_capture_on_commit_callbacks(execute=True):
        for jpeg in clip_jpegs(media_dir / "lobby.mp4", count=2):
            camera_frame_accept(camera=camera, frame=decode_image(jpeg), latency_ms=None)
    files = [Path(default_storage.path(still.file.name)) for still in Still.objects.filter(camera=camera)]
    assert len(files) == 2 and all(path.is_file() for path in files)

    with django_capture_on_commit_callbacks(execute=True):
        camera.delete()
    assert not Still.objects.exists() and not any(path.exists() for path in files)
    assert not stills_folder(camera.pk).exists()


@pytest.mark.parametrize("role", ["Viewers", "Operators", "Administrators"])
def test_every_role_sees_the_kept_frames_read_only_and_none_deletes_one(
    client, make_user, media_dir, role, django_capture_on_commit_callbacks
):
    camera = CameraFactory(source_url="http://192.0.2.10/snapshot.jpg", name="Gate", recording="continuous")
    with django_capture_on_commit_callbacks(execute=True):
        for jpeg in clip_jpegs(media_dir / "lobby.mp4", count=2):
            camera_frame_accept(camera=camera, frame=decode_image(jpeg), latency_ms=None)
    older, newer = Still.objects.order_by("captured_at")
    client.force_login(make_user("someone", role, staff=True))

    listing = client.get(reverse("admin:cameras_still_changelist"))
    assert listing.status_code == 200
    assert [row.pk for row in listing.context["cl"].result_list] == [newer.pk, older.pk]  # newest first
    assert "action-checkbox" not in listing.content.decode()  # no bulk delete
    assert client.get(reverse("admin:cameras_still_add")).status_code == 403
    change = reverse("admin:cameras_still_change", args=[older.pk])
    page = client.get(change)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.post(reverse("admin:cameras_still_delete", args=[older.pk]), {"post": "yes"}).status_code == 403
    assert Still.objects.count() == 2 and default_storage.exists(older.file.name)
