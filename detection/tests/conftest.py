from __future__ import annotations

import importlib
from datetime import datetime, timedelta
from pathlib import Path

import cv2
import pytest
from django.conf import settings
from django.utils import timezone

from cameras import frame_store
from cameras.frames import Frame
from detection.detector import detectors_forget
from detection.models import DetectionModel

_registered = importlib.import_module("detection.migrations.0002_default_models")


@pytest.fixture(autouse=True)
def _fresh_detectors() -> None:
    # Rows are rolled back between tests but a worker's cache would outlive them.
    detectors_forget()


@pytest.fixture(autouse=True)
def _fresh_redis_state(redis_url) -> None:
    # Camera ids can be reused after a rollback; motion references and waiting frames must not leak.
    client = frame_store.redis_client()
    for key in client.scan_iter("vigil:*"):
        client.delete(key)


@pytest.fixture
def offline_model(db) -> DetectionModel:
    """The default model the data migration registers (re-created after transactional tests flush it)."""
    model, _ = DetectionModel.objects.get_or_create(name=_registered.OFFLINE["name"], defaults=_registered.OFFLINE)
    return model


@pytest.fixture
def coco_model(db) -> DetectionModel:
    model, _ = DetectionModel.objects.get_or_create(name=_registered.COCO["name"], defaults=_registered.COCO)
    return model


def photo(name: str) -> Frame:
    """A real photo of people shipped inside ultralytics (bus.jpg, zidane.jpg)."""
    image = cv2.imread(str(settings.ULTRALYTICS_ASSETS / name))
    assert image is not None, name
    return Frame(image=image)


def clip_frames(
    clip: Path, *, step: int, start: datetime | None = None, limit: int | None = None
) -> list[tuple[int, Frame]]:
    """Every ``step``-th frame of a clip as (frame number, Frame), timed as if captured live."""
    start = start or timezone.now().replace(microsecond=0)
    capture = cv2.VideoCapture(str(clip))
    fps = capture.get(cv2.CAP_PROP_FPS) or 25
    frames, index = [], 0
    while capture.grab():
        if index % step == 0:
            _, image = capture.retrieve()
            frames.append((index, Frame(image=image, captured_at=start + timedelta(seconds=index / fps))))
            if limit and len(frames) == limit:
                break
        index += 1
    capture.release()
    return frames
