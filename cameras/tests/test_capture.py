"""Capturing a camera through the service: health, back-off, offline events, schedules, lock."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from cameras import frame_store
from cameras.models import Camera
from cameras.services import camera_capture
from cameras.tests.factories import CameraFactory
from cameras.tests.servers import clip_jpegs, http_camera, refusing_url
from events.models import Event


@pytest.fixture(scope="module")
def jpegs(media_dir):
    return clip_jpegs(media_dir / "street.mp4", count=5)


@pytest.fixture
def server(jpegs, tmp_path):
    with http_camera(jpegs, tmp_path) as base:
        yield base


@pytest.mark.django_db
def test_a_healthy_camera_goes_online_with_its_frame_stored(server):
    camera = CameraFactory(source_url=f"{server}/snapshot.jpg")
    frame = camera_capture(camera_id=camera.pk)
    camera.refresh_from_db()
    assert frame is not None
    assert camera.status == Camera.Status.ONLINE
    assert (camera.frame_width, camera.frame_height) == (640, 360)
    assert camera.last_latency_ms is not None and camera.last_error == ""
    assert default_storage.exists(frame_store.latest_frame_path(camera.pk))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "reason"),
    [("refused", "Connection refused by"), ("/hang", "No answer from"), ("/garbage", "not a usable image")],
)
def test_a_failing_camera_goes_offline_once_and_recovers(settings, server, path, reason):
    settings.CAPTURE_TIMEOUT_SECONDS = 1
    settings.CAMERA_OFFLINE_AFTER_FAILURES = 3
    url = refusing_url() if path == "refused" else f"{server}{path}"
    camera = CameraFactory(source_url=url)
    statuses = []
    for _ in range(4):
        assert camera_capture(camera_id=camera.pk, force=True) is None
        camera.refresh_from_db()
        statuses.append(camera.status)
    assert statuses == ["degraded", "degraded", "offline", "offline"]
    assert reason in camera.last_error
    assert camera.consecutive_failures == 4
    offline_events = Event.objects.filter(camera=camera, label="camera_offline")
    assert offline_events.count() == 1 and offline_events.get().is_open

    Camera.objects.filter(pk=camera.pk).update(source_url=f"{server}/snapshot.jpg")
    assert camera_capture(camera_id=camera.pk, force=True) is not None
    camera.refresh_from_db()
    assert camera.status == "online" and camera.consecutive_failures == 0
    assert offline_events.get().status == Event.Status.RESOLVED


@pytest.mark.django_db
def test_failures_are_retried_every_tick_until_offline_then_back_off_up_to_a_cap(settings):
    settings.CAPTURE_TIMEOUT_SECONDS = 1
    settings.CAMERA_OFFLINE_AFTER_FAILURES = 2
    camera = CameraFactory(source_url=refusing_url(), capture_interval=10)
    waits = []
    for _ in range(7):
        before = timezone.now()
        camera_capture(camera_id=camera.pk, force=True)
        camera.refresh_from_db()
        waits.append(round((camera.next_capture_at - before).total_seconds()))
    # Degraded: due again at the next tick (half an interval keeps a duplicate task out); offline: 10 s doubling.
    assert waits == [5, 10, 20, 40, 80, 160, 300]


@pytest.mark.django_db
def test_a_camera_not_due_or_locked_is_left_alone(server):
    camera = CameraFactory(source_url=f"{server}/snapshot.jpg")
    Camera.objects.filter(pk=camera.pk).update(next_capture_at=timezone.now() + timedelta(seconds=30))
    assert camera_capture(camera_id=camera.pk) is None
    Camera.objects.filter(pk=camera.pk).update(
        next_capture_at=None, capture_lock_until=timezone.now() + timedelta(seconds=30)
    )
    assert camera_capture(camera_id=camera.pk, force=True) is None
    camera.refresh_from_db()
    assert camera.last_frame_at is None
