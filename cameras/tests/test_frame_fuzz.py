"""Fuzzing the decoding of untrusted frames and the frame upload endpoint (hypothesis, bounded).

Whatever the bytes, decoding gives a frame or ``InvalidImage`` (never another exception), the
upload answers 202/400/413 with a reason (never a 500) and a refused upload changes nothing.
Images declaring huge dimensions are refused from their header, before any pixel is allocated.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zlib

import cv2
import numpy as np
import pytest
import ultralytics  # noqa: F401 - imported as in a detect worker, where it patches PIL's Image.open
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from cameras.frames import MAX_PIXELS, InvalidImage, decode_image
from cameras.models import Camera
from cameras.services import camera_push_token_rotate
from cameras.tests.factories import CameraFactory
from core.redis import redis_client
from vigilsite.testing import project_env

FUZZ = hypothesis_settings(
    max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _small_image() -> np.ndarray:
    image = np.zeros((48, 64, 3), dtype=np.uint8)
    cv2.rectangle(image, (8, 8), (40, 30), (0, 200, 255), -1)
    return image


JPEG = cv2.imencode(".jpg", _small_image())[1].tobytes()
PNG = cv2.imencode(".png", _small_image())[1].tobytes()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int, idat: bytes = b"") -> bytes:
    """A PNG whose (valid, CRC-checked) header declares ``width`` x ``height`` grey pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def jpeg_declaring(width: int, height: int) -> bytes:
    """The small JPEG with its frame header (SOF0) rewritten to declare ``width`` x ``height``."""
    sof = JPEG.index(b"\xff\xc0")
    return JPEG[: sof + 5] + struct.pack(">HH", height, width) + JPEG[sof + 9 :]


def _mutated(base: bytes, edits: list[tuple[int, int]], cut: int | None) -> bytes:
    data = bytearray(base)
    for position, value in edits:
        data[position % len(data)] = value
    return bytes(data[:cut] if cut else data)


mutations = st.builds(
    _mutated,
    st.sampled_from([JPEG, PNG]),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=12),
    st.one_of(st.none(), st.integers(1, len(JPEG))),
)
declared = st.builds(
    lambda kind, w, h: png_declaring(w, h) if kind == "png" else jpeg_declaring(w, h),
    st.sampled_from(["png", "jpeg"]),
    st.integers(0, 65535),
    st.integers(0, 65535),
)
untrusted = st.one_of(st.binary(max_size=4096), mutations, declared)


@FUZZ
@given(data=untrusted)
def test_decoding_gives_a_frame_or_a_reason_never_a_crash(data):
    try:
        frame = decode_image(data)
    except InvalidImage as exc:
        assert str(exc)
        return
    assert frame.image.ndim == 3 and frame.image.shape[2] == 3
    assert 0 < frame.width * frame.height <= MAX_PIXELS


@pytest.fixture
def push_camera(db, redis_url):
    camera = CameraFactory(source_url="device://0", capture_mode=Camera.CaptureMode.PUSH, capture_interval=5)
    return camera, camera_push_token_rotate(camera=camera)


@FUZZ
@given(data=untrusted, content_type=st.sampled_from(["image/jpeg", "image/png", "application/octet-stream"]))
def test_the_upload_answers_every_body_with_a_reason_and_a_refusal_changes_nothing(
    client, push_camera, data, content_type
):
    camera, token = push_camera
    redis_client().delete(f"vigil:push:{camera.pk}")  # each example is a first frame
    before = Camera.objects.get(pk=camera.pk).last_frame_at
    response = client.post(
        f"/api/cameras/{camera.pk}/frames/", data=data, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code in {202, 400, 413}, response.content
    if response.status_code == 202:
        assert response.json()["accepted"] is True
    else:
        assert response.json()["detail"]
        assert Camera.objects.get(pk=camera.pk).last_frame_at == before


def test_an_oversized_upload_is_refused_without_being_decoded(client, push_camera, settings):
    camera, token = push_camera
    body = JPEG + b"\x00" * settings.FRAME_UPLOAD_MAX_BYTES
    response = client.post(
        f"/api/cameras/{camera.pk}/frames/", data=body, content_type="image/jpeg", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 413


def _png_bomb(side: int) -> bytes:
    """A real decompression bomb: ``side`` x ``side`` black pixels, all present, compressed to little."""
    packer = zlib.compressobj(9)
    row = b"\x00" * (side + 1)  # filter byte + one grey byte per pixel
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    return png_declaring(side, side, idat)


_DECODE_AND_MEASURE = """
import json, resource, sys
import django
django.setup()
from cameras.frames import InvalidImage, decode_image
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    decode_image(data)
    reason = None
except InvalidImage as exc:
    reason = str(exc)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"reason": reason, "grew_kib": after - before}))
"""


@pytest.mark.parametrize("kind", ["png", "jpeg"])
def test_a_decompression_bomb_is_refused_without_allocating_its_pixels(tmp_path, kind):
    side = 12_000  # 144 megapixels: 432 MB once decoded to colour, above MAX_PIXELS
    data = _png_bomb(side) if kind == "png" else jpeg_declaring(side, side)
    assert len(data) < 1_000_000
    path = tmp_path / f"bomb.{kind}"
    path.write_bytes(data)
    result = subprocess.run(
        [sys.executable, "-c", _DECODE_AND_MEASURE, str(path)],
        env=project_env(), capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    assert "declares 12000x12000 pixels, more than allowed" in measured["reason"]
    assert measured["grew_kib"] < 50 * 1024  # far below the 432 MB the pixels would take
