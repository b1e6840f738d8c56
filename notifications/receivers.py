"""What the notifications app does when an event changes: an opened event owes a message to every channel
whose filters accept it (planned in the event's transaction, sent after the commit)."""

from __future__ import annotations

from events.models import Event
from notifications.models import Notification
from notifications.services import notifications_plan


def event_opened_notify(sender, *, event: Event, **kwargs) -> None:
    """``event_opened``: plan the notifications it owes (updates that follow notify nobody)."""
    notifications_plan(event=event, reason=Notification.Reason.OPENED)
