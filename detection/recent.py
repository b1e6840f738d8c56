"""The latest detections of each camera, kept a short while in Redis for the live view's overlay.

The live video is seconds behind the camera, so the player draws, for the moment it is showing, what was
detected in the frame captured then: it needs the recent past, not only the newest result. Each camera has
one sorted set scored by the frames' capture time (epoch milliseconds), trimmed to ``RING_SECONDS`` and
``RING_MAX_ENTRIES`` on every write and expiring with them, so a camera that stops leaves nothing behind.
A frame with nothing found is written too: it is what says a box has gone.

One entry is compact JSON: ``{"t": <capture time, epoch ms>, "b": [[x1, y1, x2, y2, label, confidence,
track id or null], ...]}``, the box in 0..1 of the frame (``Detection.box``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from datetime import datetime

import redis

from cameras.models import Camera
from core.redis import redis_client
from core.vision import Detection

logger = logging.getLogger(__name__)

KEY = "vigil:recent-detections:{}"
# Longer than the live view can be behind the camera (two segments, up to the player's catch-up limit of
# three more at 4 s), with a margin; at 12 fps that is ~360 entries, far below the cap.
RING_SECONDS = 30
RING_MAX_ENTRIES = 500
# After Redis failed, writes are skipped this long: a Redis that went away would otherwise cost every frame
# a connection timeout, and the overlay is never worth slowing detection down.
PAUSE_AFTER_FAILURE_SECONDS = 10.0
WARN_EVERY_SECONDS = 300.0

_paused_until = 0.0
_warned_at = -WARN_EVERY_SECONDS


def _epoch_ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def _entry(captured_ms: int, detections: Sequence[Detection], track_ids: Sequence[int | None] | None) -> str:
    ids = list(track_ids) if track_ids is not None else [None] * len(detections)
    boxes = [
        [*(round(v, 4) for v in d.box), d.label, round(d.confidence, 3), track_id]
        for d, track_id in zip(detections, ids, strict=True)
    ]
    return json.dumps({"t": captured_ms, "b": boxes}, separators=(",", ":"))


def recent_detections_record(
    *,
    camera_id: int,
    captured_at: datetime,
    detections: Sequence[Detection],
    track_ids: Sequence[int | None] | None = None,
) -> bool:
    """Add one frame's detections to the camera's ring (one pipelined round trip); False when Redis failed.

    Never raises for Redis: the overlay is a view of detection, and detection goes on without it.
    """
    global _paused_until, _warned_at
    now = time.monotonic()
    if now < _paused_until:
        return False
    captured_ms = _epoch_ms(captured_at)
    key = KEY.format(camera_id)
    try:
        pipe = redis_client().pipeline(transaction=False)
        pipe.zadd(key, {_entry(captured_ms, detections, track_ids): captured_ms})
        pipe.zremrangebyscore(key, "-inf", f"({captured_ms - RING_SECONDS * 1000}")
        pipe.zremrangebyrank(key, 0, -RING_MAX_ENTRIES - 1)
        pipe.expire(key, RING_SECONDS)
        pipe.execute()
    except redis.RedisError as exc:
        _paused_until = now + PAUSE_AFTER_FAILURE_SECONDS
        if now - _warned_at >= WARN_EVERY_SECONDS:
            _warned_at = now
            logger.warning("recent detections not kept for the live view (Redis: %s); detection goes on", exc)
        return False
    return True


def recent_detections_since(*, camera_id: int, since: datetime | None, limit: int = RING_MAX_ENTRIES) -> list[dict]:
    """The camera's ring entries captured after ``since`` (all it holds when None), oldest first, at most
    ``limit``: the first ones after ``since``, so a reader that asks again from the last one misses none."""
    key = KEY.format(camera_id)
    client = redis_client()
    if since is None:
        members = client.zrange(key, -limit, -1)
    else:
        members = client.zrangebyscore(key, f"({_epoch_ms(since)}", "+inf", start=0, num=limit)
    return [json.loads(member) for member in members]


# How long after its capture an entry may still be drawn: a stream camera's next frame comes within a
# fraction of a second, so after 1 s without one the box is no longer known; a snapshot camera's next
# picture comes an interval later, held at most 3 s (a walker moves ~4 m in that time).
HOLD_SECONDS = 1.0
SNAPSHOT_HOLD_MAX_SECONDS = 3.0
# The stream worker stamps a frame when ffmpeg hands it over decoded, the recorder's segments (the video's
# own time) when its packets arrive: the same frame is stamped ~120 ms later by the reader (measured,
# bench/live_clock.py; most of it the decoder's frame threads). So an entry counts for a moment of the
# video up to this much before its stamp.
STAMP_LEAD_SECONDS = 0.25


def recent_hold_seconds(camera: Camera) -> float:
    """How long the overlay may show a camera's entry after the moment it was captured."""
    if camera.capture_mode == Camera.CaptureMode.STREAM:
        return HOLD_SECONDS
    return min(max(float(camera.capture_interval), HOLD_SECONDS), SNAPSHOT_HOLD_MAX_SECONDS)
