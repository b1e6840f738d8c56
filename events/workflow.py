"""How operators work an event to closure: the allowed transitions, in one place.

The admin, the API and the live map all call ``event_transition``; each call writes an
immutable ``EventAction`` and tells map viewers after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from events.broadcast import broadcast_on_commit
from events.models import Event, EventAction
from events.payloads import event_payload

Action = EventAction.Action
Status = Event.Status


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    target: str | None  # None: the status stays (a note for the record)
    note_required: bool = False


TRANSITIONS: dict[str, Transition] = {
    Action.ACKNOWLEDGE: Transition((Status.NEW,), Status.ACKNOWLEDGED),
    Action.DISPATCH: Transition((Status.NEW, Status.ACKNOWLEDGED), Status.DISPATCHED),
    Action.RESOLVE: Transition(Event.OPEN_STATUSES, Status.RESOLVED, note_required=True),
    Action.FALSE_ALARM: Transition(Event.OPEN_STATUSES, Status.FALSE_ALARM, note_required=True),
    Action.REOPEN: Transition((Status.RESOLVED, Status.FALSE_ALARM), Status.ACKNOWLEDGED),
    Action.NOTE: Transition(tuple(Status.values), None, note_required=True),
}


class TransitionRefused(Exception):
    """The action is not allowed from the event's current status, or lacks what it needs."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def actions_allowed(event: Event) -> list[str]:
    """The actions an operator may take on ``event`` now, in workflow order."""
    return [action for action, transition in TRANSITIONS.items() if event.status in transition.sources]


@transaction.atomic
def event_transition(
    *,
    event: Event,
    action: str,
    user: AbstractBaseUser | None,
    note: str = "",
    dispatched_to: str = "",
) -> Event:
    """Apply ``action`` to ``event`` if its status allows it; raises ``TransitionRefused`` otherwise."""
    if action not in TRANSITIONS:
        raise TransitionRefused(f"Unknown action {action!r}.")
    transition = TRANSITIONS[action]
    # Lock the row: two operators clicking at once must not both acknowledge.
    event = Event.objects.select_for_update(of=("self",)).select_related("camera", "assignee").get(pk=event.pk)
    label = Action(action).label.lower()
    if event.status not in transition.sources:
        raise TransitionRefused(f"Event #{event.pk} is {event.get_status_display().lower()}; it cannot {label}.")
    note = note.strip()
    if transition.note_required and not note:
        if action == Action.NOTE:
            raise TransitionRefused(f"Write the note to add to event #{event.pk}.")
        raise TransitionRefused(f"To {label} event #{event.pk}, say why in a note.")
    dispatched_to = dispatched_to.strip()
    if action == Action.DISPATCH and not dispatched_to:
        raise TransitionRefused(f"To dispatch event #{event.pk}, say which unit or person is sent.")

    previous = event.status
    event.status = transition.target or previous
    fields = ["status", "updated_at"]
    if user is not None and event.assignee_id is None and action in (Action.ACKNOWLEDGE, Action.DISPATCH):
        event.assignee = user
        fields.append("assignee")
    if action in (Action.RESOLVE, Action.FALSE_ALARM):
        event.resolved_at, event.resolution_note = timezone.now(), note
        fields += ["resolved_at", "resolution_note"]
    elif action == Action.REOPEN:
        event.resolved_at = None
        fields.append("resolved_at")
    event.save(update_fields=fields)
    EventAction.objects.create(
        event=event,
        action=action,
        from_status=previous,
        to_status=event.status,
        user=user,
        note=note,
        dispatched_to=dispatched_to,
    )
    broadcast_on_commit("event.status", event_payload(event))
    return event


@dataclass
class BulkOutcome:
    done: list[Event]
    refused: list[str]


def events_transition(*, events, action: str, user: AbstractBaseUser | None, note: str = "",
                      dispatched_to: str = "") -> BulkOutcome:  # fmt: skip
    """Apply one action to many events; each in its own transaction, so one refusal stops nothing."""
    outcome = BulkOutcome(done=[], refused=[])
    for event in events:
        try:
            outcome.done.append(
                event_transition(event=event, action=action, user=user, note=note, dispatched_to=dispatched_to)
            )
        except TransitionRefused as refusal:
            outcome.refused.append(refusal.message)
    return outcome
