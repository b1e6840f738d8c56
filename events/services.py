"""Writes about events."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from cameras.models import Camera
from events.broadcast import broadcast_on_commit
from events.models import Event


def _payload(event: Event) -> dict:
    return {
        "id": event.pk,
        "kind": event.kind,
        "camera": event.camera_id,
        "label": event.label,
        "title": event.title,
        "severity": event.severity,
        "status": event.status,
        "latitude": float(event.latitude),
        "longitude": float(event.longitude),
        "first_seen": event.first_seen.isoformat(),
        "last_seen": event.last_seen.isoformat(),
    }


@transaction.atomic
def event_open_system(*, camera: Camera, label: str, title: str, detail: str, severity: str) -> Event:
    """Open a system event for ``camera`` unless one with ``label`` is already open (raised once)."""
    now = timezone.now()
    existing = (
        Event.objects.select_for_update()
        .filter(camera=camera, kind=Event.Kind.SYSTEM, label=label, status__in=Event.OPEN_STATUSES)
        .first()
    )
    if existing is not None:
        existing.last_seen, existing.detail = now, detail
        existing.save(update_fields=["last_seen", "detail", "updated_at"])
        return existing
    event = Event.objects.create(
        kind=Event.Kind.SYSTEM,
        camera=camera,
        label=label,
        title=title,
        detail=detail,
        severity=severity,
        latitude=camera.latitude,
        longitude=camera.longitude,
        first_seen=now,
        last_seen=now,
        recommended_actions="Check the camera's power and network link; see its last error.",
    )
    broadcast_on_commit("event.opened", _payload(event))
    return event


@transaction.atomic
def event_close_system(*, camera: Camera, label: str, note: str) -> int:
    """Resolve the open system events ``label`` of ``camera``; returns how many were closed."""
    now = timezone.now()
    events = list(
        Event.objects.select_for_update().filter(
            camera=camera, kind=Event.Kind.SYSTEM, label=label, status__in=Event.OPEN_STATUSES
        )
    )
    for event in events:
        event.status, event.resolution_note, event.resolved_at, event.last_seen = (
            Event.Status.RESOLVED, note, now, now
        )  # fmt: skip
        event.save(update_fields=["status", "resolution_note", "resolved_at", "last_seen", "updated_at"])
        broadcast_on_commit("event.status", _payload(event))
    return len(events)
