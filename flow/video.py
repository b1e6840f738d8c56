"""Crossings in a recorded video: the file tracked frame after frame as a live stream would be."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings

from cameras.models import Camera
from detection.detector import WeightsUnavailable, model_for_camera
from detection.video import video_frames, video_info
from flow import crossing
from flow.services import crossings_record
from flow.tracking import FlowCounter, TrackingDetector


class NoCountingLines(ValueError):
    """The camera has no enabled counting line: there is nothing to count crossings of."""


@dataclass
class VideoFlow:
    frames: int = 0
    crossings: list = field(default_factory=list)  # flow.crossing.Crossing, in order
    recorded: int = 0  # new rows (0 when the same recording was analysed before)

    def totals(self) -> Counter:
        """(line id, direction) -> crossings."""
        return Counter((c.line, c.direction) for c in self.crossings)

    def occupancy(self, label: str = "person") -> tuple[int, int]:
        """(at the end, peak) of entries - exits over the file, never below zero, as the live counter does."""
        current = peak = 0
        for item in self.crossings:
            if item.label == label:
                current = max(0, current + (1 if item.direction == crossing.IN else -1))
                peak = max(peak, current)
        return current, peak


def video_crossings(
    camera: Camera, path: Path, *, start: datetime, fps: float | None = None,
    progress: Callable[[int], None] | None = None,
) -> VideoFlow:  # fmt: skip
    """Track the camera's model through ``path`` at ``fps`` frames per second and record every crossing
    of the camera's lines, timed from ``start`` (the same start twice records nothing new).

    Raises ``NoCountingLines``, ``WeightsUnavailable`` or ``UnreadableVideo`` with a message to show.
    """
    counter = FlowCounter.for_camera(camera.pk)
    if not counter.lines:
        raise NoCountingLines(f"Camera {camera} has no enabled counting line: draw one in the admin first.")
    model = model_for_camera(camera)
    if model is None:
        raise WeightsUnavailable("no detection model: mark one as the default in the admin")
    tracker = TrackingDetector(model)
    video_fps, _ = video_info(path)
    result = VideoFlow()
    for index, frame in video_frames(path, every_seconds=1 / (fps or settings.FLOW_FPS), start=start):
        found = counter.update(tracker.track(frame.image), frame=index)
        if found:
            timed = [(c, start + timedelta(seconds=c.frame / video_fps)) for c in found]
            result.recorded += crossings_record(lines=counter.lines, found=timed)
            result.crossings += found
        result.frames += 1
        if progress:
            progress(1)
    return result
