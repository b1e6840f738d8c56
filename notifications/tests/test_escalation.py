"""Escalation on a controllable clock (``now`` is passed in), and which channels hear of what."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from cameras.tests.factories import CameraFactory
from events.models import Event
from events.tests.scenes import crowd_event
from events.workflow import event_transition
from notifications.models import Notification, NotificationChannel
from notifications.selectors import channel_accepts
from notifications.services import events_escalate

SECRET = "a-webhook-secret-of-enough-length"


def channel(name: str, **options) -> NotificationChannel:
    made = NotificationChannel(name=name, kind="webhook", url="http://127.0.0.1:9/hook", secret=SECRET, **options)
    made.full_clean()
    made.save()
    return made


def escalating_event(minutes: int = 5) -> Event:
    event = crowd_event()
    event.rule.escalate_after_minutes = minutes
    event.rule.save()
    return event


@pytest.mark.django_db
def test_an_event_still_new_after_the_rules_minutes_is_escalated_once(offline_model):
    control_room = channel("Control room")  # on opening only (the default)
    supervisor = channel("Supervisor pager", on_open=False, on_escalation=True)
    event = escalating_event(minutes=5)
    opened = event.created_at

    assert events_escalate(now=opened + timedelta(minutes=4, seconds=59)) == []
    assert events_escalate(now=opened + timedelta(minutes=5)) == [event]
    assert events_escalate(now=opened + timedelta(minutes=6)) == []  # once, however often beat asks
    assert events_escalate(now=opened + timedelta(hours=3)) == []

    owed = Notification.objects.filter(event=event).order_by("channel__name")
    assert [(n.channel.name, n.reason) for n in owed] == [("Control room", "opened"), ("Supervisor pager", "escalated")]
    event.refresh_from_db()
    assert event.escalated_at == opened + timedelta(minutes=5) and event.status == "new"
    assert control_room.notifications.count() == 1 and supervisor.notifications.count() == 1


@pytest.mark.django_db
def test_an_acknowledged_event_is_not_escalated(offline_model, make_user):
    channel("Supervisor pager", on_open=False, on_escalation=True)
    event = escalating_event(minutes=5)
    event_transition(event=event, action="acknowledge", user=make_user("olga", "Operators"))

    assert events_escalate(now=event.created_at + timedelta(minutes=30)) == []
    assert not Notification.objects.filter(reason="escalated").exists()


@pytest.mark.django_db
def test_a_rule_without_escalation_time_never_escalates(offline_model):
    channel("Supervisor pager", on_open=False, on_escalation=True)
    event = crowd_event()

    assert events_escalate(now=event.created_at + timedelta(days=2)) == []


@pytest.mark.django_db
def test_a_channel_hears_only_what_its_filters_let_through(offline_model):
    event = crowd_event()  # critical, label person, camera "Bus stop" (no district)
    other = CameraFactory(name="Harbour", district="Port")
    noon = datetime(2026, 11, 22, 12, 0, tzinfo=ZoneInfo("UTC"))
    cases = {
        "everything": (channel("everything"), True),
        "disabled": (channel("disabled", enabled=False), False),
        "critical only": (channel("critical only", min_severity="critical"), True),
        "person_down only": (channel("person_down only", labels=["person_down"]), False),
        "person": (channel("person", labels=["person"]), True),
        "Port district": (channel("Port district", districts=["Port"]), False),
        "escalations only": (channel("escalations only", on_open=False, on_escalation=True), False),
        "night shift": (channel("night shift", active_from=time(22), active_until=time(6)), False),
    }
    by_camera = channel("this camera")
    by_camera.cameras.add(event.camera)
    harbour = channel("harbour camera")
    harbour.cameras.add(other)
    cases |= {"this camera": (by_camera, True), "harbour camera": (harbour, False)}

    decided = {name: channel_accepts(c, event, "opened", noon) for name, (c, _) in cases.items()}

    assert decided == {name: expected for name, (_, expected) in cases.items()}
    night = datetime(2026, 11, 22, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert channel_accepts(cases["night shift"][0], event, "opened", night) is True
    assert channel_accepts(cases["escalations only"][0], event, "escalated", noon) is True
    info_event = Event(severity="info", label="person", camera=event.camera)
    assert channel_accepts(cases["critical only"][0], info_event, "opened", noon) is False


@pytest.mark.django_db
def test_a_camera_going_offline_notifies_channels_that_want_system_events(offline_model):
    from events.services import event_open_system

    wants = channel("Technicians", labels=["camera_offline"], min_severity="medium")
    camera = CameraFactory(name="Depot")

    event = event_open_system(camera=camera, label="camera_offline", title="Depot offline", detail="refused",
                              severity="high")  # fmt: skip
    again = event_open_system(camera=camera, label="camera_offline", title="Depot offline", detail="still refused",
                              severity="high")  # fmt: skip

    assert again == event
    assert list(wants.notifications.values_list("event_id", "reason")) == [(event.pk, "opened")]


@pytest.mark.django_db
def test_an_event_whose_dates_overflow_is_skipped_and_the_others_are_still_escalated(offline_model, caplog):
    pager = channel("Supervisor pager", on_open=False, on_escalation=True)
    good = escalating_event(minutes=5)
    bad = crowd_event(camera_name="Quay")  # the same rule, newer: the pass meets it first
    # A date at the end of the calendar (written by the shell or a clock gone wrong): +5 min overflows.
    Event.objects.filter(pk=bad.pk).update(created_at=datetime.max.replace(tzinfo=ZoneInfo("UTC")))

    assert events_escalate(now=good.created_at + timedelta(minutes=10)) == [good]

    assert list(pager.notifications.values_list("event", flat=True)) == [good.pk]
    assert f"event {bad.pk} skipped by the escalation pass" in caplog.text


@pytest.mark.django_db
def test_a_channel_whose_filters_cannot_be_read_is_skipped_and_the_event_still_opens(offline_model, caplog):
    working = channel("Control room")
    broken = channel("Old pager")
    NotificationChannel.objects.filter(pk=broken.pk).update(districts=[5])  # past validation: not a name

    event = crowd_event()

    assert list(Notification.objects.filter(event=event).values_list("channel", flat=True)) == [working.pk]
    assert f"notification channel {broken.pk} skipped" in caplog.text
