"""A suspicion on a snapshot camera asks for a quick burst of pictures: one at a time, never a storm."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import numpy as np
import pytest
import redis
from django.conf import settings
from django.utils import timezone

from cameras.frames import Frame
from cameras.models import Camera
from cameras.tests.factories import CameraFactory
from core.vision import Detection
from events.models import ThreatRule
from events.services import rules_apply

pytestmark = pytest.mark.django_db
BASE = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.get_fixed_timezone(0))
DOWN = Detection("person_down", 0.8, (0.30, 0.60, 0.50, 0.70))


@pytest.fixture
def broker() -> redis.Redis:
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete("capture")
    return client


def captures_queued(broker: redis.Redis) -> list[dict]:
    """The capture tasks waiting on the broker: (camera id, force, countdown) of each."""
    found = []
    for raw in broker.lrange("capture", 0, -1):
        message = json.loads(raw)
        assert message["headers"]["task"] == "cameras.tasks.capture_camera"
        found.append({"args": message["headers"]["argsrepr"], "eta": message["headers"]["eta"]})
    return found


def frame(seconds: float) -> Frame:
    return Frame(image=np.zeros((90, 160, 3), np.uint8), captured_at=BASE + timedelta(seconds=seconds))


def suspect(camera: Camera, seconds: float, *, live: bool = True, detections=None) -> None:
    rules_apply(camera=camera, frame=frame(seconds), detections=[DOWN] if detections is None else detections, live=live)


@pytest.fixture
def person_down() -> ThreatRule:
    return ThreatRule.objects.create(name="Down", labels=["person_down"], sustain_seconds=3, box_shape="lying")


def test_a_first_suspicion_on_a_snapshot_camera_queues_one_burst_of_captures(
    person_down, broker, django_capture_on_commit_callbacks
):
    camera = CameraFactory(capture_interval=10)
    with django_capture_on_commit_callbacks(execute=True):
        suspect(camera, 0)

    queued = captures_queued(broker)
    # One picture a second for the rule's 3 s and a 2 s margin, each with its own time.
    assert len(queued) == 5 and len({q["eta"] for q in queued}) == 5
    assert all(q["args"] == f"({camera.pk},)" for q in queued)

    # The next frames of the same suspicion (the burst's own) ask for nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        suspect(camera, 1)
        suspect(camera, 2)
    assert len(captures_queued(broker)) == 5


def test_a_camera_that_keeps_raising_suspicions_gets_bursts_with_pauses_between(
    person_down, broker, django_capture_on_commit_callbacks
):
    camera = CameraFactory(capture_interval=10)
    # A new object every 10 s (a pram at a different place each time): only the first gets a burst
    # while the pause after it lasts.
    with django_capture_on_commit_callbacks(execute=True):
        for n, x in enumerate((0.1, 0.4, 0.7)):
            suspect(camera, 10 * n, detections=[Detection("person_down", 0.8, (x, 0.6, x + 0.2, 0.7))])
    assert len(captures_queued(broker)) == 5


@pytest.mark.parametrize(
    ("fields", "live"),
    [
        ({"capture_mode": Camera.CaptureMode.STREAM}, True),  # analysed continuously: no need
        ({"capture_mode": Camera.CaptureMode.PUSH}, True),  # an edge device sends what it sends
        ({"capture_interval": 1}, True),  # already a picture a second
        ({"capture_interval": 10}, False),  # a recorded video (analyze_video): the camera is not asked
    ],
)
def test_no_burst_where_it_cannot_help(person_down, broker, django_capture_on_commit_callbacks, fields, live):
    camera = CameraFactory(**fields)
    with django_capture_on_commit_callbacks(execute=True):
        suspect(camera, 0, live=live)
    assert captures_queued(broker) == []


def test_no_burst_for_rules_that_need_no_time_or_too_much(broker, django_capture_on_commit_callbacks):
    ThreatRule.objects.create(name="People", labels=["person_down"])
    ThreatRule.objects.create(name="Loitering", labels=["person_down"], sustain_seconds=300)
    camera = CameraFactory(capture_interval=10)
    with django_capture_on_commit_callbacks(execute=True):
        suspect(camera, 0)
    assert captures_queued(broker) == []


def test_a_confirmed_object_asks_for_no_more_pictures(person_down, broker, django_capture_on_commit_callbacks):
    camera = CameraFactory(capture_interval=10)
    with django_capture_on_commit_callbacks(execute=True):
        for t in range(4):
            suspect(camera, t)
    broker.delete("capture", f"vigil:capture:burst:{camera.pk}")  # the burst and its pause are over

    with django_capture_on_commit_callbacks(execute=True):
        suspect(camera, 4)  # the event is open, the person still down: nothing left to confirm
    assert captures_queued(broker) == []
