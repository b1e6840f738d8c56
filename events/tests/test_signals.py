"""The signals between the floors: a camera's health change reaches events and the map, an event's
changes reach notifications and the map, inside the sender's transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone

from cameras.models import Camera
from cameras.services import camera_record_failure
from cameras.signals import camera_status_changed
from cameras.tests.factories import CameraFactory
from core.broadcast import EVENTS_GROUP, broadcasts_flush
from events.models import Event
from events.services import event_open_system
from events.signals import event_closed, event_status_changed
from events.workflow import event_transition
from notifications.models import Notification, NotificationChannel

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent() -> Callable[[], list[str]]:
    """The kinds that reached the live sockets' group on the real channel layer (the test run's Redis),
    read by a channel of our own that joins the group: ``sent()`` waits for the outbox to empty and
    returns the kinds in the order they arrived."""
    layer = get_channel_layer()
    loop = asyncio.new_event_loop()  # one loop throughout: the pub/sub layer's channels live in theirs
    broadcasts_flush()  # what earlier tests queued goes before we listen
    channel = loop.run_until_complete(layer.new_channel())
    loop.run_until_complete(layer.group_add(EVENTS_GROUP, channel))

    async def drain() -> list[str]:
        kinds = []
        while True:
            try:
                message = await asyncio.wait_for(layer.receive(channel), timeout=1)
            except TimeoutError:  # nothing more came: every queued message was delivered before
                return kinds
            kinds.append(message["payload"]["type"])

    def read() -> list[str]:
        assert broadcasts_flush(), "the outbox did not empty"
        return loop.run_until_complete(drain())

    yield read
    loop.run_until_complete(layer.group_discard(EVENTS_GROUP, channel))
    loop.close()  # channels_redis closes this loop's layer with it


def test_a_camera_going_offline_tells_its_listeners_once_per_change(settings, sent, django_capture_on_commit_callbacks):
    settings.CAMERA_OFFLINE_AFTER_FAILURES = 2
    camera = CameraFactory(status=Camera.Status.ONLINE)
    changes = []

    def listener(sender, *, camera: Camera, previous: str, **kwargs) -> None:
        changes.append((previous, camera.status))

    camera_status_changed.connect(listener, dispatch_uid="test-camera-status")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            for _ in range(3):
                camera_record_failure(camera=camera, error="refused", started_at=timezone.now())
    finally:
        camera_status_changed.disconnect(dispatch_uid="test-camera-status")

    assert changes == [("online", "degraded"), ("degraded", "offline")]  # the third failure changed nothing
    offline = Event.objects.get(camera=camera, label="camera_offline")  # events listened
    assert offline.status == Event.Status.NEW
    assert sent() == ["camera.status", "event.opened", "camera.status"]  # livemap listened


def test_the_notifications_an_event_owes_roll_back_with_it():
    NotificationChannel.objects.create(name="Control room", kind="webhook", url="http://127.0.0.1:9/hook",
                                       secret="a-webhook-secret-of-enough-length")  # fmt: skip
    camera = CameraFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        event_open_system(camera=camera, label="camera_offline", title="Quay offline", detail="", severity="high")
        assert Notification.objects.filter(event__camera=camera).count() == 1  # planned in the event's transaction
        raise RuntimeError("the frame's transaction fails after the event opened")
    assert not Event.objects.exists() and not Notification.objects.exists()


def test_an_operators_steps_are_status_changes_and_the_last_one_closes(
    make_user, sent, django_capture_on_commit_callbacks
):
    olga = make_user("olga", "Operators")
    camera = CameraFactory()
    event = event_open_system(camera=camera, label="camera_offline", title="Quay offline", detail="", severity="high")
    heard = []
    event_status_changed.connect(lambda sender, *, event, previous, user, **kw: heard.append((previous, event.status)),
                                 dispatch_uid="test-status", weak=False)  # fmt: skip
    event_closed.connect(lambda sender, *, event, user, **kw: heard.append(("closed", user.username)),
                         dispatch_uid="test-closed", weak=False)  # fmt: skip
    try:
        with django_capture_on_commit_callbacks(execute=True):
            event_transition(event=event, action="acknowledge", user=olga)
            event_transition(event=event, action="resolve", user=olga, note="Cable replaced")
    finally:
        event_status_changed.disconnect(dispatch_uid="test-status")
        event_closed.disconnect(dispatch_uid="test-closed")
    assert heard == [("new", "acknowledged"), ("acknowledged", "resolved"), ("closed", "olga")]
    assert sent() == ["event.status", "event.status"]
