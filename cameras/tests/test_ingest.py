"""Edge devices push frames: token, garbage, size and rate are each refused clearly."""

import pytest
import redis

from cameras.models import Camera
from cameras.services import camera_push_token_rotate
from cameras.tests.factories import CameraFactory


@pytest.fixture
def push_camera(db, settings, redis_url):
    camera = CameraFactory(source_url="device://0", capture_mode=Camera.CaptureMode.PUSH, capture_interval=5)
    token = camera_push_token_rotate(camera=camera)
    yield camera, token
    redis.Redis.from_url(redis_url).delete(f"vigil:push:{camera.pk}")


@pytest.fixture
def jpeg(settings) -> bytes:
    return (settings.ULTRALYTICS_ASSETS / "bus.jpg").read_bytes()


def _push(client, camera, body: bytes, token: str | None, content_type="image/jpeg"):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post(f"/api/cameras/{camera.pk}/frames/", data=body, content_type=content_type, **headers)


def test_an_accepted_frame_enters_the_pipeline(client, push_camera, jpeg):
    camera, token = push_camera
    response = _push(client, camera, jpeg, token)
    assert response.status_code == 202, response.content
    assert response.json() == {"accepted": True, "width": 810, "height": 1080}
    camera.refresh_from_db()
    assert camera.status == Camera.Status.ONLINE and camera.last_frame_at is not None


def test_a_frame_faster_than_the_interval_gets_429(client, push_camera, jpeg):
    camera, token = push_camera
    assert _push(client, camera, jpeg, token).status_code == 202
    second = _push(client, camera, jpeg, token)
    assert second.status_code == 429
    assert 1 <= int(second["Retry-After"]) <= 5
    assert "one frame every 5 s" in second.json()["detail"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"this is not an image at all", "not a JPEG or PNG image"),
        (b"", "the body is empty"),
    ],
)
def test_garbage_gets_400_with_a_reason(client, push_camera, body, reason):
    camera, token = push_camera
    response = _push(client, camera, body, token)
    assert response.status_code == 400
    assert reason in response.json()["detail"]


def test_a_truncated_jpeg_gets_400(client, push_camera, jpeg):
    camera, token = push_camera
    response = _push(client, camera, jpeg[: len(jpeg) // 2], token)
    assert response.status_code == 400
    assert "truncated" in response.json()["detail"]


def test_a_decompression_bomb_is_refused(client, push_camera):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (20000, 20000)).save(buffer, format="PNG")  # a few KB declaring 400 Mpx
    camera, token = push_camera
    response = _push(client, camera, buffer.getvalue(), token, content_type="image/png")
    assert response.status_code == 400
    assert "than allowed" in response.json()["detail"]


def test_an_oversized_body_gets_413(client, settings, push_camera, jpeg):
    settings.FRAME_UPLOAD_MAX_BYTES = 4096
    camera, token = push_camera
    response = _push(client, camera, jpeg, token)
    assert response.status_code == 413
    assert "larger than 4096 bytes" in response.json()["detail"]


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_a_missing_or_wrong_token_gets_401(client, push_camera, jpeg, token):
    camera, _ = push_camera
    response = _push(client, camera, jpeg, token)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")


def test_a_rotated_token_stops_working(client, push_camera, jpeg):
    camera, old = push_camera
    camera_push_token_rotate(camera=camera)
    assert _push(client, camera, jpeg, old).status_code == 401


def test_a_camera_not_in_push_mode_gets_409(client, push_camera, jpeg):
    camera, token = push_camera
    Camera.objects.filter(pk=camera.pk).update(capture_mode=Camera.CaptureMode.INTERVAL)
    assert _push(client, camera, jpeg, token).status_code == 409
