"""One stream camera analysed continuously: read, track, count crossings, record, reconnect.

Every frame goes through the tracker (crossings need consecutive frames); what a frame shows is
recorded at most once per ``VIGIL_STREAM_RECORD_SECONDS`` (counts, threat rules, the camera's
latest frame and health), so a 12 fps stream costs the database what a 1 s snapshot camera does.
When the stream drops, the camera's health says why, and the analysis reconnects with a growing
pause (1 s, 2 s, ... 10 s); the tracker and line memory start afresh, as the picture jumped.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from cameras.models import Camera
from cameras.readers import CaptureError
from cameras.services import camera_frame_accept, camera_record_failure
from detection.detector import WeightsUnavailable, model_for_camera
from detection.recent import recent_detections_record
from detection.services import camera_detection_failed, frame_result_record
from flow.live import counters_publish
from flow.services import crossings_record, zones_count
from flow.tracking import FlowCounter, RegionSizer, TrackingDetector, whole_picture
from streams.reader import reader_for

logger = logging.getLogger(__name__)

MAX_RECONNECT_PAUSE = 10.0
# The first seconds of a connection are tracked whole, to see how tall people near the lines are.
REGION_SIZING_SECONDS = 3.0


@dataclass
class StreamStats:
    """What the analysis did since it started (shown in logs and the worker's heartbeat)."""

    frames: int = 0
    skipped: int = 0
    crossings: int = 0
    recorded: int = 0
    reconnects: int = 0
    started: float = field(default_factory=time.monotonic)
    last_error: str = ""

    def fps(self) -> float:
        return self.frames / max(time.monotonic() - self.started, 1e-6)


class StreamAnalysis:
    """Analyses one camera in its own thread until ``stop`` is called."""

    def __init__(self, camera_id: int) -> None:
        self.camera_id = camera_id
        self.stats = StreamStats()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"stream-{camera_id}", daemon=True)
        self._tracker: TrackingDetector | None = None
        self._tracker_version: tuple | None = None
        self._region_key: list | None = None  # the lines the region below was sized for
        self._region: tuple | None = None
        self._session_frames = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        failures = 0
        try:
            while not self._stop.is_set():
                close_old_connections()
                camera = Camera.objects.select_related("detection_model").filter(pk=self.camera_id).first()
                if camera is None:
                    return
                started = timezone.now()
                self._session_frames = 0
                try:
                    self._session(camera)
                    continue  # stopped
                except CaptureError as exc:
                    # A stream that worked until now is tried again after 1 s; one that never did, later and later.
                    failures = 1 if self._session_frames else failures + 1
                    self.stats.last_error = str(exc)
                    logger.info("stream of %s: %s", camera.name, exc)
                    camera_record_failure(camera=camera, error=str(exc), started_at=started)
                except WeightsUnavailable as exc:
                    failures += 1
                    self.stats.last_error = str(exc)
                    logger.warning("stream of %s not analysed: %s", camera.name, exc)
                    camera_detection_failed(camera_ids=[camera.pk], error=str(exc))
                except Exception:  # a bug or a database outage must not end the camera's analysis
                    failures += 1
                    logger.exception("stream analysis of %s failed", camera.name)
                self.stats.reconnects += 1
                self._stop.wait(min(2 ** (failures - 1), MAX_RECONNECT_PAUSE))
        finally:
            connection.close()

    def _session(self, camera: Camera) -> None:
        """Analyse the stream until it fails (raises ``CaptureError``) or the analysis is stopped."""
        counter = FlowCounter.for_camera(camera.pk)
        analyse = camera.detect
        sizer = None
        if analyse:
            model = model_for_camera(camera)
            if model is None:
                raise WeightsUnavailable("no detection model: mark one as the default in the admin")
            version = (model.pk, model.updated_at, camera.tracker_settings(), camera.track_confidence)
            if self._tracker is None or self._tracker_version != version:
                self._tracker, self._tracker_version = TrackingDetector(model, camera), version
            self._tracker.reset()
            self._tracker.region, sizer = self._region_for(camera, counter)
        reader = reader_for(camera, fps=settings.FLOW_FPS, max_width=settings.STREAM_MAX_WIDTH,
                            stall_seconds=settings.STREAM_STALL_SECONDS)  # fmt: skip
        reader.open()
        skipped_before = self.stats.skipped
        next_record = 0.0
        try:
            while not self._stop.is_set():
                frame = reader.next_frame()
                self._session_frames += 1
                self.stats.frames += 1
                self.stats.skipped = skipped_before + reader.frames_skipped
                tracked, inference_ms = [], None
                if analyse:
                    began = time.perf_counter()
                    tracked = self._tracker.track(frame.image)
                    inference_ms = round((time.perf_counter() - began) * 1000)
                    # Every tracked frame, for the live view's overlay (one Redis round trip; never raises).
                    overlay = [(d, t) for d, t in tracked if d.confidence >= self._tracker.shown_confidence]
                    recent_detections_record(camera_id=camera.pk, captured_at=frame.captured_at,
                                             detections=[d for d, _ in overlay],
                                             track_ids=[t for _, t in overlay])  # fmt: skip
                    if counter.lines:
                        height, width = frame.image.shape[:2]
                        found = counter.update(tracked, at=frame.captured_at.timestamp(), size=(width, height))
                        self._crossings_record(camera, counter, found)
                    if sizer is not None and sizer.add(tracked, frame.captured_at.timestamp()):
                        counter = self._region_decided(camera, counter, sizer)
                        sizer = None
                if time.monotonic() >= next_record:
                    next_record = time.monotonic() + settings.STREAM_RECORD_SECONDS
                    camera_frame_accept(camera=camera, frame=frame, latency_ms=None, submit=False)
                    if analyse:
                        # What people and rules see starts at the model's confidence (the tracker saw weaker
                        # boxes), and covers the whole picture (the tracker may have seen the lines' region).
                        shown = whole_picture(self._tracker, model, frame.image, tracked)
                        detections = [detection for detection, _ in shown]
                        # The track ids let rules that need time (person down) follow the same person.
                        frame_result_record(camera=camera, frame=frame, detections=detections,
                                            inference_ms=inference_ms,
                                            track_ids=[track_id for _, track_id in shown])  # fmt: skip
                        if zones_count(camera_id=camera.pk, detections=detections, at=frame.captured_at):
                            counters_publish(camera)
                        self.stats.recorded += 1
                    self.stats.last_error = ""
        finally:
            reader.close()
            if analyse and counter.lines:
                try:  # people seen over a line when the stream dropped
                    self._crossings_record(camera, counter, counter.finish())
                except Exception:  # the database may be why the session ended: never hide that error
                    logger.exception("crossings pending when the stream of %s ended were lost", camera.name)

    def _region_for(self, camera: Camera, counter: FlowCounter) -> tuple[tuple | None, RegionSizer | None]:
        """The region to track (None: all of it), known from an earlier connection, or a sizer to find it."""
        if not counter.lines or camera.track_region != Camera.TrackRegion.LINES:
            return None, None
        key = _lines_key(counter.lines.values())
        if self._region_key == key:
            return self._region, None
        self._region_key, self._region = None, None
        return None, RegionSizer(list(counter.lines.values()), seconds=REGION_SIZING_SECONDS)

    def _region_decided(self, camera: Camera, counter: FlowCounter, sizer: RegionSizer) -> FlowCounter:
        """From now on only the region around the lines is tracked: ids start again, and so does the counting
        (crossings pending until now count first)."""
        if sizer.height is None:
            return counter  # nobody near the lines yet: whole picture this connection, sized again next one
        self._region_key = _lines_key(sizer.lines)
        self._region = sizer.region
        if sizer.region is None:
            return counter
        self._crossings_record(camera, counter, counter.finish())
        self._tracker.region = sizer.region
        self._tracker.reset()
        return FlowCounter(counter.lines)

    def _crossings_record(self, camera: Camera, counter: FlowCounter, found: list) -> None:
        if not found:
            return
        at = [(c, datetime.fromtimestamp(c.at, tz=UTC)) for c in found]
        added = crossings_record(lines=counter.lines, found=at)
        self.stats.crossings += added
        if added:
            counters_publish(camera)


def _lines_key(lines) -> list:
    """What a tracking region was sized for: the lines and their doors, as drawn."""
    return sorted((line.pk, str(line.start), str(line.end), str(line.door)) for line in lines)
