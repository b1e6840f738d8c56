"""The camera admin: status, thumbnails and its actions, driven through the test client."""

import re

import pytest
from django.urls import reverse

from cameras.models import Camera
from cameras.services import camera_capture, camera_push_token_valid
from cameras.tests.factories import CameraFactory
from cameras.tests.servers import refusing_url


@pytest.fixture
def photo_camera(db, settings) -> Camera:
    return CameraFactory(source_url=(settings.ULTRALYTICS_ASSETS / "bus.jpg").as_uri(), name="Bus stop")


def _action(admin_client, action: str, cameras):
    return admin_client.post(
        reverse("admin:cameras_camera_changelist"),
        {"action": action, "_selected_action": [c.pk for c in cameras]},
        follow=True,
    )


def test_test_connection_reports_success_and_failure(admin_client, photo_camera, settings):
    settings.CAPTURE_TIMEOUT_SECONDS = 2
    dead = CameraFactory(source_url=refusing_url(), name="Dead")
    response = _action(admin_client, "test_connection", [photo_camera, dead])
    texts = [str(m) for m in response.context["messages"]]
    assert any(t.startswith("Bus stop: 810x1080 frame in") for t in texts)
    assert any(t.startswith("Dead: Connection refused by") for t in texts)


def test_the_list_shows_status_and_the_latest_frame(admin_client, photo_camera):
    camera_capture(camera_id=photo_camera.pk)
    page = admin_client.get(reverse("admin:cameras_camera_changelist")).content.decode()
    assert "Online" in page
    thumbnail = reverse("camera-latest-frame", args=[photo_camera.slug])
    assert thumbnail in page
    image = admin_client.get(thumbnail)
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"


def test_the_latest_frame_needs_a_login(client, photo_camera):
    response = client.get(reverse("camera-latest-frame", args=[photo_camera.slug]))
    assert response.status_code == 302


def test_a_new_push_token_is_shown_once_on_the_page_never_in_the_messages_cookie(admin_client, photo_camera):
    response = admin_client.post(
        reverse("admin:cameras_camera_changelist"),
        {"action": "rotate_push_token", "_selected_action": [photo_camera.pk]},
    )

    assert response.status_code == 200
    token = re.search(r'class="push-token"[^>]*>([\w-]{40,})<', response.text).group(1)
    photo_camera.refresh_from_db()
    assert camera_push_token_valid(camera=photo_camera, token=token)
    assert photo_camera.push_token_hash not in response.text
    # Messages travel in a signed, readable cookie: the token must be in none of them.
    assert all(token not in cookie.value for cookie in response.cookies.values())
    assert all(token not in cookie.value for cookie in admin_client.cookies.values())
    later = admin_client.get(reverse("admin:cameras_camera_changelist"))
    assert token not in later.text and all(token not in str(m) for m in later.context["messages"])


def test_the_change_page_has_a_map_from_local_files(admin_client, photo_camera):
    page = admin_client.get(reverse("admin:cameras_camera_change", args=[photo_camera.pk])).content.decode()
    assert 'id="camera-map"' in page
    assert "/static/leaflet/leaflet.js" in page
    assert "unpkg" not in page and "cdnjs" not in page


@pytest.fixture
def broker_away():
    """The Celery app pointed at a port that refuses connections; restored afterwards."""
    from kombu import pools

    from vigilsite.celery import app
    from vigilsite.testing import free_port

    def reset() -> None:
        pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    saved = app.conf.broker_url
    app.conf.broker_url = f"redis://127.0.0.1:{free_port()}/0"
    reset()
    yield
    app.conf.broker_url = saved
    reset()


def test_capture_now_says_so_when_the_task_queue_is_away(admin_client, photo_camera, broker_away):
    response = _action(admin_client, "capture_now", [photo_camera])
    assert response.status_code == 200
    texts = [str(m) for m in response.context["messages"]]
    assert texts == ["Capture could not be queued for 1 camera(s): the task queue is unavailable; try again shortly."]
