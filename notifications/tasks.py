"""Celery tasks of notifications (``default`` queue): send one, escalate, resume what was not carried."""

from celery import shared_task
from django.db import DatabaseError

from notifications.services import events_escalate, notification_deliver, notifications_enqueue, notifications_resume


@shared_task(
    name="notifications.tasks.deliver_notification",
    ignore_result=True,
    # The database away (restarting): try again soon; past these, the resume pass picks it up.
    autoretry_for=(DatabaseError,),
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=8,
)
def deliver_notification(notification_id: int) -> None:
    """Send one notification; a failed attempt (or the channel's rate limit) queues the next with its delay."""
    delay = notification_deliver(notification_id=notification_id)
    if delay is not None:
        notifications_enqueue([notification_id], countdown=delay)


@shared_task(name="notifications.tasks.escalate_events", ignore_result=True)
def escalate_events() -> None:
    """Escalate the events still new past their rule's time (beat, every few seconds)."""
    events_escalate()


@shared_task(name="notifications.tasks.resume_notifications", ignore_result=True)
def resume_notifications() -> None:
    """Queue due notifications that no task carries (the broker restarted, a message was lost)."""
    notifications_resume()
