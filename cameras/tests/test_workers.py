"""Capture through real Celery workers and the test run's real Redis."""

import time

import pytest

from cameras.models import Camera
from cameras.tasks import capture_camera
from cameras.tests.factories import CameraFactory
from cameras.tests.servers import clip_jpegs, http_camera, refusing_url
from vigilsite.testing import wait_until


@pytest.fixture(scope="module")
def jpegs(media_dir):
    return clip_jpegs(media_dir / "street.mp4", count=5)


@pytest.mark.slow
def test_bad_cameras_go_offline_while_a_healthy_one_keeps_capturing(celery_workers, jpegs, tmp_path):
    celery_workers("capture-a", concurrency=4, capture_timeout=2)
    with http_camera(jpegs, tmp_path) as base:
        healthy = CameraFactory(source_url=f"{base}/snapshot.jpg", name="Healthy")
        bad = {
            "refusing": CameraFactory(source_url=refusing_url(), name="Refusing"),
            "hanging": CameraFactory(source_url=f"{base}/hang", name="Hanging"),
            "garbage": CameraFactory(source_url=f"{base}/garbage", name="Garbage"),
        }
        healthy_frames = []
        for _ in range(3):
            for camera in [healthy, *bad.values()]:
                capture_camera.delay(camera.pk, force=True)
            previous = Camera.objects.get(pk=healthy.pk).last_frame_at
            wait_until(  # generous: a loaded CI host (both database passes at once) starts the worker slowly
                lambda previous=previous: Camera.objects.get(pk=healthy.pk).last_frame_at != previous,
                30,
                "the healthy camera stopped capturing",
            )
            healthy_frames.append(Camera.objects.get(pk=healthy.pk).last_frame_at)
            # Released within the 2 s capture timeout (plus a loaded host's slack), not after the hang's 60 s:
            # each round is bounded by the timeout, not by the hanging camera.
            wait_until(
                lambda: all(Camera.objects.get(pk=c.pk).capture_lock_until is None for c in bad.values()),
                20,
                "a bad camera held a worker past its timeout",
            )

    assert len(set(healthy_frames)) == 3
    assert Camera.objects.get(pk=healthy.pk).status == "online"
    reasons = {"refusing": "Connection refused by", "hanging": "No answer from", "garbage": "not a usable image"}
    for kind, camera in bad.items():
        camera.refresh_from_db()
        assert camera.status == "offline", kind
        assert reasons[kind] in camera.last_error


@pytest.mark.slow
def test_two_workers_capture_a_camera_once(celery_workers, jpegs, tmp_path):
    celery_workers("capture-a", concurrency=2)
    celery_workers("capture-b", concurrency=2)
    with http_camera(jpegs, tmp_path) as base:
        camera = CameraFactory(source_url=f"{base}/snapshot.jpg", capture_interval=60)
        for _ in range(6):
            capture_camera.delay(camera.pk)  # the same scheduled tick delivered six times
        wait_until(lambda: Camera.objects.get(pk=camera.pk).last_frame_at is not None, 15, "no capture happened")
        time.sleep(2)  # let every duplicate task run
        seen = [path for path in _server_requests(base) if path == "/snapshot.jpg"]
    assert len(seen) == 1


def _server_requests(base: str) -> list[str]:
    import requests

    return requests.get(f"{base}/__requests__", timeout=5).json()


@pytest.mark.slow
def test_capture_now_in_the_admin_reaches_a_worker(celery_workers, admin_client, settings):
    from django.urls import reverse

    celery_workers("capture-a", concurrency=1)
    camera = CameraFactory(source_url=(settings.ULTRALYTICS_ASSETS / "zidane.jpg").as_uri(), name="Plaza")
    response = admin_client.post(
        reverse("admin:cameras_camera_changelist"), {"action": "capture_now", "_selected_action": [camera.pk]}
    )
    assert response.status_code == 302
    wait_until(lambda: Camera.objects.get(pk=camera.pk).status == "online", 15, "capture now did not capture")
