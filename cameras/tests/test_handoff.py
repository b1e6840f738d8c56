"""Frames waiting for detection in Redis: bounded when detection falls behind, a camera's newer frame
replacing its older one first; what goes is deleted with its entry, and its task finds nothing to take."""

from __future__ import annotations

import pytest

from cameras import handoff
from cameras.frames import decode_image
from cameras.tests.servers import clip_jpegs
from core.redis import redis_client
from detection import queue


@pytest.fixture
def frames(media_dir):
    return [decode_image(jpeg) for jpeg in clip_jpegs(media_dir / "lobby.mp4", count=6)]


def _waiting_cameras() -> list[int]:
    return [handoff.WaitingFrame.decode(m).camera_id for m in redis_client().zrange(handoff.WAITING, 0, -1)]


def _frames_in_redis() -> int:
    return len(list(redis_client().scan_iter("vigil:frame:*")))


def test_past_the_cap_a_cameras_older_frame_goes_first_then_the_oldest_of_all(settings, frames):
    settings.DETECTION_WAITING_MAX = 3
    first = [handoff.frame_wait(camera, frame) for camera, frame in zip((1, 2, 3), frames, strict=False)]
    assert _waiting_cameras() == [1, 2, 3] and _frames_in_redis() == 3

    handoff.frame_wait(1, frames[3])  # camera 1 again: its older frame makes room

    assert _waiting_cameras() == [2, 3, 1] and _frames_in_redis() == 3
    assert queue.frames_take(first[0], limit=4, batch_id="t1") == []  # its task finds it gone
    handoff.frame_wait(4, frames[4])  # a camera with nothing waiting: the oldest of all (camera 2's) goes
    assert _waiting_cameras() == [3, 1, 4] and _frames_in_redis() == 3
    assert redis_client().exists(handoff.WaitingFrame.decode(first[1]).key) == 0
    assert int(redis_client().get(handoff.DROPPED)) == 2


def test_under_the_cap_nothing_is_dropped(settings, frames):
    settings.DETECTION_WAITING_MAX = 10
    for camera, frame in zip((1, 2, 3, 1, 1, 2), frames, strict=True):
        handoff.frame_wait(camera, frame)
    assert _waiting_cameras() == [1, 2, 3, 1, 1, 2] and _frames_in_redis() == 6
    assert redis_client().get(handoff.DROPPED) is None
    # Which frame is each camera's newest is kept no longer than a frame may wait (no field outlives its line).
    assert 0 < redis_client().ttl(handoff.NEWEST) <= handoff.frame_store.FRAME_TTL_SECONDS
