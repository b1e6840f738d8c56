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
from django.conf import settings

from cameras import frame_store
from cameras.frames import Frame
from core.redis import redis_client

logger = logging.getLogger(__name__)

# Routed to the ``detect`` queue by ``CELERY_TASK_ROUTES``; defined in detection/tasks.py.
DETECT_TASK = "detection.tasks.detect_frame"
WAITING = "vigil:detect:waiting"
# Each camera's newest waiting entry (camera id -> entry): the frame that makes an older one of its camera
# redundant when the line is full. One field per capturing camera; the hash expires with the line's lifetime.
NEWEST = "vigil:detect:newest"
DROPPED = "vigil:detect:dropped"  # frames dropped for room so far (a counter, for the log and the bench)

# Put the entry in line; past the cap, drop first the camera's own previous frame if it still waits (a newer
# one of the same scene replaces it), then the oldest of all. Returns the dropped entries (their frames go).
_WAIT = """
local now, ttl, cap = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, now - ttl)
local previous = redis.call('HGET', KEYS[2], ARGV[5])
redis.call('HSET', KEYS[2], ARGV[5], ARGV[1])
redis.call('EXPIRE', KEYS[2], ttl)  -- entries older than the line's lifetime mean nothing: a quiet line clears it
local dropped = {}
if redis.call('ZCARD', KEYS[1]) > cap then
  if previous and redis.call('ZREM', KEYS[1], previous) == 1 then dropped[#dropped + 1] = previous end
  local over = redis.call('ZCARD', KEYS[1]) - cap
  if over > 0 then
    local popped = redis.call('ZPOPMIN', KEYS[1], over)
    for i = 1, #popped, 2 do dropped[#dropped + 1] = popped[i] end
  end
  if #dropped > 0 then redis.call('INCRBY', KEYS[3], #dropped) end
end
return dropped
"""


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
    """Store the frame with a short lifetime and put it in line; returns the entry for the task.

    The line holds at most ``DETECTION_WAITING_MAX`` frames: when detection falls behind, a camera's
    newer frame replaces its older one still waiting (the scene moved on), then the oldest frames go,
    so Redis holds a bounded number of frames however long the outage; their tasks find them gone.
    """
    client = redis_client()
    entry = WaitingFrame(camera_id, frame_store.frame_put(camera_id, frame), frame.captured_at).encode()
    wait = client.register_script(_WAIT)
    args = [entry, time.time(), frame_store.FRAME_TTL_SECONDS, settings.DETECTION_WAITING_MAX, camera_id]
    dropped = wait(keys=[WAITING, NEWEST, DROPPED], args=args)
    if dropped:
        client.delete(*(WaitingFrame.decode(member).key for member in dropped))
        logger.warning("detection is behind: %d waiting frame(s) dropped to make room", len(dropped))
    return entry


def frame_submit(*, camera_id: int, frame: Frame) -> None:
    """Queue a captured frame for detection; a broker or Redis failure loses the frame, not the capture."""
    try:
        entry = frame_wait(camera_id, frame)
        current_app.send_task(DETECT_TASK, kwargs={"entry": entry}, expires=frame_store.FRAME_TTL_SECONDS)
    except Exception as exc:
        logger.warning("frame of camera %s not queued for detection: %s", camera_id, exc)
