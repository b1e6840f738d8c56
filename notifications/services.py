"""Writes about notifications: plan them with the event (one transaction), send, retry, escalate.

The notification rows are written in the same transaction as the event they are about (an
outbox): if the commit happens, the message is owed, even when the broker is down at that
moment. The task queued after the commit only makes it fast; ``notifications_resume`` (beat)
sends whatever no task picked up.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from core.isolation import is_outage
from events.models import Event
from notifications import senders
from notifications.models import Delivery, Notification, NotificationChannel
from notifications.selectors import channels_for

logger = logging.getLogger(__name__)
# Named, not imported: the tasks module imports this one (notifications/tasks.py).
DELIVER_TASK = "notifications.tasks.deliver_notification"

RATE_WINDOW = timedelta(minutes=1)


def notifications_plan(*, event: Event, reason: str, now: datetime | None = None) -> list[Notification]:
    """Owe ``event`` to every channel whose filters accept it; a channel already owed it is skipped.

    Call inside the transaction that opens (or escalates) the event; sending starts after the commit.
    """
    now = now or timezone.now()
    planned = []
    for channel in channels_for(event, reason, now):
        try:
            with transaction.atomic():  # a savepoint: a duplicate must not break the caller's transaction
                planned.append(
                    # Due at once (the real clock: ``now`` may be a test's or a late beat pass's).
                    Notification.objects.create(
                        channel=channel, event=event, reason=reason, next_attempt_at=timezone.now()
                    )
                )
        except IntegrityError:
            continue  # already owed (a redelivered task, a second escalation pass): one message each
    if planned:
        ids = [n.pk for n in planned]
        transaction.on_commit(lambda: notifications_enqueue(ids), robust=True)
    return planned


def notifications_enqueue(ids: list[int], *, countdown: float = 0) -> None:
    """Queue a send task per notification; with the broker down they wait for ``notifications_resume``."""
    for pk in ids:
        try:
            current_app.send_task(DELIVER_TASK, (pk,), countdown=countdown, retry=False)
        except Exception as exc:  # the broker is unreachable: the row stays pending, the sweep sends it
            logger.warning("notification %s not queued (%s); it is sent by the next resume pass", pk, exc)
            return


def retry_delay(attempt: int) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1, 2, …): doubling, capped."""
    return min(settings.NOTIFY_RETRY_SECONDS * 2 ** (attempt - 1), settings.NOTIFY_RETRY_MAX_SECONDS)


def notification_deliver(*, notification_id: int, now: datetime | None = None) -> float | None:
    """Try to send one notification now if it is due; returns the seconds until it should be tried again.

    ``None`` when there is nothing more to do (sent, failed for good, gone, or another worker has it).
    """
    now = now or timezone.now()
    notification = _claim(notification_id, now)
    if notification is None:
        return None
    if isinstance(notification, float):
        return notification  # the channel's rate limit: wait, nothing was attempted
    attempt = notification.attempts + 1
    started = time.monotonic()
    try:
        result = senders.send(notification, attempt=attempt, now=now)
    except Exception as exc:
        # Whatever went wrong (an illegal header, a bug, a broken snapshot file), the attempt is recorded
        # as failed: the notification must never stay "sending" with no attempt to show.
        logger.exception("notification %s: sending raised", notification.pk)
        result = senders.SendResult(False, None, f"{type(exc).__name__}: {str(exc)[:300]}")
    duration_ms = int((time.monotonic() - started) * 1000)
    return _record(notification, attempt=attempt, result=result, now=now, duration_ms=duration_ms)


def _claim(notification_id: int, now: datetime) -> Notification | float | None:
    """Take the notification for this worker, unless the channel's rate limit says wait (a delay)."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("channel", "event__camera", "event__rule")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None:
            return None
        abandoned = notification.status == Notification.Status.SENDING and notification.claimed_until < now
        if notification.status not in Notification.WAITING and not abandoned:
            return None  # sent, failed, or being sent by another worker
        if notification.next_attempt_at > now:
            return (notification.next_attempt_at - now).total_seconds()
        channel = notification.channel
        if not channel.enabled and notification.reason != Notification.Reason.TEST:
            notification.status, notification.last_error = Notification.Status.FAILED, "channel disabled"
            notification.save(update_fields=["status", "last_error", "updated_at"])
            logger.error("notification %s not sent: channel %s is disabled", notification.pk, channel.name)
            return None
        wait = _rate_wait(channel, now) if notification.reason != Notification.Reason.TEST else 0.0
        if wait > 0:
            notification.next_attempt_at = now + timedelta(seconds=wait)
            notification.save(update_fields=["next_attempt_at", "updated_at"])
            return wait
        notification.status = Notification.Status.SENDING
        notification.claimed_until = now + timedelta(seconds=settings.NOTIFY_TIMEOUT_SECONDS * 3 + 30)
        notification.save(update_fields=["status", "claimed_until", "updated_at"])
        return notification


def _rate_wait(channel: NotificationChannel, now: datetime) -> float:
    """Seconds until ``channel`` may take one more message, counting those being sent right now."""
    if not channel.max_per_minute:
        return 0.0
    # Lock the channel row: two workers must not both take the last place in the window.
    NotificationChannel.objects.select_for_update().filter(pk=channel.pk).first()
    window = list(
        Delivery.objects.filter(channel=channel, created_at__gt=now - RATE_WINDOW)
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )
    sending = Notification.objects.filter(
        channel=channel, status=Notification.Status.SENDING, claimed_until__gte=now
    ).count()
    if len(window) + sending < channel.max_per_minute:
        return 0.0
    if not window:
        return 1.0
    index = max(0, len(window) + sending - channel.max_per_minute)
    return max(1.0, (window[min(index, len(window) - 1)] + RATE_WINDOW - now).total_seconds())


@transaction.atomic
def _record(notification: Notification, *, attempt: int, result: senders.SendResult, now: datetime,
            duration_ms: int) -> float | None:  # fmt: skip
    """Keep the attempt, move the notification on: sent, retry later, or failed for good (flagged)."""
    retry = None
    last_try = attempt - notification.round_start >= settings.NOTIFY_MAX_ATTEMPTS
    notification.last_error = result.error
    if result.ok:
        status, notification.status, notification.sent_at = Delivery.Status.SENT, Notification.Status.SENT, now
    elif last_try or notification.reason == Notification.Reason.TEST:  # a test is one try: its answer is the point
        status, notification.status = Delivery.Status.FAILED, Notification.Status.FAILED
        logger.error(
            "notification %s to channel %s failed for good after %s attempt(s): %s",
            notification.pk, notification.channel.name, attempt, result.error,
        )  # fmt: skip
    else:
        retry = retry_delay(attempt - notification.round_start)
        status, notification.status = Delivery.Status.RETRY, Notification.Status.RETRYING
        notification.next_attempt_at = now + timedelta(seconds=retry)
        logger.warning(
            "notification %s to channel %s: attempt %s failed (%s); next in %.0f s",
            notification.pk, notification.channel.name, attempt, result.error, retry,
        )  # fmt: skip
    Delivery.objects.create(
        notification=notification, channel=notification.channel, event=notification.event, attempt=attempt,
        status=status, response_code=result.code, error=result.error, duration_ms=duration_ms, created_at=now,
    )  # fmt: skip
    notification.attempts = attempt
    notification.claimed_until = None
    notification.save()
    return retry


def events_escalate(*, now: datetime | None = None) -> list[Event]:
    """Escalate the events still ``new`` past their rule's escalation time; each one once."""
    now = now or timezone.now()
    candidates = Event.objects.filter(
        status=Event.Status.NEW, escalated_at__isnull=True, rule__escalate_after_minutes__isnull=False
    ).select_related("rule", "camera")
    escalated = []
    for event in candidates:
        try:
            if _event_escalate(event, now=now):
                escalated.append(event)
        except Exception as exc:
            if is_outage(exc):
                raise  # the database is away: beat runs the pass again
            # One bad row (a date at the end of the calendar, say) must not stop the others' escalation.
            logger.exception("event %s skipped by the escalation pass", event.pk)
    return escalated


def _event_escalate(event: Event, *, now: datetime) -> bool:
    if event.created_at + timedelta(minutes=event.rule.escalate_after_minutes) > now:
        return False
    with transaction.atomic():
        # The conditional update claims the escalation: two beat passes (or an acknowledgement
        # landing now) cannot both win.
        claimed = Event.objects.filter(pk=event.pk, status=Event.Status.NEW, escalated_at__isnull=True).update(
            escalated_at=now
        )
        if claimed != 1:
            return False
        event.escalated_at = now
        notifications_plan(event=event, reason=Notification.Reason.ESCALATED, now=now)
    return True


def notifications_resume(*, now: datetime | None = None, grace: timedelta = timedelta(seconds=30)) -> int:
    """Queue the notifications that are due but that no task is carrying (broker restarted, lost message)."""
    now = now or timezone.now()
    overdue = Q(status__in=Notification.WAITING, next_attempt_at__lte=now - grace) | Q(
        status=Notification.Status.SENDING, claimed_until__lt=now
    )
    ids = list(Notification.objects.filter(overdue).values_list("pk", flat=True)[:500])
    notifications_enqueue(ids)
    return len(ids)


def channel_test_send(*, channel: NotificationChannel, now: datetime | None = None) -> Delivery:
    """Send a test message to ``channel`` at once (one attempt, recorded like any other); for the admin."""
    now = now or timezone.now()
    notification = Notification.objects.create(channel=channel, reason=Notification.Reason.TEST, next_attempt_at=now)
    notification_deliver(notification_id=notification.pk, now=now)
    return notification.deliveries.get()


@transaction.atomic
def notification_retry(*, notification: Notification, now: datetime | None = None) -> bool:
    """Give a failed notification a fresh round of attempts (after the receiver is fixed)."""
    now = now or timezone.now()
    updated = Notification.objects.filter(pk=notification.pk, status=Notification.Status.FAILED).update(
        status=Notification.Status.PENDING, next_attempt_at=now, round_start=F("attempts"), updated_at=now
    )
    if updated:
        transaction.on_commit(lambda: notifications_enqueue([notification.pk]), robust=True)
    return bool(updated)
