"""Email through Django's SMTP backend to a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from django.utils import timezone

from events.tests.scenes import crowd_event
from notifications.models import Notification, NotificationChannel
from notifications.services import channel_test_send, notification_deliver
from notifications.tests.receivers import SmtpServer
from vigilsite.testing import free_port


@pytest.fixture
def smtp(settings):
    with SmtpServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        yield server


def mailing_list(**options) -> NotificationChannel:
    channel = NotificationChannel(name="Duty officers", kind="email",
                                  recipients="duty@city.example, supervisor@city.example", **options)  # fmt: skip
    channel.full_clean()
    channel.save()
    return channel


@pytest.mark.django_db
def test_an_email_carries_what_an_officer_needs_and_the_annotated_snapshot(offline_model, smtp, settings):
    settings.PUBLIC_URL = "https://vigil.city.example"
    channel = mailing_list()
    event = crowd_event()
    notification = Notification.objects.get(channel=channel, event=event)

    assert notification_deliver(notification_id=notification.pk) is None

    (message,) = smtp.messages
    assert smtp.mailbox.recipients == [["duty@city.example", "supervisor@city.example"]]
    assert message["Subject"] == f"[Vigil] CRITICAL: {event.title}"
    assert message["X-Vigil-Notification"] == str(notification.pk)
    body = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    seen = timezone.localtime(event.first_seen).strftime("%Y-%m-%d %H:%M:%S")
    for expected in [
        "What:       person",
        "Camera:     Bus stop",
        "Severity:   Critical",
        f"Time:       {seen}",
        f"Live map:   https://vigil.city.example/map/#event-{event.pk}",
        f"Event page: https://vigil.city.example/admin/events/event/{event.pk}/change/",
        "Recommended actions\nCall the stop's warden.\nKeep the platform clear.",
    ]:
        assert expected in body
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "image/jpeg"
    assert attachment.get_filename() == f"event-{event.pk}-annotated.jpg"
    data = attachment.get_content()
    with event.annotated_snapshot.open("rb") as stored:
        assert data == stored.read()
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None and image.shape[:2] == (1080, 810)
    delivery = notification.deliveries.get()
    assert (delivery.status, delivery.response_code) == ("sent", 250)


@pytest.mark.django_db
def test_an_smtp_server_that_is_down_is_recorded_and_retried(offline_model, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    channel = mailing_list()
    notification = Notification.objects.get(channel=channel, event=crowd_event())

    assert notification_deliver(notification_id=notification.pk) == settings.NOTIFY_RETRY_SECONDS

    delivery = notification.deliveries.get()
    assert delivery.status == "retry"
    assert delivery.error.startswith("SMTP server 127.0.0.1:") and "refused" in delivery.error.lower()


@pytest.mark.django_db
def test_send_test_reaches_the_mailbox_at_once(smtp):
    channel = mailing_list()

    delivery = channel_test_send(channel=channel)

    assert delivery.status == "sent" and delivery.notification.reason == "test"
    (message,) = smtp.messages
    assert message["Subject"].strip() == "[Vigil] Test message from Vigil to channel “Duty officers”"
    assert "email notifications reach you" in message.get_body(("plain",)).get_content()


@pytest.mark.django_db
def test_a_line_break_in_the_camera_and_rule_names_still_sends_a_one_line_subject(offline_model, smtp):
    channel = mailing_list()
    # Names written past validation (the shell, an old row): the title carries the line breaks.
    event = crowd_event(camera_name="Bus\nstop", rule_name="People\r\nBcc: everyone@example.com")
    notification = Notification.objects.get(channel=channel, event=event)

    assert notification_deliver(notification_id=notification.pk) is None

    (message,) = smtp.messages
    assert message["Subject"] == "[Vigil] CRITICAL: People Bcc: everyone@example.com: Bus stop"
    assert message["Bcc"] is None
    assert smtp.mailbox.recipients == [["duty@city.example", "supervisor@city.example"]]
    notification.refresh_from_db()
    assert notification.status == "sent"


@pytest.mark.django_db
def test_an_unexpected_error_while_sending_is_recorded_as_a_failed_attempt(offline_model, smtp, settings):
    channel = mailing_list()
    event = crowd_event()
    notification = Notification.objects.get(channel=channel, event=event)
    event.annotated_snapshot.storage.delete(event.annotated_snapshot.name)  # the attachment is gone from disk

    assert notification_deliver(notification_id=notification.pk) == settings.NOTIFY_RETRY_SECONDS

    notification.refresh_from_db()
    delivery = notification.deliveries.get()
    assert (notification.status, notification.attempts, notification.claimed_until) == ("retrying", 1, None)
    assert delivery.status == "retry" and delivery.error.startswith("FileNotFoundError")
    assert smtp.messages == []
