"""The ring of recent detections on the real Redis: what an entry holds, how far back it reaches, that an
idle camera leaves nothing, and that Redis going away never stops the caller."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from cameras.tests.factories import CameraFactory
from core.redis import redis_client
from core.vision import Detection
from detection import recent
from detection.recent import KEY, RING_MAX_ENTRIES, RING_SECONDS, recent_detections_record, recent_detections_since

pytestmark = pytest.mark.django_db

PERSON = Detection("person", 0.91234, (0.123456, 0.2, 0.5, 0.987654), "person")
BAG = Detection("bag", 0.5, (0.0, 0.0, 1.0, 1.0), "handbag")


@pytest.fixture
def camera_id():
    camera = CameraFactory()
    redis_client().delete(KEY.format(camera.pk))  # a rolled-back camera's id is given again
    yield camera.pk
    redis_client().delete(KEY.format(camera.pk))


def test_an_entry_holds_the_capture_time_and_the_boxes_in_0_to_1(camera_id):
    at = timezone.now()
    assert recent_detections_record(camera_id=camera_id, captured_at=at, detections=[PERSON, BAG], track_ids=[7, None])
    [entry] = recent_detections_since(camera_id=camera_id, since=None)
    assert entry == {
        "t": round(at.timestamp() * 1000),
        "b": [[0.1235, 0.2, 0.5, 0.9877, "person", 0.912, 7], [0.0, 0.0, 1.0, 1.0, "bag", 0.5, None]],
    }
    # A frame where nothing was found is an entry too: it is what says the boxes have gone.
    assert recent_detections_record(camera_id=camera_id, captured_at=at + timedelta(seconds=0.1), detections=[])
    assert [e["b"] for e in recent_detections_since(camera_id=camera_id, since=at)] == [[]]


def test_it_returns_the_entries_after_since_oldest_first(camera_id):
    base = timezone.now() - timedelta(seconds=5)
    for n in range(10):
        recent_detections_record(camera_id=camera_id, captured_at=base + timedelta(seconds=n / 10), detections=[PERSON])
    after = recent_detections_since(camera_id=camera_id, since=base + timedelta(seconds=0.5))
    assert [e["t"] for e in after] == [
        round((base + timedelta(seconds=n / 10)).timestamp() * 1000) for n in range(6, 10)
    ]
    limited = recent_detections_since(camera_id=camera_id, since=base, limit=3)
    assert [e["t"] for e in limited] == [e["t"] for e in recent_detections_since(camera_id=camera_id, since=None)][1:4]


def test_the_ring_keeps_only_the_last_seconds_and_at_most_its_count(camera_id):
    base = timezone.now() - timedelta(seconds=90)
    for n in range(90 * 4):  # 90 s at 4 frames a second
        recent_detections_record(camera_id=camera_id, captured_at=base + timedelta(seconds=n / 4), detections=[PERSON])
    times = [e["t"] for e in recent_detections_since(camera_id=camera_id, since=None)]
    newest = round((base + timedelta(seconds=(90 * 4 - 1) / 4)).timestamp() * 1000)
    assert times[-1] == newest and times[0] >= newest - RING_SECONDS * 1000
    assert len(times) == RING_SECONDS * 4 + 1
    # A fast stream reaches the count first: 60 frames a second for 10 s.
    for n in range(600):
        recent_detections_record(camera_id=camera_id, captured_at=base + timedelta(seconds=91 + n / 60), detections=[])
    assert redis_client().zcard(KEY.format(camera_id)) == RING_MAX_ENTRIES


def test_a_camera_that_stops_leaves_nothing_behind(camera_id):
    recent_detections_record(camera_id=camera_id, captured_at=timezone.now(), detections=[PERSON])
    assert 0 < redis_client().ttl(KEY.format(camera_id)) <= RING_SECONDS
    redis_client().expire(KEY.format(camera_id), 1)  # as it would be RING_SECONDS after the last frame
    time.sleep(1.2)
    assert not redis_client().exists(KEY.format(camera_id))
    assert recent_detections_since(camera_id=camera_id, since=None) == []


def test_redis_away_never_stops_the_caller_and_is_said_once(camera_id, redis_server, caplog, monkeypatch):
    monkeypatch.setattr(recent, "_paused_until", 0.0)
    monkeypatch.setattr(recent, "_warned_at", -recent.WARN_EVERY_SECONDS)
    redis_server.stop()
    try:
        with caplog.at_level(logging.WARNING, logger="detection.recent"):
            began = time.monotonic()
            results = [
                recent_detections_record(camera_id=camera_id, captured_at=timezone.now(), detections=[PERSON])
                for _ in range(50)
            ]
            took = time.monotonic() - began
    finally:
        redis_server.start()
    assert results == [False] * 50 and took < 2  # the first failure pauses the writes: no timeout per frame
    assert len([r for r in caplog.records if "recent detections" in r.getMessage()]) == 1
    # Once the pause is over, writes resume.
    monkeypatch.setattr(recent, "_paused_until", 0.0)
    assert recent_detections_record(camera_id=camera_id, captured_at=timezone.now(), detections=[PERSON])
