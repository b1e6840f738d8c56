"""Frames of a recorded video file, sampled at a fixed interval, for forensics and backfills."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import cv2

from cameras.frames import Frame


class UnreadableVideo(ValueError):
    """The file cannot be opened as a video."""


def video_info(path: Path) -> tuple[float, int]:
    """(frames per second, frame count) of a video file."""
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise UnreadableVideo(f"{path} cannot be opened as a video")
        return capture.get(cv2.CAP_PROP_FPS) or 25.0, int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    finally:
        capture.release()


def video_frames(path: Path, *, every_seconds: float, start: datetime) -> Iterator[tuple[int, Frame]]:
    """(frame number, frame) every ``every_seconds`` of the video, timed from ``start``."""
    fps, _ = video_info(path)
    step = max(1, round(fps * every_seconds))
    capture = cv2.VideoCapture(str(path))
    index = 0
    try:
        while capture.grab():  # grab without decoding the frames that are skipped
            if index % step == 0:
                ok, image = capture.retrieve()
                if not ok:
                    break
                yield index, Frame(image=image, captured_at=start + timedelta(seconds=index / fps))
            index += 1
    finally:
        capture.release()


def video_samples(path: Path, count: int) -> list:
    """Up to ``count`` images spread evenly over the video, read by seeking (not by decoding all of it)."""
    _, total = video_info(path)
    capture = cv2.VideoCapture(str(path))
    images = []
    try:
        for index in sorted({round(i * max(total - 1, 0) / max(count - 1, 1)) for i in range(count)}):
            capture.set(cv2.CAP_PROP_POS_FRAMES, index)
            ok, image = capture.read()
            if ok:
                images.append(image)
    finally:
        capture.release()
    return images
