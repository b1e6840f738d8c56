"""The detector: YOLO weights loaded once per worker process, frames in, plain detections out."""

from __future__ import annotations

import importlib.util
import logging
import threading
import time
from datetime import datetime
from pathlib import Path

import numpy as np
from django.conf import settings
from django.utils import timezone

from core.vision import Detection, boxes_of
from detection import backends
from detection.models import DetectionModel

logger = logging.getLogger(__name__)


class WeightsUnavailable(Exception):
    """The model's weights cannot be found here (and could not be downloaded)."""


def weights_path(model: DetectionModel) -> str:
    """Where the model's weights are: an upload, a path, the model folder or an installed package."""
    if model.weights_file:
        try:
            return model.weights_file.path
        except NotImplementedError:  # remote storage: keep a local copy for torch to open
            local = settings.DETECTION_MODEL_DIR / "uploaded" / Path(model.weights_file.name).name
            if not local.exists():
                local.parent.mkdir(parents=True, exist_ok=True)
                with model.weights_file.open("rb") as source:
                    local.write_bytes(source.read())
            return str(local)
    name = model.weights.strip()
    path = Path(name)
    candidates = [path] if path.is_absolute() else [settings.DETECTION_MODEL_DIR / path]
    if not path.is_absolute() and len(path.parts) > 1:
        spec = importlib.util.find_spec(path.parts[0])
        if spec is not None and spec.submodule_search_locations:
            candidates.append(Path(next(iter(spec.submodule_search_locations)), *path.parts[1:]))
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    if settings.DETECTION_DOWNLOAD and len(path.parts) == 1:
        settings.DETECTION_MODEL_DIR.mkdir(parents=True, exist_ok=True)
        return str(settings.DETECTION_MODEL_DIR / name)  # ultralytics downloads known names there
    raise WeightsUnavailable(_unavailable_message(name))


def _unavailable_message(name: str) -> str:
    return (
        f"weights {name} not available offline: upload them on the detection model in the admin, "
        f"or put {Path(name).name} in {settings.DETECTION_MODEL_DIR} (VIGIL_DETECTION_MODEL_DIR)"
    )


class Detector:
    """A loaded model with the settings of its ``DetectionModel`` row, on the runtime chosen for this host."""

    def __init__(self, model: DetectionModel) -> None:
        from ultralytics import YOLO  # torch is imported by the detect workers only

        path = weights_path(model)
        device = settings.DETECTION_DEVICE or model.device
        self.device = None if device == "auto" else device
        self.runtime = backends.runtime_for(model, path, self.device)
        try:
            self.yolo = self._load(YOLO, path, model)
        except Exception as exc:
            # ultralytics raises ConnectionError, FileNotFoundError or torch errors; all mean the same here.
            missing = not Path(path).is_file()
            raise WeightsUnavailable(_unavailable_message(model.weights) if missing else f"{path}: {exc}") from exc
        self.model_id = model.pk
        self.version: datetime = model.updated_at
        self.names: dict[int, str] = dict(self.yolo.names)
        self.labels = {i: model.label_for(name) for i, name in self.names.items()}
        self.keep = set(model.keep_labels)
        self.options = {"imgsz": model.image_size, "conf": model.confidence, "iou": model.iou, "verbose": False}
        self.half = self.runtime.backend == "pytorch" and self.runtime.precision == "fp16"

    def _load(self, loader, path: str, model: DetectionModel):
        """The runtime's model, run once (ultralytics builds the runtime at the first prediction); an export
        that will not load or run is discarded and PyTorch used instead."""
        if self.runtime.path == path:
            return self._warm(loader(path, task="detect"))
        try:
            return self._warm(loader(self.runtime.path, task="detect"))
        except Exception as exc:
            backends.export_discard(self.runtime.path)
            logger.warning("detection model %s: the %s export would not load (%s); PyTorch instead",
                           model.name, self.runtime.backend, exc)  # fmt: skip
            self.runtime = backends.Runtime(
                "pytorch", "fp32", path, f"the {self.runtime.backend} export would not load: {str(exc)[:150]}; "
                "it was removed and is rebuilt at the next start", self.runtime.threads,
            )  # fmt: skip
            return self._warm(loader(path, task="detect"))

    def _warm(self, yolo):
        yolo.predict(np.zeros((32, 32, 3), np.uint8), device=self.device, verbose=False)
        self._tuned = None
        self.yolo = yolo
        self.tune()
        return yolo

    def detect(self, images: list[np.ndarray]) -> list[list[Detection]]:
        """Run the images as one batch; one list of detections per image, in the same order."""
        if not images:
            return []
        self.torch_threads()
        results = self.yolo.predict(images, device=self.device, quantize=self.quantize, **self.options)
        self.tune()
        return [[detection for detection, _ in self.detections(result)] for result in results]

    @property
    def quantize(self) -> int | None:
        """FP16 when the model asks for it and runs on a GPU (CPUs gain nothing from it)."""
        return 16 if self.half and str(self.device or "").startswith("cuda") else None

    def torch_threads(self) -> None:
        """PyTorch's thread count is the process's, not the model's: set it for this model before it runs
        (its inference threads on PyTorch; one beside an exported runtime, which has its own)."""
        import torch

        wanted = self.runtime.threads if self.runtime.backend == "pytorch" else 1
        if torch.get_num_threads() != wanted:
            torch.set_num_threads(wanted)

    def tune(self) -> None:
        """Give the runtime ``runtime.threads`` inference threads, once per predictor ultralytics builds."""
        predictor = self.yolo.predictor
        backend = getattr(getattr(predictor, "model", None), "backend", None)
        if backend is None or backend is self._tuned:
            return
        backends.threads_set(backend, self.runtime)
        self._tuned = backend

    def detections(self, result) -> list[tuple[Detection, int | None]]:
        """An ultralytics result as (detection, track id) pairs; the id is None when not tracking."""
        return boxes_of(result, labels=self.labels, keep=self.keep, tracked=True)


_loaded: dict[int, Detector] = {}
# model id -> (row version, when it failed, message): a model that cannot load is not retried on
# every batch (an offline download attempt alone takes seconds), only after RETRY_FAILED_SECONDS.
_failed: dict[int, tuple[datetime, float, str]] = {}
RETRY_FAILED_SECONDS = 60
_lock = threading.Lock()


def detectors_forget() -> None:
    """Drop every loaded model (tests; a worker reloads changed models by itself)."""
    with _lock:
        _loaded.clear()
        _failed.clear()
        backends.exports_forget()


def detector_for(model: DetectionModel) -> Detector:
    """The process's loaded detector for ``model``; loaded on first use and again after an edit.

    A failure is written on the model row, so the admin shows why, and raised.
    """
    with _lock:
        detector = _loaded.get(model.pk)
        if detector is not None and detector.version == model.updated_at:
            return detector
        failed = _failed.get(model.pk)
        if failed and failed[0] == model.updated_at and time.monotonic() - failed[1] < RETRY_FAILED_SECONDS:
            raise WeightsUnavailable(failed[2])
        try:
            detector = Detector(model)
        except WeightsUnavailable as exc:
            _failed[model.pk] = (model.updated_at, time.monotonic(), str(exc))
            # .update() leaves updated_at alone: the row's version, and so this cache, stay valid.
            DetectionModel.objects.filter(pk=model.pk).update(last_error=str(exc)[:500])
            raise
        _failed.pop(model.pk, None)
        DetectionModel.objects.filter(pk=model.pk).update(
            last_error="", loaded_at=timezone.now(), classes=list(detector.names.values()),
            backend_status=detector.runtime.describe()[:300],
        )  # fmt: skip
        _loaded[model.pk] = detector
        logger.info("loaded detection model %s (#%s) on %s: %s", model.name, model.pk, detector.device or "auto",
                    detector.runtime.describe())  # fmt: skip
        return detector


def default_model() -> DetectionModel | None:
    """``VIGIL_DETECTION_MODEL`` by name, else the admin's default."""
    if settings.DETECTION_MODEL:
        return DetectionModel.objects.filter(name=settings.DETECTION_MODEL).first()
    return DetectionModel.objects.filter(is_default=True).first()


def model_for_camera(camera) -> DetectionModel | None:
    """The camera's own model, else the default one."""
    return camera.detection_model if camera.detection_model_id else default_model()
