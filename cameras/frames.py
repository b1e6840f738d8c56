"""Frames: decoding untrusted image bytes safely, and the frame passed along the pipeline."""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field
from datetime import datetime

import cv2
import numpy as np
from django.utils import timezone
from PIL import JpegImagePlugin, PngImagePlugin

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


_HEADER_READERS = {"JPEG": JpegImagePlugin.JpegImageFile, "PNG": PngImagePlugin.PngImageFile}
_REDUCED = {2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4, 8: cv2.IMREAD_REDUCED_COLOR_8}


def decode_image(data: bytes, *, max_pixels: int = MAX_PIXELS, min_side: int | None = None) -> Frame:
    """Decode JPEG or PNG bytes, refusing garbage, truncated files and decompression bombs.

    With ``min_side``, a large JPEG is decoded at 1/2, 1/4 or 1/8 scale (the JPEG decoder does this
    almost for free) as long as its longer side stays at least ``min_side``: the detector shrinks
    frames to its input size anyway. The frame's ``jpeg`` stays the original, full-size image.
    """
    if not data:
        raise InvalidImage("the body is empty")
    if data[:3] == b"\xff\xd8\xff":
        kind = "JPEG"
        if not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
            raise InvalidImage("the JPEG image is truncated (no end-of-image marker)")
    elif data[:8] == b"\x89PNG\r\n\x1a\n":
        kind = "PNG"
        if b"IEND" not in data[-16:]:
            raise InvalidImage("the PNG image is truncated (no IEND chunk)")
    else:
        raise InvalidImage("not a JPEG or PNG image")
    try:
        # The format's own header reader, not Image.open: ultralytics replaces Image.open in every
        # process that imports it with one that, on an unknown image, tries to pip-install a plugin.
        with _HEADER_READERS[kind](io.BytesIO(data)) as header:  # reads the header only
            width, height = header.size
    except (SyntaxError, OSError, ValueError, EOFError, IndexError, TypeError, struct.error) as exc:
        raise InvalidImage(f"the {kind} header is corrupt ({exc})") from None
    if width <= 0 or height <= 0 or width * height > max_pixels:
        raise InvalidImage(f"the {kind} image declares {width}x{height} pixels, more than allowed")
    flag = cv2.IMREAD_COLOR
    if min_side and kind == "JPEG":
        factor = max((f for f in _REDUCED if max(width, height) / f >= min_side), default=1)
        flag = _REDUCED.get(factor, cv2.IMREAD_COLOR)
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), flag)
    if image is None:
        raise InvalidImage(f"the {kind} image data is corrupt")
    return Frame(image=image, _jpeg=data if kind == "JPEG" else None)
