"""The one service that moves events through their workflow."""

from __future__ import annotations

import pytest

from events.models import Event, EventAction
from events.services import event_close_system
from events.tests.factories import EventFactory
from events.workflow import TransitionRefused, event_transition

pytestmark = pytest.mark.django_db


@pytest.fixture
def event() -> Event:
    return EventFactory(camera__name="Quay")


def test_each_action_moves_the_status_and_writes_history(event, make_user):
    olga = make_user("olga", "Operators")
    event_transition(event=event, action="acknowledge", user=olga)
    event_transition(event=event, action="dispatch", user=olga, dispatched_to="Unit 7", note="On foot")
    event_transition(event=event, action="resolve", user=olga, note="Cable replaced")
    event_transition(event=event, action="reopen", user=olga)
    event = event_transition(event=event, action="false_alarm", user=olga, note="Test by the vendor")

    steps = list(EventAction.objects.filter(event=event).values_list("action", "from_status", "to_status"))
    assert steps == [
        ("acknowledge", "new", "acknowledged"),
        ("dispatch", "acknowledged", "dispatched"),
        ("resolve", "dispatched", "resolved"),
        ("reopen", "resolved", "acknowledged"),
        ("false_alarm", "acknowledged", "false_alarm"),
    ]
    assert EventAction.objects.get(action="dispatch").dispatched_to == "Unit 7"
    assert (event.status, event.assignee, event.resolution_note) == ("false_alarm", olga, "Test by the vendor")
    assert event.resolved_at is not None


@pytest.mark.parametrize(
    ("action", "fields", "message"),
    [
        ("resolve", {}, "say why in a note"),
        ("false_alarm", {"note": "   "}, "say why in a note"),
        ("dispatch", {}, "which unit or person"),
        ("reopen", {}, "is new; it cannot reopen"),
        ("teleport", {}, "Unknown action"),
    ],
)
def test_refused_actions_change_nothing(event, make_user, action, fields, message):
    with pytest.raises(TransitionRefused, match=message):
        event_transition(event=event, action=action, user=make_user("olga", "Operators"), **fields)
    event.refresh_from_db()
    assert event.status == "new"
    assert not EventAction.objects.exists()


def test_an_event_is_acknowledged_once(event, make_user):
    event_transition(event=event, action="acknowledge", user=make_user("olga", "Operators"))
    with pytest.raises(TransitionRefused, match="is acknowledged; it cannot acknowledge"):
        # A second operator still holding the old copy of the event.
        event_transition(event=event, action="acknowledge", user=make_user("omar", "Operators"))
    assert EventAction.objects.count() == 1


def test_the_allowed_actions_follow_the_status(event):
    assert event.actions_allowed() == ["acknowledge", "dispatch", "resolve", "false_alarm", "note"]
    event.status = Event.Status.RESOLVED
    assert event.actions_allowed() == ["reopen", "note"]


def test_a_note_keeps_the_status_and_must_say_something(event, make_user):
    olga = make_user("olga", "Operators")
    with pytest.raises(TransitionRefused, match="Write the note"):
        event_transition(event=event, action="note", user=olga, note=" ")
    event = event_transition(event=event, action="note", user=olga, note="Seen from the bridge too")
    step = EventAction.objects.get()
    assert (event.status, step.from_status, step.to_status) == ("new", "new", "new")
    assert step.note == "Seen from the bridge too" and event.assignee is None


def test_a_system_close_is_written_in_the_history_by_the_system_with_its_reason(event, make_user):
    olga = make_user("olga", "Operators")
    event_transition(event=event, action="acknowledge", user=olga)

    assert event_close_system(camera=event.camera, label="camera_offline", note="The camera sends frames again.") == 1

    event.refresh_from_db()
    step = EventAction.objects.filter(event=event).last()
    assert (step.action, step.from_status, step.to_status) == ("resolve", "acknowledged", "resolved")
    assert step.user is None  # nobody clicked: Vigil closed it
    assert step.note == "Resolved by Vigil: The camera sends frames again."
    assert event.status == "resolved" and event.resolution_note == "The camera sends frames again."
