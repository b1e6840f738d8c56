"""Real frames for detection tests: photos shipped in ultralytics and the shared clips."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import cv2
from django.conf import settings
from django.utils import timezone

from cameras.frames import Frame


def photo(name: str) -> Frame:
    """A real photo of people shipped inside ultralytics (bus.jpg, zidane.jpg)."""
    image = cv2.imread(str(settings.ULTRALYTICS_ASSETS / name))
    assert image is not None, name
    return Frame(image=image)


def clip_frames(
    clip: Path, *, step: int, start: datetime | None = None, limit: int | None = None
) -> list[tuple[int, Frame]]:
    """Every ``step``-th frame of a clip as (frame number, Frame), timed as if captured live."""
    start = start or timezone.now().replace(microsecond=0)
    capture = cv2.VideoCapture(str(clip))
    fps = capture.get(cv2.CAP_PROP_FPS) or 25
    frames, index = [], 0
    while capture.grab():
        if index % step == 0:
            _, image = capture.retrieve()
            frames.append((index, Frame(image=image, captured_at=start + timedelta(seconds=index / fps))))
            if limit and len(frames) == limit:
                break
        index += 1
    capture.release()
    return frames
