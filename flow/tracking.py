"""Detection with tracking, frame after frame of one camera, and the crossings it shows."""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.conf import settings

from cameras.models import Camera
from core.vision import Detection
from detection.detector import Detector, detector_for
from detection.models import DetectionModel
from flow import crossing
from flow.models import CountingLine


def tracker_file(camera: Camera | None) -> str:
    """The ultralytics tracker YAML for ``camera``: the site's file if one is set, else one written from the
    camera's Tracking settings over the shipped defaults (one file per distinct setting, reused)."""
    if settings.FLOW_TRACKER or camera is None:
        return settings.FLOW_TRACKER or "bytetrack.yaml"
    from ultralytics.utils import YAML
    from ultralytics.utils.checks import check_yaml

    values = {**YAML.load(check_yaml(f"{camera.tracker}.yaml")), **camera.tracker_settings()}
    text = json.dumps(values, sort_keys=True)  # JSON is YAML
    folder = Path(settings.DATA_DIR) / "trackers"
    path = folder / f"{hashlib.sha256(text.encode()).hexdigest()[:16]}.yaml"
    if not path.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        # A temporary file of this process's own, renamed into place: a worker writing the same settings at
        # the same moment never lets a tracker read half a file.
        with tempfile.NamedTemporaryFile("w", dir=folder, suffix=".part", delete=False) as partial:
            partial.write(text)
        Path(partial.name).replace(path)
    return str(path)


# Where a walking person's feet meet the floor, between them, is above the box's bottom edge (that is the
# lower foot): a tenth of the box's height up, measured on the hand-counted clips (docs/counting.md).
FEET_ABOVE_BOTTOM = 0.1
EDGE = 0.01  # a box this close to the picture's bottom edge is cut by it


def ground_point(detection: Detection) -> tuple[float, float]:
    """The counting anchor: the point between the feet, not the lowest foot (which leads walking down the
    picture and lags walking up it, so the box's bottom crosses early one way and late the other)."""
    x1, y1, x2, y2 = detection.box
    if y2 >= 1 - EDGE:
        return ((x1 + x2) / 2, y2)  # cut by the bottom edge: the feet are out of view, at or below it
    return ((x1 + x2) / 2, y2 - FEET_ABOVE_BOTTOM * (y2 - y1))


class TrackingDetector(Detector):
    """A detector that follows objects between the frames it is given.

    ultralytics keeps the tracker's state in the model object, so each stream (or video) gets its
    own instance: the weights are loaded once per stream, not shared like ``detector_for``'s.
    Boxes go to the tracker from the camera's tracking confidence (lower than the model's: ByteTrack
    keeps people it follows with weak boxes); ``shown`` keeps what people and rules see.
    """

    def __init__(self, model: DetectionModel, camera: Camera | None = None) -> None:
        super().__init__(model)
        self.tracker = tracker_file(camera)
        # (x1, y1, x2, y2) normalised: only this part of the picture is tracked; None: all of it.
        self.region: tuple[float, float, float, float] | None = None
        self.shown_confidence = self.options["conf"]
        if camera is not None:
            self.options = {**self.options, "conf": min(camera.track_confidence, self.shown_confidence)}

    def track(self, image: np.ndarray) -> list[tuple[Detection, int | None]]:
        """Tracked detections (boxes normalised to the whole picture) of ``image``, or of its ``region``."""
        crop, (x0, y0, scale_x, scale_y) = image, (0.0, 0.0, 1.0, 1.0)
        if self.region is not None:
            height, width = image.shape[:2]
            left, top = round(self.region[0] * width), round(self.region[1] * height)
            right, bottom = round(self.region[2] * width), round(self.region[3] * height)
            if right - left >= 2 and bottom - top >= 2:
                crop = image[top:bottom, left:right]
                x0, y0, scale_x, scale_y = left / width, top / height, (right - left) / width, (bottom - top) / height
        self.torch_threads()
        result = self.yolo.track(crop, persist=True, tracker=self.tracker, device=self.device,
                                 quantize=self.quantize, **self.options)[0]  # fmt: skip
        self.tune()
        tracked = self.detections(result)
        if crop is image:
            return tracked
        return [(_placed(d, x0, y0, scale_x, scale_y), track_id) for d, track_id in tracked]

    def shown(self, tracked: list[tuple[Detection, int | None]]) -> list[Detection]:
        """The detections confident enough for people, counts and threat rules."""
        return [detection for detection, _ in tracked if detection.confidence >= self.shown_confidence]

    def reset(self) -> None:
        """Forget every track (after a reconnect the picture jumped); ids start again at 1."""
        predictor = self.yolo.predictor
        for tracker in getattr(predictor, "trackers", None) or []:
            tracker.reset()


def _placed(detection: Detection, x0: float, y0: float, scale_x: float, scale_y: float) -> Detection:
    """A detection of a crop, in the coordinates of the whole picture."""
    x1, y1, x2, y2 = detection.box
    box = (x0 + x1 * scale_x, y0 + y1 * scale_y, x0 + x2 * scale_x, y0 + y2 * scale_y)
    return Detection(detection.label, detection.confidence, tuple(round(v, 5) for v in box), detection.class_name)


# Around the lines, the tracked region leaves room for whole people: their height above the lines (they stand
# on them) and half of it on the other sides, plus a margin to follow them before and after they cross.
REGION_MARGIN = 0.1
REGION_MAX_AREA = 0.6  # a region this large costs what the whole picture does: track all of it


def lines_bounds(lines: list[CountingLine]) -> tuple[float, float, float, float] | None:
    points = [p for line in lines for p in [line.start, line.end, *(line.door or [])]]
    if not points:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def person_height(lines: list[CountingLine], detections: list[Detection]) -> float | None:
    """How tall (a fraction of the picture's height) the people standing near the lines are: the 90th
    percentile of the boxes whose feet are there; None when nobody was seen there."""
    bounds = lines_bounds(lines)
    if bounds is None:
        return None
    x1, y1, x2, y2 = (bounds[0] - REGION_MARGIN, bounds[1] - REGION_MARGIN,
                      bounds[2] + REGION_MARGIN, bounds[3] + REGION_MARGIN)  # fmt: skip
    heights = sorted(d.box[3] - d.box[1] for d in detections if x1 <= d.foot[0] <= x2 and y1 <= d.foot[1] <= y2)
    return heights[min(len(heights) - 1, int(len(heights) * 0.9))] if heights else None


def lines_region(lines: list[CountingLine], height: float | None) -> tuple[float, float, float, float] | None:
    """The part of the picture around the counting lines (and their doors) where people of ``height`` who
    cross them are whole, or None for the whole picture (people's size unknown, or the region nearly all).

    At a fixed inference size, the model sees the people who count larger in the region: on the concourse
    clip it finds the far walkway's people at 640 px in the region as it does at 960 px in the whole picture
    (docs/benchmarks.md), for the cost of 640.
    """
    bounds = lines_bounds(lines)
    if bounds is None or height is None:
        return None
    x1, y1, x2, y2 = bounds
    side = REGION_MARGIN + height / 2
    region = (max(0.0, x1 - side), max(0.0, y1 - REGION_MARGIN - 1.2 * height),
              min(1.0, x2 + side), min(1.0, y2 + side))  # fmt: skip
    if (region[2] - region[0]) * (region[3] - region[1]) > REGION_MAX_AREA:
        return None
    return region


class RegionSizer:
    """A stream's first seconds, tracked whole: how tall people near the lines are, then the region for them."""

    def __init__(self, lines: list[CountingLine], seconds: float) -> None:
        self.lines, self.seconds = lines, seconds
        self.detections: list[Detection] = []
        self.started: float | None = None
        self.height: float | None = None
        self.region: tuple[float, float, float, float] | None = None

    def add(self, tracked: list[tuple[Detection, int | None]], at: float) -> bool:
        """Take a frame's detections; True once the region is decided (None: keep the whole picture)."""
        self.started = at if self.started is None else self.started
        self.detections += [d for d, _ in tracked]
        if at - self.started < self.seconds:
            return False
        self.height = person_height(self.lines, self.detections)
        self.region = lines_region(self.lines, self.height)
        return True


def whole_picture(
    tracker: TrackingDetector, model: DetectionModel, image: np.ndarray, tracked: list[tuple[Detection, int | None]]
) -> list[tuple[Detection, int | None]]:
    """What counts, threat rules and events see of a tracked frame: the tracked detections people would be
    shown, or, when only a region was tracked, the whole picture detected by the process's shared model."""
    if tracker.region is None:
        return [(d, track_id) for d, track_id in tracked if d.confidence >= tracker.shown_confidence]
    return [(d, None) for d in detector_for(model).detect([image])[0]]


@dataclass
class FlowCounter:
    """A camera's counting lines followed over consecutive frames; the anchor is where people stand."""

    lines: dict[int, CountingLine]
    confirm_seconds: float = field(default_factory=lambda: settings.FLOW_CONFIRM_SECONDS)
    counter: crossing.LineCounter = field(init=False)

    def __post_init__(self) -> None:
        self.counter = crossing.LineCounter([line.as_line() for line in self.lines.values()],
                                            confirm_seconds=self.confirm_seconds,
                                            count_as=settings.FLOW_COUNT_AS)  # fmt: skip

    @classmethod
    def for_camera(cls, camera_id: int) -> FlowCounter:
        return cls({line.pk: line for line in CountingLine.objects.filter(camera_id=camera_id, enabled=True)})

    def update(
        self, tracked: list[tuple[Detection, int | None]], *, at: float, size: tuple[int, int]
    ) -> list[crossing.Crossing]:
        """Crossings confirmed by the tracked detections of the frame taken at ``at`` (seconds), ``size`` (w, h)."""
        seen = [crossing.Seen(track_id, d.label, ground_point(d), d.box, d.confidence) for d, track_id in tracked]
        return self.counter.update(seen, at, size)

    def finish(self) -> list[crossing.Crossing]:
        """The video ended or the stream dropped: crossings still pending count."""
        return self.counter.finish()
