"""What the events app does when the apps below it report something: a camera that goes offline, or whose
picture freezes, opens one system event for operators, and its first good (moving) frame closes it."""

from __future__ import annotations

from cameras.models import Camera
from core.stored_text import stored
from events.services import event_close_system, event_open_system

OFFLINE_LABEL = "camera_offline"
FROZEN_LABEL = "camera_frozen"


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


def camera_frozen_event(sender, *, camera: Camera, frozen: bool, **kwargs) -> None:
    """``camera_picture_frozen``: a camera that looks online but sends the same picture is as blind as an
    offline one (a stuck encoder, or a photo held in front of it), so operators get an event of its own."""
    if frozen:
        event_open_system(
            camera=camera,
            label=FROZEN_LABEL,
            title=stored("camera_frozen.title", camera=camera.name),
            detail=camera.last_error,
            severity="high",
            recommended_actions=stored("camera_frozen.actions"),
        )
    else:
        event_close_system(camera=camera, label=FROZEN_LABEL, note=stored("camera_moving"))
