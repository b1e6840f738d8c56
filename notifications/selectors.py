"""Reads about notifications: which channels hear of an event, what is waiting to be sent."""

from __future__ import annotations

import logging
from datetime import datetime

from core.isolation import is_outage
from events.models import Event
from events.rules import hours_contain
from notifications.models import SEVERITY_ORDER, Notification, NotificationChannel

logger = logging.getLogger(__name__)


def channel_accepts(channel: NotificationChannel, event: Event, reason: str, at: datetime,
                    camera_ids: set[int] | None = None) -> bool:  # fmt: skip
    """Whether ``channel``'s filters let ``event`` through for ``reason`` at ``at``."""
    if not channel.enabled:
        return False
    if reason == Notification.Reason.OPENED and not channel.on_open:
        return False
    if reason == Notification.Reason.ESCALATED and not channel.on_escalation:
        return False
    if SEVERITY_ORDER.index(event.severity) < SEVERITY_ORDER.index(channel.min_severity):
        return False
    if channel.labels and event.label not in channel.labels:
        return False
    if camera_ids is None:
        camera_ids = {c.pk for c in channel.cameras.all()}
    districts = {d.strip().lower() for d in channel.districts}
    if camera_ids or districts:
        in_district = bool(event.camera.district) and event.camera.district.strip().lower() in districts
        if event.camera_id not in camera_ids and not in_district:
            return False
    return hours_contain(channel.active_from, channel.active_until, at)


def channels_for(event: Event, reason: str, at: datetime) -> list[NotificationChannel]:
    """The enabled channels that must hear of ``event`` for ``reason`` now (few rows: one query + cameras)."""
    channels = NotificationChannel.objects.filter(enabled=True).prefetch_related("cameras")
    accepting = []
    for channel in channels:
        try:
            if channel_accepts(channel, event, reason, at, camera_ids={c.pk for c in channel.cameras.all()}):
                accepting.append(channel)
        except Exception as exc:
            if is_outage(exc):
                raise
            # A channel whose filters cannot be read (written past validation) is left out, logged; the event
            # still opens and the other channels still hear of it.
            logger.exception("notification channel %s skipped: its filters cannot be applied", channel.pk)
    return accepting


def notifications_failed_count() -> int:
    """Notifications that ran out of attempts: the admin shows them until someone retries or deletes them.

    Not a *Send test* that failed: its answer was shown to whoever sent it, and no alert was lost."""
    failed = Notification.objects.filter(status=Notification.Status.FAILED)
    return failed.exclude(reason=Notification.Reason.TEST).count()
