"""Webhooks to a real local HTTP receiver: signed, documented shape, retried with backoff, flagged."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from pathlib import Path

import jsonschema
import pytest
from django.conf import settings

from events.tests.scenes import crowd_event
from notifications import signing
from notifications.models import Notification, NotificationChannel
from notifications.services import notification_deliver, notification_retry
from notifications.tests.receivers import WebhookReceiver
from vigilsite.testing import free_port

SCHEMA = json.loads((Path(settings.BASE_DIR) / "docs" / "webhook.schema.json").read_text())
SECRET = "a-webhook-secret-of-enough-length"


def webhook(url: str, **options) -> NotificationChannel:
    channel = NotificationChannel(name=options.pop("name", "Control room"), kind="webhook", url=url, secret=SECRET,
                                  **options)  # fmt: skip
    channel.full_clean()
    channel.save()
    return channel


def owed(channel: NotificationChannel, event) -> Notification:
    """The notification the event's opening planned for ``channel`` (the event was opened by the pipeline)."""
    return Notification.objects.get(channel=channel, event=event, reason="opened")


@pytest.mark.django_db
def test_a_webhook_arrives_signed_and_in_the_documented_shape(offline_model):
    with WebhookReceiver() as receiver:
        channel = webhook(receiver.url)
        event = crowd_event()
        notification = owed(channel, event)

        assert notification_deliver(notification_id=notification.pk) is None

    (call,) = receiver.received
    payload = json.loads(call.body)
    jsonschema.validate(payload, SCHEMA, format_checker=jsonschema.FormatChecker())
    assert payload["type"] == "event.opened" and payload["id"] == notification.pk and payload["attempt"] == 1
    assert payload["event"]["id"] == event.pk and payload["event"]["severity"] == "critical"
    assert payload["event"]["camera"]["name"] == "Bus stop"
    assert payload["event"]["recommended_actions"].startswith("Call the stop's warden.")
    assert payload["event"]["links"]["admin"].endswith(f"/admin/events/event/{event.pk}/change/")
    assert payload["event"]["links"]["map"].endswith(f"/map/#event-{event.pk}")
    # What a receiver does (docs/notifications.md): HMAC-SHA256 over "<timestamp>.<body>" with the secret.
    timestamp = call.headers["X-Vigil-Timestamp"]
    expected = "sha256=" + hmac.new(SECRET.encode(), f"{timestamp}.".encode() + call.body, hashlib.sha256).hexdigest()
    assert call.headers["X-Vigil-Signature"] == expected
    assert call.headers["X-Vigil-Notification"] == str(notification.pk)
    now = float(timestamp)
    header = call.headers["X-Vigil-Signature"]
    assert signing.signature_valid(secret=SECRET, timestamp=timestamp, body=call.body, header=header, now=now)
    assert not signing.signature_valid(secret="another-secret-entirely", timestamp=timestamp, body=call.body,
                                       header=header, now=now)  # fmt: skip
    tampered = call.body.replace(b'"critical"', b'"low"')
    assert not signing.signature_valid(secret=SECRET, timestamp=timestamp, body=tampered, header=header, now=now)
    assert not signing.signature_valid(secret=SECRET, timestamp=timestamp, body=call.body, header=header,
                                       now=now + 3600)  # a replay an hour later  # fmt: skip
    notification.refresh_from_db()
    assert notification.status == "sent"
    (delivery,) = notification.deliveries.all()
    assert (delivery.status, delivery.response_code, delivery.event_id, delivery.attempt) == ("sent", 200, event.pk, 1)


@pytest.mark.django_db
def test_a_receiver_answering_500_is_retried_with_backoff_until_it_answers_200(offline_model):
    with WebhookReceiver(statuses=(500, 200)) as receiver:
        channel = webhook(receiver.url)
        notification = owed(channel, crowd_event())
        now = notification.next_attempt_at

        first_wait = notification_deliver(notification_id=notification.pk, now=now)
        assert first_wait == settings.NOTIFY_RETRY_SECONDS
        notification.refresh_from_db()
        assert notification.status == "retrying" and "HTTP 500" in notification.last_error
        # Not due yet: asking again sends nothing and says how long to wait.
        assert notification_deliver(notification_id=notification.pk, now=now + timedelta(seconds=1)) > 0
        assert receiver.count() == 1

        assert notification_deliver(notification_id=notification.pk, now=now + timedelta(seconds=first_wait)) is None

    attempts = list(notification.deliveries.values_list("attempt", "status", "response_code"))
    assert attempts == [(1, "retry", 500), (2, "sent", 200)]
    first, second = (json.loads(r.body) for r in receiver.received)
    assert first["id"] == second["id"] == notification.pk  # receivers deduplicate on it
    assert (first["attempt"], second["attempt"]) == (1, 2)
    notification.refresh_from_db()
    assert notification.status == "sent" and notification.last_error == ""


@pytest.mark.django_db
def test_after_the_last_retry_the_notification_is_flagged_failed_and_can_be_retried(offline_model, settings):
    settings.NOTIFY_MAX_ATTEMPTS = 3
    with WebhookReceiver(statuses=(503,)) as receiver:
        channel = webhook(receiver.url)
        notification = owed(channel, crowd_event())
        now = notification.next_attempt_at
        waits = []
        while (wait := notification_deliver(notification_id=notification.pk, now=now)) is not None:
            waits.append(wait)
            now += timedelta(seconds=wait)

        assert waits == [settings.NOTIFY_RETRY_SECONDS, settings.NOTIFY_RETRY_SECONDS * 2]  # doubling
        notification.refresh_from_db()
        assert notification.status == "failed" and notification.attempts == 3 == receiver.count()
        assert list(notification.deliveries.values_list("status", flat=True)) == ["retry", "retry", "failed"]
        assert notification_deliver(notification_id=notification.pk, now=now + timedelta(days=1)) is None
        assert receiver.count() == 3  # failed stays failed: nothing is sent behind the operator's back

        # The receiver is repaired; an administrator retries: a new round, numbered on.
        receiver.statuses = [200]
        assert notification_retry(notification=notification, now=now)
        assert notification_deliver(notification_id=notification.pk, now=now) is None

    notification.refresh_from_db()
    assert notification.status == "sent"
    assert list(notification.deliveries.values_list("attempt", "status")) == [
        (1, "retry"), (2, "retry"), (3, "failed"), (4, "sent"),
    ]  # fmt: skip


@pytest.mark.django_db
def test_an_unreachable_receiver_is_a_recorded_failure_not_an_exception(offline_model):
    channel = webhook(f"http://127.0.0.1:{free_port()}/hook")
    notification = owed(channel, crowd_event())

    assert notification_deliver(notification_id=notification.pk) == settings.NOTIFY_RETRY_SECONDS

    delivery = notification.deliveries.get()
    assert delivery.status == "retry" and delivery.response_code is None and delivery.error == "connection refused"


@pytest.mark.django_db
def test_a_channel_over_its_rate_limit_holds_messages_until_the_minute_has_passed(offline_model):
    with WebhookReceiver() as receiver:
        channel = webhook(receiver.url, max_per_minute=2)
        events = [crowd_event(camera_name=f"Stop {n}") for n in range(3)]
        notifications = [owed(channel, event) for event in events]
        now = max(n.next_attempt_at for n in notifications)

        assert notification_deliver(notification_id=notifications[0].pk, now=now) is None
        assert notification_deliver(notification_id=notifications[1].pk, now=now + timedelta(seconds=10)) is None
        wait = notification_deliver(notification_id=notifications[2].pk, now=now + timedelta(seconds=20))
        assert wait == pytest.approx(40)  # the first message leaves the one-minute window then
        assert receiver.count() == 2
        notifications[2].refresh_from_db()
        assert notifications[2].status == "pending" and notifications[2].attempts == 0  # held, not failed

        assert notification_deliver(notification_id=notifications[2].pk, now=now + timedelta(seconds=60)) is None
        assert receiver.count() == 3


@pytest.mark.django_db
def test_a_webhook_channel_needs_an_http_url_and_a_real_secret():
    channel = NotificationChannel(name="Bad", kind="webhook", url="ftp://example.org/x", secret="short")
    with pytest.raises(Exception) as refused:
        channel.full_clean()
    assert set(refused.value.message_dict) == {"url", "secret"}
