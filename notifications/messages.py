"""What a notification says: the webhook's JSON (docs/webhook.schema.json) and the email's text."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import timezone

from core.bounds import single_line
from events.models import Event
from notifications.models import Notification

SCHEMA = "vigil.notification/1"
TYPES = {
    Notification.Reason.OPENED: "event.opened",
    Notification.Reason.ESCALATED: "event.escalated",
    Notification.Reason.TEST: "test",
}


def absolute(path: str) -> str:
    return settings.PUBLIC_URL + path


def event_links(event: Event) -> dict[str, str | None]:
    """Where a person (or a system with an API token) sees the event; all need a login."""
    return {
        "map": absolute(reverse("map")) + f"#event-{event.pk}",
        "admin": absolute(reverse("admin:events_event_change", args=[event.pk])),
        "api": absolute(reverse("event-detail", args=[event.pk])),
        "snapshot": absolute(reverse("event-snapshot", args=[event.pk, "annotated"]))
        if event.annotated_snapshot
        else None,
    }


def headline(notification: Notification) -> str:
    event = notification.event
    if event is None:
        return f"Test message from Vigil to channel “{notification.channel.name}”"
    severity = event.get_severity_display().upper()
    if notification.reason == Notification.Reason.ESCALATED:
        minutes = event.rule.escalate_after_minutes if event.rule else None
        waited = f" after {minutes} min" if minutes else ""
        return f"ESCALATION: {severity} still new{waited}, operator action required: {event.title}"
    return f"{severity}: {event.title}"


def webhook_payload(notification: Notification, *, attempt: int, sent_at: datetime) -> dict[str, Any]:
    """The JSON body of a webhook call; ``id`` stays the same across retries (receivers dedupe on it)."""
    event = notification.event
    return {
        "schema": SCHEMA,
        "id": notification.pk,
        "type": TYPES[notification.reason],
        "attempt": attempt,
        "sent_at": sent_at.isoformat(),
        "channel": {"id": notification.channel_id, "name": notification.channel.name},
        "summary": headline(notification),
        "event": None if event is None else _event_json(event),
    }


def _event_json(event: Event) -> dict[str, Any]:
    camera = event.camera
    return {
        "id": event.pk,
        "kind": event.kind,
        "title": event.title,
        "label": event.label,
        "severity": event.severity,
        "status": event.status,
        "detail": event.detail,
        "camera": {
            "id": camera.pk,
            "name": camera.name,
            "slug": camera.slug,
            "district": camera.district,
            "latitude": float(camera.latitude),
            "longitude": float(camera.longitude),
        },
        "rule": {"id": event.rule_id, "name": event.rule.name} if event.rule else None,
        "latitude": float(event.latitude),
        "longitude": float(event.longitude),
        "danger_radius_m": event.danger_radius_m,
        "first_seen": event.first_seen.isoformat(),
        "last_seen": event.last_seen.isoformat(),
        "hit_count": event.hit_count,
        "peak_count": event.peak_count,
        "recommended_actions": event.recommended_actions,
        "links": event_links(event),
    }


def email_message(notification: Notification, *, attempt: int) -> EmailMessage:
    """The email: the facts an operator needs away from the screen, the annotated snapshot attached."""
    channel, event = notification.channel, notification.event
    # A line break in a name (written past validation) would make the header illegal: one line, always.
    subject = single_line(f"[Vigil] {headline(notification)}")
    if event is None:
        body = (
            f"This is a test message for the Vigil notification channel “{channel.name}”.\n"
            f"If you read it, email notifications reach you.\n\nVigil: {absolute('/')}\n"
        )
        return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, channel.recipient_list)
    links = event_links(event)
    local = timezone.localtime
    lines = [
        headline(notification),
        "",
        f"What:       {event.label}" + (f" (up to {event.peak_count} at once)" if event.peak_count > 1 else ""),
        f"Camera:     {event.camera.name}" + (f", {event.camera.district}" if event.camera.district else ""),
        f"Severity:   {event.get_severity_display()}",
        f"Time:       {local(event.first_seen):%Y-%m-%d %H:%M:%S %Z} (first seen), "
        f"last seen {local(event.last_seen):%H:%M:%S}",
        f"Status:     {event.get_status_display()}",
        f"Place:      {float(event.latitude):.6f}, {float(event.longitude):.6f}",
        f"Live map:   {links['map']}",
        f"Event page: {links['admin']}",
        "",
        "Recommended actions",
        event.recommended_actions or "The rule gives no instructions.",
    ]
    if event.detail:
        lines += ["", event.detail]
    lines += ["", "--", f"Sent by Vigil to channel “{channel.name}” (notification {notification.pk}, try {attempt})."]
    message = EmailMessage(subject, "\n".join(lines) + "\n", settings.DEFAULT_FROM_EMAIL, channel.recipient_list)
    message.extra_headers["X-Vigil-Notification"] = str(notification.pk)
    if event.annotated_snapshot:
        with event.annotated_snapshot.open("rb") as snapshot:
            message.attach(f"event-{event.pk}-annotated.jpg", snapshot.read(), "image/jpeg")
    return message
