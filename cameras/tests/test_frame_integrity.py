"""Only whole frames get in: half a JPEG with a fake end marker is refused, a chunked upload is read whole."""

from __future__ import annotations

import http.client
import re

import cv2
import pytest
from django.conf import settings

from cameras.frames import InvalidImage, decode_image
from cameras.models import Camera
from cameras.services import camera_push_token_rotate
from cameras.tests.factories import CameraFactory


def _bus(*params: int) -> bytes:
    image = cv2.imread(str(settings.ULTRALYTICS_ASSETS / "bus.jpg"))
    return cv2.imencode(".jpg", image, list(params))[1].tobytes()


def _half_with_end_marker(data: bytes) -> bytes:
    return data[: len(data) // 2] + b"\xff\xd9"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(_half_with_end_marker(_bus()), id="baseline"),
        pytest.param(_half_with_end_marker(_bus(cv2.IMWRITE_JPEG_PROGRESSIVE, 1)), id="progressive"),
        # Cut exactly at a restart marker: every byte before the fake end is a valid restart interval.
        pytest.param(
            (lambda d: d[: [m.start() for m in re.finditer(rb"\xff[\xd0-\xd7]", d)][20]] + b"\xff\xd9")(
                _bus(cv2.IMWRITE_JPEG_RST_INTERVAL, 4)
            ),
            id="restart-interval",
        ),
    ],
)
def test_it_refuses_half_a_jpeg_with_a_fake_end_marker(data):
    with pytest.raises(InvalidImage, match="corrupt or truncated"):
        decode_image(data)
    with pytest.raises(InvalidImage, match="corrupt or truncated"):
        decode_image(data, min_side=320)  # the detect workers' reduced decoding checks as much


def test_whole_jpegs_still_decode_full_size_and_reduced():
    for data in (_bus(), _bus(cv2.IMWRITE_JPEG_PROGRESSIVE, 1)):
        assert decode_image(data).image.shape == (1080, 810, 3)
        reduced = decode_image(data, min_side=320).image
        assert max(reduced.shape[:2]) >= 320 and reduced.shape[0] < 1080


# -- pushing over real HTTP (daphne) ------------------------------------------------------------------


@pytest.fixture
def push_camera(asgi_server):
    camera = CameraFactory(source_url="device://0", capture_mode=Camera.CaptureMode.PUSH, capture_interval=1)
    return camera, camera_push_token_rotate(camera=camera)


def _chunked_post(server, camera: Camera, token: str, body: bytes, chunk: int = 4096) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.putrequest("POST", f"/api/cameras/{camera.pk}/frames/")
        for name, value in (
            ("Authorization", f"Bearer {token}"), ("Content-Type", "image/jpeg"), ("Transfer-Encoding", "chunked"),
        ):  # fmt: skip
            connection.putheader(name, value)
        connection.endheaders()
        for start in range(0, len(body), chunk):
            piece = body[start : start + chunk]
            connection.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        connection.send(b"0\r\n\r\n")
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def test_a_chunked_upload_is_read_whole_not_as_an_empty_body(asgi_server, push_camera):
    camera, token = push_camera

    status, body = _chunked_post(asgi_server, camera, token, _bus())

    assert status == 202, body
    assert '"width":810' in body.replace(" ", "") and '"height":1080' in body.replace(" ", "")
    camera.refresh_from_db()
    assert camera.last_frame_at is not None


def test_a_chunked_upload_over_the_size_limit_is_refused_with_413(asgi_server, push_camera):
    camera, token = push_camera
    body = _bus() + b"\x00" * settings.FRAME_UPLOAD_MAX_BYTES

    status, text = _chunked_post(asgi_server, camera, token, body, chunk=256 * 1024)

    assert status == 413, text
    assert "larger than" in text
    camera.refresh_from_db()
    assert camera.last_frame_at is None


def test_a_chunked_half_jpeg_with_a_fake_end_marker_gets_400(asgi_server, push_camera):
    camera, token = push_camera

    status, text = _chunked_post(asgi_server, camera, token, _half_with_end_marker(_bus()))

    assert status == 400 and "truncated" in text
