"""Trying a detection model on one picture from the admin, before cameras depend on it."""

from __future__ import annotations

import time
from dataclasses import dataclass

from cameras.frames import Frame
from core.snapshots import annotate, jpeg_file
from core.vision import Detection
from detection.detector import detector_for
from detection.models import DetectionModel


@dataclass
class Trial:
    detections: list[Detection]
    annotated_jpeg: bytes
    inference_ms: int
    width: int
    height: int
    runtime: str = ""


def model_try(*, model: DetectionModel, frame: Frame) -> Trial:
    """Run ``model`` on ``frame`` here, in this process; raises ``WeightsUnavailable`` if it cannot load."""
    detector = detector_for(model)  # loading ran it once, so the time is a warmed-up run's
    started = time.perf_counter()
    [found] = detector.detect([frame.image])
    elapsed = round((time.perf_counter() - started) * 1000)
    picture = annotate(frame.image, matched=found, others=[], zone=[])
    return Trial(found, jpeg_file(picture).read(), elapsed, frame.width, frame.height, detector.runtime.describe())
