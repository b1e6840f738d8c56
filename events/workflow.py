"""How operators work an event to closure: the allowed transitions, in one place.

The admin, the API and the live map all call ``event_transition``; each call writes an
immutable ``EventAction`` and tells map viewers after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from core.stored_text import english, stored
from events.models import SNOOZE_MINUTES_MAX, TRANSITIONS, Event, EventAction, RuleSnooze, ThreatRule
from events.rules import rules_changed
from events.signals import event_closed, event_status_changed

Action = EventAction.Action
Status = Event.Status


class TransitionRefused(Exception):
    """The action is not allowed from the event's current status, or lacks what it needs."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
        raise TransitionRefused(gettext("Unknown action %(action)r.") % {"action": action})
    transition = TRANSITIONS[action]
    # Lock the row: two operators clicking at once must not both acknowledge.
    event = Event.objects.select_for_update(of=("self",)).select_related("camera", "assignee").get(pk=event.pk)
    label = Action(action).label.lower()
    if event.status not in transition.sources:
        raise TransitionRefused(
            gettext("Event #%(id)s is %(status)s; it cannot %(action)s.")
            % {"id": event.pk, "status": event.get_status_display().lower(), "action": label}
        )
    note = note.strip()
    if transition.note_required and not note:
        if action == Action.NOTE:
            raise TransitionRefused(gettext("Write the note to add to event #%(id)s.") % {"id": event.pk})
        raise TransitionRefused(
            gettext("To %(action)s event #%(id)s, say why in a note.") % {"action": label, "id": event.pk}
        )
    dispatched_to = dispatched_to.strip()
    if action == Action.DISPATCH and not dispatched_to:
        raise TransitionRefused(
            gettext("To dispatch event #%(id)s, say which unit or person is sent.") % {"id": event.pk}
        )

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
    event_status_changed.send(sender=Event, event=event, previous=previous, user=user)
    if previous in Event.OPEN_STATUSES and event.status not in Event.OPEN_STATUSES:
        event_closed.send(sender=Event, event=event, user=user)
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


# -- relief from a false alarm that keeps coming back -------------------------------------------------

SNOOZE_CHOICES = [15, 30, 60, 240, 480]  # minutes offered; the API takes any up to SNOOZE_MINUTES_MAX
NOTE_MAX = 2000  # as the workflow's note boxes and the API say


@transaction.atomic
def rule_snooze(*, event: Event, minutes: int, user: AbstractBaseUser | None, note: str) -> RuleSnooze:
    """Silence the rule that opened ``event`` on its camera for ``minutes``: no new events from it there
    until then (other rules and cameras go on); said in the event's history."""
    event = Event.objects.select_for_update(of=("self",)).select_related("camera", "rule").get(pk=event.pk)
    if event.rule_id is None or event.camera_id is None:
        raise TransitionRefused(
            gettext("Event #%(id)s came from no threat rule: there is no rule to snooze.") % {"id": event.pk}
        )
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= SNOOZE_MINUTES_MAX:
        raise TransitionRefused(gettext("Snooze for 1 to %(most)d minutes.") % {"most": SNOOZE_MINUTES_MAX})
    note = note.strip()
    if not note:
        raise TransitionRefused(
            gettext("To snooze “%(rule)s” on “%(camera)s”, say why in a note.")
            % {"rule": event.rule, "camera": event.camera}
        )
    if len(note) > NOTE_MAX:
        raise TransitionRefused(
            gettext("The note is %(length)d characters long; %(most)d at most.")
            % {"length": len(note), "most": NOTE_MAX}
        )
    until = timezone.now() + timedelta(minutes=minutes)
    snooze = RuleSnooze.objects.create(rule=event.rule, camera=event.camera, until=until, user=user, event=event,
                                       note=note)  # fmt: skip
    said = stored("rule_snoozed", rule=str(event.rule), camera=str(event.camera), minutes=minutes,
                  until=f"{timezone.localtime(until):%H:%M}", note=note)  # fmt: skip
    EventAction.objects.create(event=event, action=Action.SNOOZE, from_status=event.status, to_status=event.status,
                               user=user, note=english(said), texts={"note": said})  # fmt: skip
    return snooze


@transaction.atomic
def rule_snooze_end(*, snooze: RuleSnooze, user: AbstractBaseUser | None) -> bool:
    """End a snooze now (the rule fires again on the next frame); False if it had ended already."""
    now = timezone.now()
    ended = RuleSnooze.objects.filter(pk=snooze.pk, until__gt=now).update(until=now)
    if ended:
        rules_changed()  # an update() sends no signal: the detect workers' rule caches must hear of it
    if ended and snooze.event_id:
        event = Event.objects.get(pk=snooze.event_id)
        said = stored("snooze_ended_early", rule=str(snooze.rule), camera=str(snooze.camera))
        EventAction.objects.create(event=event, action=Action.SNOOZE, from_status=event.status,
                                   to_status=event.status, user=user, note=english(said),
                                   texts={"note": said})  # fmt: skip
    return bool(ended)


def rule_tuned_record(*, event: Event, rule: ThreatRule, changes: dict[str, tuple], user) -> EventAction | None:
    """Say in ``event``'s history that its rule was tuned from it, and how (field: before → after)."""
    # A form may call a field changed whose value reads the same (a list typed back as text): not a change.
    said = "; ".join(
        f"{name}: {_shown(before)} → {_shown(after)}"
        for name, (before, after) in changes.items()
        if _shown(before) != _shown(after)
    )
    if not said:
        return None
    tuned = stored("rule_tuned", rule=str(rule), changes=said[:1800])  # the field names, as the API spells them
    return EventAction.objects.create(event=event, action=Action.TUNE, from_status=event.status,
                                      to_status=event.status, user=user, note=english(tuned)[:2000],
                                      texts={"note": tuned})  # fmt: skip


def _shown(value) -> str:
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(str(getattr(v, "name", v)) for v in value)
    return str(value)
