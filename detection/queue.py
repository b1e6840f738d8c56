"""The hand-off from capture to detection: frames wait in Redis, tasks carry only a reference.

Each waiting frame is a member of a sorted set (scored by arrival) and has its own task on the
``detect`` queue. The worker that runs a task takes its own frame and the oldest others that
are waiting, up to the batch size, so frames of several cameras run through the model together;
the tasks of frames already taken find them gone and return.

What a task takes is written down under its task id (atomically, in one Lua script), so when its
worker is killed mid-batch the redelivered task (same id) takes the whole batch again, not only
its own frame: the others' tasks have already returned. Recording is idempotent per frame.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime

from cameras import frame_store
from cameras.frames import Frame
from core.redis import redis_client

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


_TAKE = """
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return {} end
local taken = {ARGV[1]}
local others = tonumber(ARGV[2])
if others > 0 then
  local popped = redis.call('ZPOPMIN', KEYS[1], others)
  for i = 1, #popped, 2 do taken[#taken + 1] = popped[i] end
end
redis.call('SADD', KEYS[2], unpack(taken))
redis.call('EXPIRE', KEYS[2], ARGV[3])
return taken
"""


def _batch_key(batch_id: str) -> str:
    return f"vigil:detect:batch:{batch_id}"


def frames_take(entry: str, *, limit: int, batch_id: str, redelivered: bool = False) -> list[WaitingFrame]:
    """Take ``entry`` (unless another worker already has it) and up to ``limit - 1`` others waiting.

    ``batch_id`` (the task id) records what was taken until ``batch_done``. A redelivered task
    (its worker died mid-batch) takes that same batch again, or at least its own frame.
    """
    client = redis_client()
    key = _batch_key(batch_id)
    if redelivered:
        unfinished = client.smembers(key)
        if unfinished:
            return [WaitingFrame.decode(member) for member in sorted(unfinished)]
    take = client.register_script(_TAKE)  # EVALSHA: the script is sent to Redis once, not per task
    taken = take(keys=[WAITING, key], args=[entry, max(limit - 1, 0), frame_store.FRAME_TTL_SECONDS])
    if not taken and redelivered:
        taken = [entry]
    return [WaitingFrame.decode(member) for member in taken]


def batch_done(batch_id: str) -> None:
    """The batch is recorded: a later redelivery of its task has nothing to take again."""
    redis_client().delete(_batch_key(batch_id))


def waiting_count() -> int:
    return redis_client().zcard(WAITING)
