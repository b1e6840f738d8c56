"""Trying a detection model on one picture from the admin, before cameras depend on it."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import default_storage

from cameras import frame_store
from cameras.frames import Frame, decode_image
from cameras.models import Camera
from detection.detector import Detection, detector_for
from detection.models import DetectionModel
from events.snapshots import annotate, jpeg_file

SAMPLE_PHOTOS = {"bus.jpg": "Street with a bus (photo shipped with ultralytics)",
                 "zidane.jpg": "Two people (photo shipped with ultralytics)"}  # fmt: skip


@dataclass
class Trial:
    detections: list[Detection]
    annotated_jpeg: bytes
    inference_ms: int
    width: int
    height: int
    runtime: str = ""


def sample_choices() -> list[tuple[str, str]]:
    """Pictures to try a model on: the packaged photos and every camera's latest frame."""
    choices = []
    if settings.ULTRALYTICS_ASSETS is not None:
        choices += [(f"photo:{name}", label) for name, label in SAMPLE_PHOTOS.items()]
    for pk, name in Camera.objects.filter(last_frame_at__isnull=False).order_by("name").values_list("pk", "name"):
        choices.append((f"camera:{pk}", f"Latest frame of {name}"))
    return choices


def sample_frame(choice: str) -> Frame:
    """The picture behind a ``sample_choices`` value (``InvalidImage``/``FileNotFoundError`` if gone)."""
    kind, _, name = choice.partition(":")
    if kind == "photo" and name in SAMPLE_PHOTOS and settings.ULTRALYTICS_ASSETS is not None:
        return decode_image((settings.ULTRALYTICS_ASSETS / name).read_bytes())
    if kind == "camera" and name.isascii() and name.isdigit():
        path = frame_store.latest_frame_path(int(name))
        if default_storage.exists(path):
            with default_storage.open(path, "rb") as stored:
                return decode_image(stored.read())
    raise FileNotFoundError(f"{choice} is not an available sample picture")


def model_try(*, model: DetectionModel, frame: Frame) -> Trial:
    """Run ``model`` on ``frame`` here, in this process; raises ``WeightsUnavailable`` if it cannot load."""
    detector = detector_for(model)  # loading ran it once, so the time is a warmed-up run's
    started = time.perf_counter()
    [found] = detector.detect([frame.image])
    elapsed = round((time.perf_counter() - started) * 1000)
    picture = annotate(frame.image, matched=found, others=[], zone=[])
    return Trial(found, jpeg_file(picture).read(), elapsed, frame.width, frame.height, detector.runtime.describe())
