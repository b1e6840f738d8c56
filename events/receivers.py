"""What the events app does when the apps below it report something: a camera that goes offline opens one
system event for operators, and its first good frame closes it."""

from __future__ import annotations

from cameras.models import Camera
from core.stored_text import stored
from events.services import event_close_system, event_open_system

OFFLINE_LABEL = "camera_offline"


def camera_offline_event(sender, *, camera: Camera, previous: str, **kwargs) -> None:
    """``camera_status_changed``: open the "camera offline" event when it goes offline, close it when back."""
    if camera.status == Camera.Status.OFFLINE and previous != Camera.Status.OFFLINE:
        event_open_system(
            camera=camera,
            label=OFFLINE_LABEL,
            title=stored("camera_offline.title", camera=camera.name),
            detail=camera.last_error,
            severity="high",
            recommended_actions=stored("camera_offline.actions"),
        )
    elif previous == Camera.Status.OFFLINE and camera.status == Camera.Status.ONLINE:
        event_close_system(camera=camera, label=OFFLINE_LABEL, note=stored("camera_back"))
