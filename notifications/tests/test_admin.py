"""Channels in the admin: made with a write-only secret, tested with one click, deliveries on the event page."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse

from events.tests.scenes import crowd_event
from notifications.models import Notification, NotificationChannel
from notifications.services import notification_deliver
from notifications.tests.receivers import WebhookReceiver
from vigilsite.testing import free_port

pytestmark = pytest.mark.django_db

SECRET = "a-webhook-secret-of-enough-length"
FORM = {
    "name": "Control room", "kind": "webhook", "enabled": "on", "recipients": "", "url": "https://hooks.example/v",
    "secret": "", "on_open": "on", "min_severity": "low", "labels": "[]", "districts": "[]", "active_from": "",
    "active_until": "", "max_per_minute": "20",
}  # fmt: skip


def test_a_new_webhook_gets_a_random_secret_shown_once_and_never_again(admin_client):
    response = admin_client.post(reverse("admin:notifications_notificationchannel_add"), FORM)

    channel = NotificationChannel.objects.get()
    assert len(channel.secret) >= 40
    assert response.status_code == 200 and channel.secret in response.text  # the one time: the page after saving
    # Not in a message: those travel in the messages cookie, which anyone holding it can read.
    assert all(channel.secret not in cookie.value for cookie in response.cookies.values())
    assert all(channel.secret not in cookie.value for cookie in admin_client.cookies.values())
    assert all(channel.secret not in str(message) for message in admin_client.get("/admin/").context["messages"])
    page = admin_client.get(reverse("admin:notifications_notificationchannel_change", args=[channel.pk]))
    listing = admin_client.get(reverse("admin:notifications_notificationchannel_changelist"))
    assert channel.secret not in page.text and channel.secret not in listing.text

    # Saving the form again with the secret left empty keeps it; typing one replaces it.
    admin_client.post(reverse("admin:notifications_notificationchannel_change", args=[channel.pk]), FORM)
    kept = channel.secret
    channel.refresh_from_db()
    assert channel.secret == kept
    admin_client.post(reverse("admin:notifications_notificationchannel_change", args=[channel.pk]),
                      {**FORM, "secret": SECRET})  # fmt: skip
    channel.refresh_from_db()
    assert channel.secret == SECRET


def test_a_channel_with_bad_settings_is_refused_with_the_reason(admin_client):
    form = {**FORM, "kind": "email", "recipients": "duty@city.example, not-an-address"}

    response = admin_client.post(reverse("admin:notifications_notificationchannel_add"), form)

    assert response.status_code == 200 and "&#x27;not-an-address&#x27; is not an email address" in response.text
    assert not NotificationChannel.objects.exists()


def test_send_test_reports_what_the_receiver_answered(admin_client):
    with WebhookReceiver(statuses=(200,)) as receiver:
        good = NotificationChannel.objects.create(name="Good", kind="webhook", url=receiver.url, secret=SECRET)
        down = NotificationChannel.objects.create(
            name="Down", kind="webhook", url=f"http://127.0.0.1:{free_port()}/x", secret=SECRET
        )
        response = admin_client.post(
            reverse("admin:notifications_notificationchannel_changelist"),
            {"action": "send_test", "_selected_action": [good.pk, down.pk]},
            follow=True,
        )

    assert "Test to “Good”: delivered (200)." in response.text
    assert "Test to “Down” failed: connection refused" in response.text
    assert json.loads(receiver.received[0].body)["type"] == "test"
    assert Notification.objects.get(channel=down).status == "failed"  # a test is one try
    # ... and not a lost alert: the admin home's flag of failed notifications does not count it.
    assert "notification failed" not in admin_client.get(reverse("admin:index")).text


def test_the_event_page_lists_every_delivery_attempt_and_failures_are_flagged(admin_client, offline_model, settings):
    settings.NOTIFY_MAX_ATTEMPTS = 2
    with WebhookReceiver(statuses=(502,)) as receiver:
        NotificationChannel.objects.create(name="Control room", kind="webhook", url=receiver.url, secret=SECRET)
        event = crowd_event()
        notification = Notification.objects.get(event=event)
        now = notification.next_attempt_at
        while (wait := notification_deliver(notification_id=notification.pk, now=now)) is not None:
            now += timedelta(seconds=wait)

    page = admin_client.get(reverse("admin:events_event_change", args=[event.pk]))
    assert "notifications sent" in page.text.lower()
    assert page.text.count("HTTP 502") == 2
    assert "Failed, no retry left" in page.text and "Failed, will retry" in page.text
    listing = admin_client.get(reverse("admin:notifications_notification_changelist") + "?status__exact=failed")
    assert "Failed permanently" in listing.text and f"#{event.pk}" in listing.text
    index = admin_client.get(reverse("admin:index"))
    assert "1 notification failed" in index.text


def test_viewers_see_deliveries_but_not_channels(client, make_user, offline_model):
    NotificationChannel.objects.create(name="Control room", kind="webhook", url="https://hooks.example/x",
                                       secret=SECRET)  # fmt: skip
    event = crowd_event()
    client.force_login(make_user("vera", "Viewers", staff=True))

    assert client.get(reverse("admin:events_event_change", args=[event.pk])).status_code == 200
    assert client.get(reverse("admin:notifications_notification_changelist")).status_code == 200
    assert client.get(reverse("admin:notifications_notificationchannel_changelist")).status_code == 403
    Notification.objects.update(status="failed")
    client.post(
        reverse("admin:notifications_notification_changelist"),
        {"action": "retry", "_selected_action": [Notification.objects.get().pk]},
    )
    assert Notification.objects.get().status == "failed"  # retrying is the administrators' call


def test_send_test_from_the_channel_page(admin_client, client, make_user):
    with WebhookReceiver(statuses=(200,)) as receiver:
        channel = NotificationChannel.objects.create(name="Desk", kind="webhook", url=receiver.url, secret=SECRET)
        page = admin_client.get(reverse("admin:notifications_notificationchannel_change", args=[channel.pk]))
        assert 'id="send-test"' in page.text
        url = reverse("admin:notifications_notificationchannel_test", args=[channel.pk])
        assert admin_client.get(url).status_code == 405
        sent = admin_client.post(url, follow=True)
    assert "Test to “Desk”: delivered (200)." in sent.text
    assert len(receiver.received) == 1
    client.force_login(make_user("vera", "Viewers", staff=True))
    assert client.post(url).status_code == 403  # viewers may not even see channels
