"""The broadcaster: every change the apps below report goes to the live sockets (the map, the admin's
event list, the flow dashboard) once its transaction commits (``core.broadcast``)."""

from __future__ import annotations

from cameras.models import Camera
from core.broadcast import broadcast_on_commit
from events.models import Event
from events.payloads import event_payload


def camera_status_broadcast(sender, *, camera: Camera, **kwargs) -> None:
    """``camera_status_changed`` → ``camera.status``."""
    broadcast_on_commit(
        "camera.status",
        {"id": camera.pk, "status": camera.status, "last_error": camera.last_error,
         "last_frame_at": camera.last_frame_at.isoformat() if camera.last_frame_at else None},
    )  # fmt: skip


def event_opened_broadcast(sender, *, event: Event, **kwargs) -> None:
    """``event_opened`` → ``event.opened``."""
    broadcast_on_commit("event.opened", event_payload(event))


def event_updated_broadcast(sender, *, event: Event, **kwargs) -> None:
    """``event_updated`` → ``event.updated``."""
    broadcast_on_commit("event.updated", event_payload(event))


def event_status_broadcast(sender, *, event: Event, **kwargs) -> None:
    """``event_status_changed`` → ``event.status``."""
    broadcast_on_commit("event.status", event_payload(event))
