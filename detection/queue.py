"""The detect side of the hand-off from capture (``cameras/handoff.py`` puts frames in line): a task
takes its frame and others waiting.

Each waiting frame is a member of a sorted set (scored by arrival) and has its own task on the
``detect`` queue. The worker that runs a task takes its own frame and the oldest others that
are waiting, up to the batch size, so frames of several cameras run through the model together;
the tasks of frames already taken find them gone and return.

What a task takes is written down under its task id (atomically, in one Lua script), so when its
worker is killed mid-batch the redelivered task (same id) takes the whole batch again, not only
its own frame: the others' tasks have already returned. Recording is idempotent per frame.
"""

from __future__ import annotations

from cameras import frame_store
from cameras.handoff import WAITING, WaitingFrame
from core.redis import redis_client

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


def batch_done(batch_id: str, taken: list[WaitingFrame]) -> None:
    """The batch is recorded: its frames leave Redis at once (their lifetime is only a safety net), and a
    later redelivery of its task has nothing to take again. A batch that failed keeps both, for the retry."""
    redis_client().delete(_batch_key(batch_id), *(waiting.key for waiting in taken))


def waiting_count() -> int:
    return redis_client().zcard(WAITING)
