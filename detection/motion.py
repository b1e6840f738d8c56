"""The motion gate: skip inference when a camera's picture has not changed (Frigate's cost saver)."""

from __future__ import annotations

import cv2
import numpy as np

from core.redis import redis_client

# Compared at a small size, blurred: sensor noise and JPEG artefacts must not count as motion.
SIZE = (160, 90)
PIXEL_DELTA = 25
REFERENCE_TTL_SECONDS = 3600


def fingerprint(image: np.ndarray) -> np.ndarray:
    small = cv2.resize(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), SIZE, interpolation=cv2.INTER_AREA)
    return cv2.GaussianBlur(small, (5, 5), 0)


def changed_percent(previous: np.ndarray, current: np.ndarray) -> float:
    """Percent of the (small) picture whose brightness moved by more than ``PIXEL_DELTA``."""
    return float((cv2.absdiff(previous, current) > PIXEL_DELTA).mean() * 100)


def _key(camera_id: int) -> str:
    return f"vigil:motion:{camera_id}"


def reference_get(camera_id: int) -> np.ndarray | None:
    """The fingerprint of the camera's last processed frame (shared by all detect workers)."""
    data = redis_client().get(_key(camera_id))
    if data is None or len(data) != SIZE[0] * SIZE[1]:
        return None
    return np.frombuffer(data, dtype=np.uint8).reshape(SIZE[1], SIZE[0])


def reference_set(camera_id: int, print_: np.ndarray) -> None:
    redis_client().set(_key(camera_id), print_.tobytes(), ex=REFERENCE_TTL_SECONDS)


def frame_unchanged(
    *, camera_id: int, image: np.ndarray, threshold: float, references: dict[int, np.ndarray] | None = None
) -> bool:
    """Whether less than ``threshold`` percent changed since the last processed frame.

    A changed frame becomes the new reference; an unchanged one does not, so slow changes
    (a parked car appearing over minutes) add up until they pass the threshold. The references
    are shared by all detect workers in Redis, or kept in ``references`` by one process that
    sees every frame itself (a video analysed from a file needs no Redis).
    """
    current = fingerprint(image)
    previous = reference_get(camera_id) if references is None else references.get(camera_id)
    if previous is not None and changed_percent(previous, current) < threshold:
        return True
    if references is None:
        reference_set(camera_id, current)
    else:
        references[camera_id] = current
    return False
