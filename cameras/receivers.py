"""Receivers of the cameras app: keep each camera's capture schedule and stored frame in step with the camera,
however it was saved."""

import shutil

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from cameras import frame_store
from cameras.models import Camera
from cameras.services import camera_schedule_sync, stills_folder

SCHEDULE_FIELDS = {"enabled", "capture_mode", "capture_interval"}


@receiver(post_save, sender=Camera, dispatch_uid="camera_schedule_sync")
def _sync_schedule(sender, instance: Camera, update_fields=None, raw=False, **kwargs) -> None:
    # Health updates save only their own fields: they leave the schedule alone.
    if raw or (update_fields is not None and not SCHEDULE_FIELDS & set(update_fields)):
        return
    camera_schedule_sync(camera=instance)


@receiver(post_delete, sender=Camera, dispatch_uid="camera_latest_frame_delete")
def _delete_latest_frame(sender, instance: Camera, **kwargs) -> None:
    # After the commit: a rolled-back delete keeps its camera, and so its picture.
    camera_id = instance.pk
    transaction.on_commit(lambda: frame_store.latest_frame_delete(camera_id))


@receiver(post_delete, sender=Camera, dispatch_uid="camera_stills_delete")
def _delete_stills(sender, instance: Camera, **kwargs) -> None:
    # The rows went with the camera (a cascade); its folder holds nothing else, and no new camera reuses its id.
    folder = stills_folder(instance.pk)
    transaction.on_commit(lambda: shutil.rmtree(folder, ignore_errors=True))
