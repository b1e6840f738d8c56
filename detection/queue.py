"""The hand-off from capture to detection: frames wait in Redis, tasks carry only a reference.

Each waiting frame is a member of a sorted set (scored by arrival) and has its own task on the
``detect`` queue. The worker that runs a task takes its own frame and the oldest others that
are waiting, up to the batch size, so frames of several cameras run through the model together;
the tasks of frames already taken find them gone and return.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime

from cameras import frame_store
from cameras.frames import Frame

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
    client = frame_store.redis_client()
    entry = WaitingFrame(camera_id, frame_store.frame_put(camera_id, frame), frame.captured_at).encode()
    now = time.time()
    pipe = client.pipeline()
    pipe.zadd(WAITING, {entry: now})
    # Frames expire in Redis; their entries go too, so a stopped detect queue leaves nothing growing.
    pipe.zremrangebyscore(WAITING, 0, now - frame_store.FRAME_TTL_SECONDS)
    pipe.execute()
    return entry


def frames_take(entry: str, *, limit: int, redelivered: bool = False) -> list[WaitingFrame]:
    """Take ``entry`` (unless another worker already has it) and up to ``limit - 1`` others waiting.

    A redelivered task (its worker died mid-batch) takes its frame again: processing is
    idempotent, so a second pass changes nothing if the first one had finished.
    """
    client = frame_store.redis_client()
    mine = client.zrem(WAITING, entry) == 1 or redelivered
    if not mine:
        return []
    taken = [entry]
    if limit > 1:
        taken += [member for member, _ in client.zpopmin(WAITING, limit - 1)]
    return [WaitingFrame.decode(member) for member in taken]


def waiting_count() -> int:
    return frame_store.redis_client().zcard(WAITING)
