"""The JSON an event is sent as over the WebSocket: exactly what the API returns for it.

Built by hand, not by DRF's generic serializer: it is built for every frame that updates an open event,
where the serializer took ~2 ms of a ~30 ms frame. ``EventSerializer`` returns this same dict (its
declared fields still describe it in the OpenAPI schema), and a test holds the two to the same output.

The texts Vigil wrote (``core.stored_text``) are in the active language: the request's for the API; a socket
renders them again from ``texts`` in its own reader's language (``events.consumers``).
"""

from __future__ import annotations

from django.urls import reverse
from rest_framework.fields import DateTimeField

from core.messages import EventMessage
from core.stored_text import shown
from events.models import Event

_time = DateTimeField()  # the API's own ISO 8601 in the site's time zone


def _when(value) -> str | None:
    return _time.to_representation(value) if value is not None else None


def snapshot_url(event: Event) -> str | None:
    return reverse("event-snapshot", args=[event.pk, "annotated"]) if event.annotated_snapshot else None


def admin_url(event: Event) -> str:
    return reverse("admin:events_event_change", args=[event.pk])


def event_payload(event: Event) -> EventMessage:
    return {
        "id": event.pk,
        "kind": event.kind,
        "camera": event.camera_id,
        "camera_name": event.camera.name,
        "rule": event.rule_id,
        "label": event.label,
        "title": shown(event, "title"),
        "detail": event.detail,
        "severity": event.severity,
        "status": event.status,
        "latitude": float(event.latitude),
        "longitude": float(event.longitude),
        "danger_radius_m": event.danger_radius_m,
        "first_seen": _when(event.first_seen),
        "last_seen": _when(event.last_seen),
        "updated_at": _when(event.updated_at),
        "hit_count": event.hit_count,
        "peak_count": event.peak_count,
        "recommended_actions": shown(event, "recommended_actions"),
        "assignee": event.assignee.username if event.assignee_id else None,
        "resolution_note": shown(event, "resolution_note"),
        "resolved_at": _when(event.resolved_at),
        "escalated_at": _when(event.escalated_at),
        "snapshot_url": snapshot_url(event),
        "snapshot_at": _when(event.snapshot_at),
        "admin_url": admin_url(event),
        "actions": event.actions_allowed(),
        "texts": event.texts,
    }
