"""A recorded video analysed in one tracking pass: crossings of the camera's lines, and every ``every``
seconds the frame's detections through counts, threat rules and events, as a stream camera's would be.

Needs no Redis: the motion gate keeps its memory in this process (it sees every frame itself).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings

from cameras.models import Camera
from detection.detector import WeightsUnavailable, detector_for, model_for_camera
from detection.pipeline import Outcome, frame_detected_record
from detection.video import video_frames, video_info, video_samples
from flow import crossing
from flow.services import crossings_record
from flow.tracking import FlowCounter, TrackingDetector, lines_region, person_height, whole_picture


class NoCountingLines(ValueError):
    """The camera has no enabled counting line: there is nothing to count crossings of."""


@dataclass
class VideoFlow:
    frames: int = 0  # tracked
    crossings: list = field(default_factory=list)  # flow.crossing.Crossing, in the order they happened
    recorded: int = 0  # new rows (0 when the same recording was analysed before)
    outcomes: list[Outcome] = field(default_factory=list)  # the frames that went through counts and rules
    # (frame number, [(detection, track id), ...]) of every tracked frame, when asked for (benchmarks).
    tracks: list | None = None
    cpu_seconds: float = 0.0

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


def video_analyse(
    camera: Camera, path: Path, *, start: datetime, fps: float | None = None, every: float | None = None,
    motion_gate: bool = True, keep_tracks: bool = False, progress: Callable[[int], None] | None = None,
) -> VideoFlow:  # fmt: skip
    """Track the camera's model through ``path`` at ``fps`` frames per second and record every crossing of
    the camera's lines, timed from ``start`` (the same start twice records nothing new); with ``every``,
    one tracked frame in each ``every`` seconds also goes through counts, threat rules and events.

    Raises ``NoCountingLines`` (only without ``every``), ``WeightsUnavailable`` or ``UnreadableVideo``.
    """
    counter = FlowCounter.for_camera(camera.pk)
    if not counter.lines and every is None:
        raise NoCountingLines(f"Camera {camera} has no enabled counting line: draw one in the admin first.")
    model = model_for_camera(camera)
    if model is None:
        raise WeightsUnavailable("no detection model: mark one as the default in the admin")
    tracker = TrackingDetector(model, camera)
    video_fps, _ = video_info(path)
    if camera.track_region == Camera.TrackRegion.LINES and counter.lines:
        tracker.region = _region(model, path, list(counter.lines.values()))
    result = VideoFlow(tracks=[] if keep_tracks else None)
    references: dict = {}  # the motion gate's memory, in this process
    last_window = None
    started = time.process_time()
    for index, frame in video_frames(path, every_seconds=1 / (fps or settings.FLOW_FPS), start=start):
        began = time.perf_counter()
        tracked = tracker.track(frame.image)
        inference_ms = round((time.perf_counter() - began) * 1000)
        height, width = frame.image.shape[:2]
        if counter.lines:
            found = counter.update(tracked, at=index / video_fps, size=(width, height))
            result.recorded += _record(counter, found, start, result)
        window = None if every is None else int(index / video_fps // every)
        if window is not None and window != last_window:
            last_window = window
            shown = whole_picture(tracker, model, frame.image, tracked)
            result.outcomes.append(
                frame_detected_record(
                    camera,
                    frame,
                    [d for d, _ in shown],
                    track_ids=[t for _, t in shown],
                    inference_ms=inference_ms,
                    motion_gate=motion_gate,
                    gate_references=references,
                )
            )
        if keep_tracks:
            result.tracks.append((index, tracked))
        result.frames += 1
        if progress:
            progress(1)
    if counter.lines:
        result.recorded += _record(counter, counter.finish(), start, result)
    result.crossings.sort(key=lambda c: c.at)
    result.cpu_seconds = time.process_time() - started
    return result


SIZE_SAMPLES = 8  # frames spread over the video, detected whole, to see how tall people are near the lines


def _region(model, path: Path, lines: list) -> tuple | None:
    """The region around the lines for people as tall as those seen near them in a few frames of the video."""
    detections = [d for found in detector_for(model).detect(video_samples(path, SIZE_SAMPLES)) for d in found]
    return lines_region(lines, person_height(lines, detections))


def _record(counter: FlowCounter, found: list[crossing.Crossing], start: datetime, result: VideoFlow) -> int:
    if not found:
        return 0
    result.crossings += found
    return crossings_record(lines=counter.lines, found=[(c, start + timedelta(seconds=c.at)) for c in found])
