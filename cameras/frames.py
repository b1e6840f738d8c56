"""Frames: decoding untrusted image bytes safely, and the frame passed along the pipeline."""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field
from datetime import datetime

import cv2
import numpy as np
import simplejpeg
from django.utils import timezone
from PIL import PngImagePlugin

# Refuse images whose header declares more pixels than any camera produces (decompression bombs).
MAX_PIXELS = 8192 * 8192
JPEG_QUALITY = 85


class InvalidImage(ValueError):
    """Bytes that are not a complete JPEG or PNG image; the message says why."""


@dataclass
class Frame:
    """One decoded frame (BGR pixels) with its JPEG encoding and capture time."""

    image: np.ndarray
    captured_at: datetime = field(default_factory=timezone.now)
    _jpeg: bytes | None = field(default=None, repr=False)

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    @property
    def jpeg(self) -> bytes:
        if self._jpeg is None:
            ok, encoded = cv2.imencode(".jpg", self.image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
            if not ok:
                raise InvalidImage("the frame could not be encoded as JPEG")
            self._jpeg = encoded.tobytes()
        return self._jpeg


def decode_image(data: bytes, *, max_pixels: int = MAX_PIXELS, min_side: int | None = None) -> Frame:
    """Decode JPEG or PNG bytes, refusing garbage, truncated files and decompression bombs.

    With ``min_side``, a large JPEG is decoded at a reduced scale (the JPEG decoder does this almost
    for free) as long as its longer side stays at least ``min_side``: the detector shrinks frames to
    its input size anyway. The frame's ``jpeg`` stays the original, full-size image.
    """
    if not data:
        raise InvalidImage("the body is empty")
    if data[:3] == b"\xff\xd8\xff":
        if not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
            raise InvalidImage("the JPEG image is truncated (no end-of-image marker)")
        return Frame(image=_jpeg_pixels(data, max_pixels=max_pixels, min_side=min_side), _jpeg=data)
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return Frame(image=_png_pixels(data, max_pixels=max_pixels))
    raise InvalidImage("not a JPEG or PNG image")


def _jpeg_pixels(data: bytes, *, max_pixels: int, min_side: int | None) -> np.ndarray:
    """The JPEG's pixels (BGR), decoded by libjpeg-turbo in strict mode.

    An end-of-image marker proves nothing: half a JPEG with ``FFD9`` appended decodes in OpenCV and
    Pillow without an error, the missing part silently painted grey. libjpeg notices ("premature end
    of data segment") but only warns; strict decoding makes every such warning a refusal.
    The header is the decoder's own reading of it, so the size checked is the size it would allocate.
    """
    try:
        height, width, _, _ = simplejpeg.decode_jpeg_header(data)
    except ValueError as exc:
        raise InvalidImage(f"the JPEG header is corrupt ({exc})") from None
    _check_size("JPEG", width, height, max_pixels)
    reduce = {}
    factor = max((f for f in (2, 4, 8) if min_side and max(width, height) / f >= min_side), default=1)
    if factor > 1:
        # 1/2, 1/4 or 1/8 exactly (as the benchmarks measured), not the finer n/8 steps libjpeg also offers.
        reduce = {"min_width": -(-width // factor), "min_height": -(-height // factor)}
    try:
        image = simplejpeg.decode_jpeg(data, colorspace="BGR", strict=True, **reduce)
    except ValueError as exc:
        raise InvalidImage(f"the JPEG image data is corrupt or truncated ({exc})") from None
    if not reduce and image.shape[:2] != (height, width):
        raise InvalidImage(f"the JPEG image decoded to {image.shape[1]}x{image.shape[0]}, not {width}x{height}")
    return image


def jpeg_end(data: bytes | bytearray, start: int = 0) -> int | None:
    """Where the JPEG that starts at ``start`` ends (just past its end-of-image marker), or None
    while it is incomplete.

    The first ``FFD9`` is not the end: an EXIF thumbnail in APP1 carries its own. So the marker
    segments are skipped by their lengths up to each scan, and a scan's entropy-coded data is read
    up to the next marker that is not a stuffed byte (``FF00``), a restart marker or fill.
    Raises InvalidImage when the bytes are not JPEG structure at all.
    """
    size = len(data)
    i = start + 2  # past SOI
    while True:
        if i + 1 >= size:
            return None
        if data[i] != 0xFF:
            raise InvalidImage("the JPEG image has bytes where a marker should be")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte before a marker
            i += 1
            continue
        if marker == 0xD9:
            return i + 2
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers without a length
            i += 2
            continue
        if i + 3 >= size:
            return None
        length = (data[i + 2] << 8) | data[i + 3]
        if length < 2:
            raise InvalidImage("the JPEG image has a marker segment shorter than its own length field")
        i += 2 + length
        if marker != 0xDA:  # not a scan: the next marker follows the segment
            continue
        while True:  # entropy-coded data of the scan
            i = data.find(b"\xff", i)
            if i < 0 or i + 1 >= size:
                return None
            following = data[i + 1]
            if following == 0x00 or 0xD0 <= following <= 0xD7:
                i += 2
            elif following == 0xFF:
                i += 1
            else:
                break


def _png_pixels(data: bytes, *, max_pixels: int) -> np.ndarray:
    """The PNG's pixels (BGR); libpng refuses a short image stream, so a fake IEND is not enough."""
    if b"IEND" not in data[-16:]:
        raise InvalidImage("the PNG image is truncated (no IEND chunk)")
    try:
        # PNG's own header reader, not Image.open: ultralytics replaces Image.open in every process
        # that imports it with one that, on an unknown image, tries to pip-install a plugin.
        with PngImagePlugin.PngImageFile(io.BytesIO(data)) as header:  # reads the header only
            width, height = header.size
    except (SyntaxError, OSError, ValueError, EOFError, IndexError, TypeError, struct.error) as exc:
        raise InvalidImage(f"the PNG header is corrupt ({exc})") from None
    _check_size("PNG", width, height, max_pixels)
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise InvalidImage("the PNG image data is corrupt")
    return image


def _check_size(kind: str, width: int, height: int, max_pixels: int) -> None:
    if width <= 0 or height <= 0 or width * height > max_pixels:
        raise InvalidImage(f"the {kind} image declares {width}x{height} pixels, more than allowed")
