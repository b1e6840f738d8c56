"""Webhooks cannot be turned against the server: blocked addresses refused when saved and when sent,
no redirect followed, and a receiver's reply never stored or shown."""

from __future__ import annotations

import ipaddress
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.tests.test_outbound import METADATA_SPELLINGS
from events.tests.scenes import crowd_event
from notifications.models import Delivery, Notification, NotificationChannel
from notifications.services import notification_deliver
from notifications.tests.receivers import WebhookReceiver

SECRET = "a-webhook-secret-of-enough-length"
pytestmark = pytest.mark.django_db


def channel_for(url: str, **options) -> NotificationChannel:
    """Saved without validation, as a shell, a fixture or an older release might have saved it."""
    return NotificationChannel.objects.create(name=options.pop("name", "Control room"), kind="webhook", url=url,
                                              secret=SECRET, **options)  # fmt: skip


@pytest.mark.parametrize("host", METADATA_SPELLINGS)
def test_it_refuses_to_save_a_webhook_to_a_metadata_or_link_local_address(host):
    channel = NotificationChannel(name="Probe", kind="webhook", url=f"http://{host}/latest/meta-data/", secret=SECRET)
    with pytest.raises(ValidationError) as refused:
        channel.full_clean()
    assert refused.value.message_dict.keys() == {"url"}


@pytest.mark.parametrize("host", ["169.254.169.254", "[fe80::1]", "[fd00:ec2::254]", "[64:ff9b::a9fe:a9fe]"])
def test_the_admin_form_refuses_them_with_a_field_error(admin_client, host):
    response = admin_client.post(
        reverse("admin:notifications_notificationchannel_add"),
        {"name": "Probe", "kind": "webhook", "enabled": "on", "url": f"http://{host}/hook", "secret": SECRET,
         "on_open": "on", "min_severity": "low", "labels": "[]", "districts": "[]", "max_per_minute": "20"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Link-local and cloud metadata addresses are not allowed" in response.content.decode()
    assert not NotificationChannel.objects.exists()


def test_a_webhook_to_a_blocked_address_is_not_sent_even_when_saved_by_hand(settings, offline_model):
    settings.OUTBOUND_BLOCKED_NETWORKS = [ipaddress.ip_network("127.0.0.0/8")]  # the receiver is the "metadata"
    with WebhookReceiver() as receiver:
        channel = channel_for(receiver.url)
        event = crowd_event()
        notification = Notification.objects.get(channel=channel, event=event)
        notification_deliver(notification_id=notification.pk)
        assert receiver.count() == 0
    delivery = notification.deliveries.get()
    assert delivery.response_code is None
    assert "127.0.0.1 resolves to 127.0.0.1, a link-local or cloud metadata address; refused" in delivery.error


class _Redirecting:
    """A receiver that answers every POST with a 307 to ``target`` (which would keep the method and body)."""

    def __init__(self, target: str) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(307)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_redirect_is_not_followed(offline_model):
    with WebhookReceiver() as elsewhere:
        redirecting = _Redirecting(elsewhere.url)
        try:
            channel = channel_for(redirecting.url)
            notification = Notification.objects.get(channel=channel, event=crowd_event())
            notification_deliver(notification_id=notification.pk)
        finally:
            redirecting.close()
        assert elsewhere.count() == 0
    delivery = notification.deliveries.get()
    assert delivery.response_code == 307 and "redirects are not followed" in delivery.error


def test_a_receivers_reply_is_never_stored_nor_shown_to_viewers(client, make_user, offline_model):
    with WebhookReceiver(statuses=(500,)) as receiver:  # it answers "receiver is down for maintenance"
        channel = channel_for(receiver.url)
        event = crowd_event()
        notification = Notification.objects.get(channel=channel, event=event)
        notification_deliver(notification_id=notification.pk)
    notification.refresh_from_db()
    delivery = notification.deliveries.get()
    assert delivery.error == notification.last_error == "HTTP 500 Internal Server Error"
    client.force_login(make_user("watcher", "Viewers", staff=True))
    pages = [
        reverse("admin:notifications_notification_changelist"),
        reverse("admin:notifications_notification_change", args=[notification.pk]),  # its attempts, inline
        reverse("admin:events_event_change", args=[event.pk]),  # "notifications sent", inline
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert "maintenance" not in response.content.decode()
    assert Delivery.objects.filter(error__contains="maintenance").count() == 0


def test_a_connection_error_never_shows_a_token_from_the_url(offline_model):
    from vigilsite.testing import free_port

    channel = channel_for(f"http://127.0.0.1:{free_port()}/hook?token=tok-3141592653&team=ops")
    notification = Notification.objects.get(channel=channel, event=crowd_event())
    notification_deliver(notification_id=notification.pk)
    notification.refresh_from_db()
    assert "tok-3141592653" not in notification.last_error + notification.deliveries.get().error
    assert channel.target.endswith("/hook?token=***&team=ops")


def test_the_admin_shows_a_token_in_the_webhook_url_masked_and_keeps_it(admin_client):
    url = "https://hooks.example/vigil?team=ops&token=tok-2718281828"
    channel = channel_for(url)
    listing = admin_client.get(reverse("admin:notifications_notificationchannel_changelist")).content.decode()
    change_url = reverse("admin:notifications_notificationchannel_change", args=[channel.pk])
    page = admin_client.get(change_url).content.decode()
    for shown in (listing, page):
        assert "tok-2718281828" not in shown and "token=***" in shown
    form = {"name": "Control room", "kind": "webhook", "enabled": "on", "secret": "",
            "url": "https://hooks.example/vigil?team=ops&token=***", "on_open": "on", "min_severity": "low",
            "labels": "[]", "districts": "[]", "max_per_minute": "20"}  # fmt: skip
    response = admin_client.post(change_url, form)
    assert response.status_code == 302, response.content.decode()[:3000]
    channel.refresh_from_db()
    assert channel.url == url


def test_the_admin_refuses_a_masked_token_sent_to_another_host(admin_client):
    url = "http://127.0.0.1:9/hook?token=HOOKTOKENSECRET"
    channel = channel_for(url)
    form = {"name": "Control room", "kind": "webhook", "enabled": "on", "secret": "",
            "url": "http://127.0.0.1:9999/hook?token=***", "on_open": "on", "min_severity": "low",
            "labels": "[]", "districts": "[]", "max_per_minute": "20"}  # fmt: skip
    change_url = reverse("admin:notifications_notificationchannel_change", args=[channel.pk])
    response = admin_client.post(change_url, form)
    assert response.status_code == 200
    assert "address changed" in response.context["adminform"].form.errors["url"][0]
    channel.refresh_from_db()
    assert channel.url == url
