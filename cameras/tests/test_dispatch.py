"""Beat's capture dispatcher: the due interval cameras queued in bulk, on their cadence, whatever their number."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from cameras.models import Camera
from cameras.services import _DISPATCHER, DISPATCH_LOCK_KEY, captures_dispatch_due
from cameras.tests.factories import CameraFactory
from core.redis import redis_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue():
    """The ``capture`` queue in the test Redis: what beat sent, camera ids in order."""
    client = redis_client()
    client.delete("capture")

    def sent() -> list[int]:
        messages = [json.loads(item) for item in client.lrange("capture", 0, -1)]
        client.delete("capture")
        return sorted(json.loads(_body(m))[1]["camera_id"] for m in messages)

    yield sent
    client.delete("capture")


def _body(message: dict) -> str:
    import base64

    return base64.b64decode(message["body"]).decode()


def _due(camera: Camera):
    return Camera.objects.get(pk=camera.pk).capture_due_at


def test_a_new_camera_is_due_within_its_first_interval_and_leaves_the_schedule_when_not_wanted():
    before = timezone.now()
    camera = CameraFactory(capture_interval=15)
    assert before <= _due(camera) <= timezone.now() + timedelta(seconds=15)

    camera.enabled = False
    camera.save()
    assert _due(camera) is None
    camera.enabled, camera.capture_mode = True, Camera.CaptureMode.PUSH
    camera.save()
    assert _due(camera) is None
    camera.capture_mode = Camera.CaptureMode.STREAM
    camera.save()
    assert _due(camera) is None
    camera.capture_mode = Camera.CaptureMode.INTERVAL
    camera.save()
    assert _due(camera) is not None


def test_an_edit_keeps_the_cadence_unless_the_new_interval_is_shorter_than_the_wait():
    camera = CameraFactory(capture_interval=3600)
    far = timezone.now() + timedelta(minutes=50)
    Camera.objects.filter(pk=camera.pk).update(capture_due_at=far)  # as the dispatcher advances it
    camera.refresh_from_db()  # an admin opens the camera
    camera.name = "Renamed"
    camera.save()
    assert _due(camera) == far  # a save that changes nothing of the schedule keeps its place
    camera.capture_interval = 3000
    camera.save()
    assert _due(camera) == far  # still within the new interval
    camera.capture_interval = 5
    camera.save()
    assert _due(camera) <= timezone.now() + timedelta(seconds=5)  # the admin's shorter interval applies now


def test_due_cameras_are_queued_once_and_advance_by_their_interval(queue):
    now = timezone.now()
    fast = CameraFactory(capture_interval=5)
    slow = CameraFactory(capture_interval=60)
    later = CameraFactory(capture_interval=5)
    push = CameraFactory(capture_mode=Camera.CaptureMode.PUSH)
    off = CameraFactory(capture_interval=5, enabled=False)
    Camera.objects.filter(pk__in=[fast.pk, slow.pk]).update(capture_due_at=now - timedelta(seconds=1))
    Camera.objects.filter(pk=later.pk).update(capture_due_at=now + timedelta(seconds=3))
    Camera.objects.filter(pk__in=[push.pk, off.pk]).update(capture_due_at=now - timedelta(seconds=1))  # stale

    assert captures_dispatch_due(now=now) == 2
    assert queue() == sorted([fast.pk, slow.pk])
    # The cadence: due + interval, not now + interval (a tick a second late does not drift the camera).
    assert _due(fast) == now - timedelta(seconds=1) + timedelta(seconds=5)
    assert _due(slow) == now - timedelta(seconds=1) + timedelta(seconds=60)
    assert captures_dispatch_due(now=now) == 0 and queue() == []  # nothing twice

    assert captures_dispatch_due(now=now + timedelta(seconds=4)) == 2  # fast again, and later
    assert queue() == sorted([fast.pk, later.pk])


def test_cameras_far_behind_are_captured_once_and_keep_their_place_in_the_interval(queue):
    now = timezone.now()
    early, late = CameraFactory(capture_interval=5), CameraFactory(capture_interval=5)
    # Beat or the broker was away ten minutes; the two cameras were spread 2 s apart over their interval.
    Camera.objects.filter(pk=early.pk).update(capture_due_at=now - timedelta(minutes=10, seconds=2))
    Camera.objects.filter(pk=late.pk).update(capture_due_at=now - timedelta(minutes=10))
    assert captures_dispatch_due(now=now) == 2
    assert queue() == sorted([early.pk, late.pk])  # one capture each, not the 120 they missed
    # Their next slots after now in their own phase: still 2 s apart, not both at now + 5 s for good.
    assert _due(early) == now + timedelta(seconds=3)
    assert _due(late) == now + timedelta(seconds=5)


def test_a_lock_left_by_a_stalled_redis_does_not_stop_its_own_dispatcher(queue):
    """A SET sent into a stalled Redis is carried out when it wakes, after the client gave up: the lock is
    the dispatcher's own then, and the next tick takes it back instead of leaving the city uncaptured 30 s."""
    now = timezone.now()
    camera = CameraFactory(capture_interval=5)
    Camera.objects.filter(pk=camera.pk).update(capture_due_at=now)
    redis_client().set(DISPATCH_LOCK_KEY, _DISPATCHER, px=30_000)
    assert captures_dispatch_due(now=now) == 1 and queue() == [camera.pk]
    assert not redis_client().exists(DISPATCH_LOCK_KEY)


def test_a_camera_in_back_off_waits_and_goes_when_its_back_off_ends(queue):
    now = timezone.now()
    camera = CameraFactory(capture_interval=5)
    Camera.objects.filter(pk=camera.pk).update(capture_due_at=now, next_capture_at=now + timedelta(seconds=40))
    assert captures_dispatch_due(now=now) == 0
    assert captures_dispatch_due(now=now + timedelta(seconds=41)) == 1 and queue() == [camera.pk]


def test_one_dispatcher_at_a_time_and_a_cap_per_tick(queue, settings):
    now = timezone.now()
    cameras = [CameraFactory(capture_interval=5) for _ in range(5)]
    Camera.objects.filter(pk__in=[c.pk for c in cameras]).update(capture_due_at=now)
    redis_client().set(DISPATCH_LOCK_KEY, "another-host:1:ab", px=30_000)  # another beat is dispatching
    assert captures_dispatch_due(now=now) == 0 and queue() == []
    redis_client().delete(DISPATCH_LOCK_KEY)

    settings.CAPTURE_DISPATCH_MAX = 3
    assert captures_dispatch_due(now=now) == 3
    assert captures_dispatch_due(now=now) == 2  # the rest at the next tick
    assert len(queue()) == 5
    assert not redis_client().exists(DISPATCH_LOCK_KEY)  # released


def test_a_capture_message_expires_after_one_interval(queue):
    camera = CameraFactory(capture_interval=7)
    Camera.objects.filter(pk=camera.pk).update(capture_due_at=timezone.now())
    captures_dispatch_due()
    [raw] = redis_client().lrange("capture", 0, -1)
    message = json.loads(raw)
    assert message["headers"]["task"] == "cameras.tasks.capture_camera"
    assert message["headers"]["expires"] is not None  # a capture not started in time is dropped
