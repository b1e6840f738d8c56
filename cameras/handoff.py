"""The hand-off from capture to detection, on the cameras' side: frames wait in Redis, tasks carry only a
reference, and the detect task is named, not imported (cameras sit below detection).

Each waiting frame is a member of a sorted set (scored by arrival) and has its own task on the
``detect`` queue; ``detection/queue.py`` is the other end, where a task takes its frame and the
oldest others that are waiting, as one batch.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime

from celery import current_app

from cameras import frame_store
from cameras.frames import Frame
from core.redis import redis_client

logger = logging.getLogger(__name__)

# Routed to the ``detect`` queue by ``CELERY_TASK_ROUTES``; defined in detection/tasks.py.
DETECT_TASK = "detection.tasks.detect_frame"
WAITING = "vigil:detect:waiting"


@dataclass(frozen=True)
class WaitingFrame:
    camera_id: int
    key: str
    captured_at: datetime

    def encode(self) -> str:
        return json.dumps([self.camera_id, self.key, self.captured_at.isoformat()])

    @classmethod
    def decode(cls, entry: str | bytes) -> WaitingFrame:
        camera_id, key, captured_at = json.loads(entry)
        return cls(int(camera_id), key, datetime.fromisoformat(captured_at))


def frame_wait(camera_id: int, frame: Frame) -> str:
    """Store the frame with a short lifetime and put it in line; returns the entry for the task."""
    client = redis_client()
    entry = WaitingFrame(camera_id, frame_store.frame_put(camera_id, frame), frame.captured_at).encode()
    now = time.time()
    pipe = client.pipeline()
    pipe.zadd(WAITING, {entry: now})
    # Frames expire in Redis; their entries go too, so a stopped detect queue leaves nothing growing.
    pipe.zremrangebyscore(WAITING, 0, now - frame_store.FRAME_TTL_SECONDS)
    pipe.execute()
    return entry


def frame_submit(*, camera_id: int, frame: Frame) -> None:
    """Queue a captured frame for detection; a broker or Redis failure loses the frame, not the capture."""
    try:
        entry = frame_wait(camera_id, frame)
        current_app.send_task(DETECT_TASK, kwargs={"entry": entry}, expires=frame_store.FRAME_TTL_SECONDS)
    except Exception as exc:
        logger.warning("frame of camera %s not queued for detection: %s", camera_id, exc)
