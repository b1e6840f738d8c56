"""Stored files go with their rows: a deleted camera's pictures are gone, and never shown to a newcomer."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cameras import frame_store
from cameras.models import Camera
from cameras.services import camera_capture
from cameras.tests.factories import CameraFactory
from detection.models import DetectionModel
from detection.tests.frames import photo
from events.models import Event

pytestmark = pytest.mark.django_db


def _event_with_snapshots(camera: Camera) -> Event:
    now = timezone.now()
    event = Event.objects.create(
        camera=camera, label="person", title="Crowd", latitude=camera.latitude, longitude=camera.longitude,
        first_seen=now, last_seen=now,
    )  # fmt: skip
    event.snapshot.save("s.jpg", ContentFile(photo("bus.jpg").jpeg), save=False)
    event.annotated_snapshot.save("a.jpg", ContentFile(photo("zidane.jpg").jpeg), save=False)
    event.save()
    return event


def test_deleting_a_camera_deletes_its_frame_and_event_snapshots_after_commit(
    admin_client, settings, django_capture_on_commit_callbacks
):
    camera = CameraFactory(source_url=(settings.ULTRALYTICS_ASSETS / "bus.jpg").as_uri(), name="Bus stop")
    camera_capture(camera_id=camera.pk)
    event = _event_with_snapshots(camera)
    files = [frame_store.latest_frame_path(camera.pk), event.snapshot.name, event.annotated_snapshot.name]
    assert all(default_storage.exists(name) for name in files)

    with django_capture_on_commit_callbacks(execute=False) as pending:
        response = admin_client.post(reverse("admin:cameras_camera_delete", args=[camera.pk]), {"post": "yes"})
        assert response.status_code == 302 and not Camera.objects.filter(pk=camera.pk).exists()
        # Not before the commit: a rolled-back delete must keep the files its rows still name.
        assert all(default_storage.exists(name) for name in files)
    for callback in pending:
        callback()

    assert not any(default_storage.exists(name) for name in files)


def test_a_rolled_back_delete_keeps_the_files(settings, django_capture_on_commit_callbacks):
    camera = CameraFactory(source_url=(settings.ULTRALYTICS_ASSETS / "bus.jpg").as_uri(), name="Bus stop")
    camera_capture(camera_id=camera.pk)
    event = _event_with_snapshots(camera)
    frame = frame_store.latest_frame_path(camera.pk)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        camera.delete()
        raise RuntimeError("changed my mind")

    assert default_storage.exists(frame)
    assert default_storage.exists(event.snapshot.name) and default_storage.exists(event.annotated_snapshot.name)


def test_a_new_camera_with_a_deleted_cameras_name_never_serves_the_old_picture(
    admin_client, settings, django_capture_on_commit_callbacks
):
    old = CameraFactory(source_url=(settings.ULTRALYTICS_ASSETS / "bus.jpg").as_uri(), name="Bus stop")
    camera_capture(camera_id=old.pk)
    assert admin_client.get(reverse("camera-latest-frame", args=[old.slug])).status_code == 200
    # Whether or not the old camera's files could be deleted, the newcomer has its own id.
    with django_capture_on_commit_callbacks(execute=False):
        old.delete()

    new = CameraFactory(name="Bus stop")

    assert new.slug == old.slug
    assert admin_client.get(reverse("camera-latest-frame", args=[new.slug])).status_code == 404


def test_deleting_an_event_or_a_model_deletes_its_files(django_capture_on_commit_callbacks):
    event = _event_with_snapshots(CameraFactory())
    model = DetectionModel.objects.create(name="Own")
    model.weights_file.save("own.onnx", ContentFile(b"not really a network"))
    files = [event.snapshot.name, event.annotated_snapshot.name, model.weights_file.name]

    with django_capture_on_commit_callbacks(execute=True):
        event.delete()
        model.delete()

    assert not any(default_storage.exists(name) for name in files)


def test_the_migration_moves_slug_named_frames_to_ids_and_drops_deleted_cameras_frames():
    migration = importlib.import_module("cameras.migrations.0005_latest_frames_by_id")
    camera = CameraFactory(name="Quay")
    picture = photo("bus.jpg").jpeg
    default_storage.save(f"cameras/{camera.slug}/latest.jpg", ContentFile(picture))
    default_storage.save("cameras/long-gone/latest.jpg", ContentFile(b"old camera"))

    migration.move_latest_frames_to_ids(apps, None)

    with default_storage.open(frame_store.latest_frame_path(camera.pk), "rb") as moved:
        assert moved.read() == picture
    assert not default_storage.exists(f"cameras/{camera.slug}/latest.jpg")
    assert not default_storage.exists("cameras/long-gone/latest.jpg")
