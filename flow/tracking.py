"""Detection with tracking, frame after frame of one camera, and the crossings it shows."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from django.conf import settings

from detection.detector import Detection, Detector
from detection.models import DetectionModel
from flow import crossing
from flow.models import CountingLine


class TrackingDetector(Detector):
    """A detector that follows objects between the frames it is given.

    ultralytics keeps the tracker's state in the model object, so each stream (or video) gets its
    own instance: the weights are loaded once per stream, not shared like ``detector_for``'s.
    """

    def __init__(self, model: DetectionModel, tracker: str | None = None) -> None:
        super().__init__(model)
        self.tracker = tracker or settings.FLOW_TRACKER

    def track(self, image: np.ndarray) -> list[tuple[Detection, int | None]]:
        result = self.yolo.track(image, persist=True, tracker=self.tracker, device=self.device,
                                 quantize=self.quantize, **self.options)[0]  # fmt: skip
        return self.detections(result)

    def reset(self) -> None:
        """Forget every track (after a reconnect the picture jumped); ids start again at 1."""
        predictor = self.yolo.predictor
        for tracker in getattr(predictor, "trackers", None) or []:
            tracker.reset()


@dataclass
class FlowCounter:
    """A camera's counting lines followed over consecutive frames; the anchor is where people stand."""

    lines: dict[int, CountingLine]
    confirm_frames: int = field(default_factory=lambda: settings.FLOW_CONFIRM_FRAMES)
    counter: crossing.LineCounter = field(init=False)

    def __post_init__(self) -> None:
        self.counter = crossing.LineCounter([line.as_line() for line in self.lines.values()],
                                            confirm_frames=self.confirm_frames)  # fmt: skip

    @classmethod
    def for_camera(cls, camera_id: int) -> FlowCounter:
        return cls({line.pk: line for line in CountingLine.objects.filter(camera_id=camera_id, enabled=True)})

    def update(self, tracked: list[tuple[Detection, int | None]], frame: int) -> list[crossing.Crossing]:
        seen = [crossing.Seen(track_id, detection.label, detection.foot) for detection, track_id in tracked]
        return self.counter.update(seen, frame=frame)
