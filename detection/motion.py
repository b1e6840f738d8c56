"""The motion gate: skip inference when a camera's picture has not changed (Frigate's cost saver)."""

from __future__ import annotations

import cv2
import numpy as np
from django.conf import settings

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


def _decision_key(camera_id: int, frame_id: str) -> str:
    return f"vigil:motion:{camera_id}:decided:{frame_id}"


def reference_get(camera_id: int) -> np.ndarray | None:
    """The fingerprint of the camera's last processed frame (shared by all detect workers)."""
    return _reference_decode(redis_client().get(_key(camera_id)))


def _reference_decode(data: bytes | None) -> np.ndarray | None:
    if data is None or len(data) != SIZE[0] * SIZE[1]:
        return None
    return np.frombuffer(data, dtype=np.uint8).reshape(SIZE[1], SIZE[0])


def reference_set(camera_id: int, print_: np.ndarray) -> None:
    redis_client().set(_key(camera_id), print_.tobytes(), ex=REFERENCE_TTL_SECONDS)


def frame_unchanged(
    *,
    camera_id: int,
    image: np.ndarray,
    threshold: float,
    references: dict[int, np.ndarray] | None = None,
    frame_id: str | None = None,
) -> bool:
    """Whether less than ``threshold`` percent changed since the last processed frame.

    A changed frame becomes the new reference; an unchanged one does not, so slow changes
    (a parked car appearing over minutes) add up until they pass the threshold. The references
    are shared by all detect workers in Redis, or kept in ``references`` by one process that
    sees every frame itself (a video analysed from a file needs no Redis).

    ``frame_id`` (the frame's capture time): the answer for that frame is remembered, so a task retried or
    redelivered after a crash gets the first answer again. Without it, a frame that passed the gate would
    be compared with itself (it is the reference now), recorded as unchanged and skip the rules.
    """
    current = fingerprint(image)
    if references is not None:
        previous = references.get(camera_id)
        if previous is not None and changed_percent(previous, current) < threshold:
            return True
        references[camera_id] = current
        return False
    client = redis_client()
    keys = [_key(camera_id)] + ([_decision_key(camera_id, frame_id)] if frame_id else [])
    stored, *decided = client.mget(keys)
    if decided and decided[0] is not None:
        return decided[0] == b"1"
    previous = _reference_decode(stored)
    unchanged = previous is not None and changed_percent(previous, current) < threshold
    with client.pipeline(transaction=False) as pipe:
        if not unchanged:
            pipe.set(_key(camera_id), current.tobytes(), ex=REFERENCE_TTL_SECONDS)
        if frame_id:
            # As long as the broker may redeliver the frame's task.
            pipe.set(_decision_key(camera_id, frame_id), b"1" if unchanged else b"0", ex=_decision_ttl())
        pipe.execute()
    return unchanged


def _decision_ttl() -> int:
    return settings.BROKER_VISIBILITY_TIMEOUT + REFERENCE_TTL_SECONDS
