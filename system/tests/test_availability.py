"""A storm of anonymous probes and edge pushes against a real daphne and a real worker leaves
every endpoint answering: health is read from heartbeats, and no broker or Redis call made by the
web process can wait forever."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from cameras.models import Camera
from cameras.services import camera_push_token_rotate
from cameras.tests.factories import CameraFactory
from conftest import PASSWORD

PROBES = 200
PUSHERS = 50
PUSH_CAMERAS = 10
# Generous for a loaded CI machine; a jammed server never answers at all.
TIMEOUT = 10


def _log_in(base: str, user) -> requests.Session:
    session = requests.Session()
    session.get(f"{base}/admin/login/", timeout=TIMEOUT)
    response = session.post(
        f"{base}/admin/login/?next=/admin/",
        data={"username": user.username, "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{base}/admin/login/"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 200 and "Log out" in response.text, response.text[:500]
    return session


def _push(base: str, camera: Camera, token: str, jpeg: bytes, timeout: float) -> requests.Response:
    return requests.post(
        f"{base}/api/cameras/{camera.pk}/frames/",
        data=jpeg,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "image/jpeg"},
        timeout=timeout,
    )


@pytest.mark.slow
def test_a_probe_and_push_storm_leaves_every_endpoint_answering(
    asgi_server, celery_workers, django_user_model, settings
):
    jpeg = (settings.ULTRALYTICS_ASSETS / "bus.jpg").read_bytes()
    cameras = [
        CameraFactory(source_url="device://0", capture_mode=Camera.CaptureMode.PUSH, capture_interval=1)
        for _ in range(PUSH_CAMERAS + 1)
    ]
    tokens = {camera.pk: camera_push_token_rotate(camera=camera) for camera in cameras}
    spare = cameras.pop()  # pushed to only after the storm, so its rate limit is fresh
    superuser = django_user_model.objects.create_superuser("root", password=PASSWORD)
    celery_workers("storm", queue="capture,default", concurrency=2)
    base = asgi_server.url
    admin = _log_in(base, superuser)

    answers: list[int] = []
    lock = threading.Lock()

    def probe(_: int) -> None:
        try:
            status = requests.get(f"{base}/healthz", timeout=30).status_code
        except requests.RequestException:
            status = 0
        with lock:
            answers.append(status)

    def pusher(index: int) -> None:
        camera = cameras[index % len(cameras)]
        for _ in range(3):
            try:
                status = _push(base, camera, tokens[camera.pk], jpeg, 30).status_code
            except requests.RequestException:
                status = 0
            with lock:
                answers.append(status)

    with ThreadPoolExecutor(PROBES + PUSHERS) as pool:
        list(pool.map(probe, range(PROBES)))  # all probes in flight at once
        list(pool.map(pusher, range(PUSHERS)))
        list(pool.map(probe, range(PROBES)))  # and probes again while pushes are fresh
    assert not [status for status in answers if status >= 500 and status != 503], sorted(set(answers))

    # Afterwards every endpoint answers.
    health = requests.get(f"{base}/healthz", timeout=TIMEOUT)
    assert health.status_code in (200, 503) and health.json()["database"] == {"ok": True}
    staff_health = admin.get(f"{base}/healthz", timeout=TIMEOUT).json()
    assert any(name.startswith("storm@") for name in staff_health["workers"]["capture"]["workers"]), staff_health
    assert _push(base, spare, tokens[spare.pk], jpeg, TIMEOUT).status_code == 202
    assert requests.get(f"{base}/accounts/login/", timeout=TIMEOUT).status_code == 200
    assert admin.get(f"{base}/api/events/", timeout=TIMEOUT).status_code == 200
    captured = admin.post(
        f"{base}/admin/cameras/camera/",
        data={"action": "capture_now", "_selected_action": [spare.pk],
              "csrfmiddlewaretoken": admin.cookies["csrftoken"]},
        headers={"Referer": f"{base}/admin/cameras/camera/"},
        timeout=TIMEOUT,
    )  # fmt: skip
    assert captured.status_code == 200 and "Capture requested for 1 camera(s)" in captured.text
