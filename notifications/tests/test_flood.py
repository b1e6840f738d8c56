"""End to end through a real Celery worker: a flood of frames on one threat → one message per channel,
a receiver's 500 retried until its 200, then one escalation; real HTTP and SMTP receivers."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from detection.pipeline import frames_analyse
from detection.tests.frames import photo
from events.tests.scenes import crowd_event
from notifications.models import Notification, NotificationChannel
from notifications.services import events_escalate, notification_deliver
from notifications.tests.receivers import SmtpServer, WebhookReceiver
from vigilsite.testing import wait_until

SECRET = "a-webhook-secret-of-enough-length"


def all_sent(count: int) -> bool:
    states = list(Notification.objects.values_list("status", flat=True))
    return len(states) == count and set(states) == {"sent"}


def states() -> str:
    return f"notifications: {list(Notification.objects.values_list('channel__name', 'reason', 'status'))}"


@pytest.mark.slow
def test_a_flood_of_updates_sends_one_message_per_channel_and_one_escalation(celery_workers, offline_model):
    with WebhookReceiver(statuses=(500, 200)) as receiver, SmtpServer() as smtp:
        worker = celery_workers(
            "notify", queue="default", concurrency=2, VIGIL_NOTIFY_RETRY_SECONDS="0.5",
            VIGIL_EMAIL_HOST="127.0.0.1", VIGIL_EMAIL_PORT=str(smtp.port),
        )  # fmt: skip
        hook = NotificationChannel.objects.create(name="Control room", kind="webhook", url=receiver.url,
                                                  secret=SECRET, on_escalation=True)  # fmt: skip
        NotificationChannel.objects.create(name="Duty officers", kind="email", recipients="duty@city.example")

        event = crowd_event()  # the first frame opens the event
        frames_analyse([(event.camera, photo("bus.jpg")) for _ in range(24)])  # … and 24 more update it

        event.refresh_from_db()
        assert event.hit_count == 25
        wait_until(lambda: all_sent(2), 60, lambda: states() + worker.log_path.read_text()[-3000:])
        assert receiver.count() == 2 and len(smtp.messages) == 1  # the 500, its retry; one email
        assert [r.answered for r in receiver.received] == [500, 200]
        opened = Notification.objects.get(channel=hook, reason="opened")
        assert list(opened.deliveries.values_list("attempt", "status", "response_code")) == [
            (1, "retry", 500), (2, "sent", 200),
        ]  # fmt: skip

        # Still new five minutes on (a controllable clock, not a sleep): escalated, once.
        later = event.created_at + timedelta(minutes=5)
        event.rule.escalate_after_minutes = 5
        event.rule.save()
        assert events_escalate(now=later) == [event]
        frames_analyse([(event.camera, photo("bus.jpg")) for _ in range(8)])
        assert events_escalate(now=later + timedelta(minutes=1)) == []
        wait_until(lambda: all_sent(3), 60, states)

        types = [json.loads(r.body)["type"] for r in receiver.received]
        assert types == ["event.opened", "event.opened", "event.escalated"]
        assert len(smtp.messages) == 1  # the email channel does not take escalations
        # A task delivered twice (a worker lost after sending) finds the notification sent: nothing goes out.
        assert notification_deliver(notification_id=opened.pk) is None
        assert receiver.count() == 3
