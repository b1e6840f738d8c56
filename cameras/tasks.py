"""Celery tasks of the ``capture`` queue: thin wrappers around the services."""

from celery import shared_task

from cameras.services import camera_capture


@shared_task(name="cameras.tasks.capture_camera", ignore_result=True)
def capture_camera(camera_id: int, force: bool = False) -> None:
    """Capture one frame; returns quietly when the camera is gone, busy or not due."""
    camera_capture(camera_id=camera_id, force=force)
