"""Detection of queued frames: motion gate, batched inference, then counts, rules and events.

``frames_analyse`` is the one path every frame takes, from the detect queue or from
``analyze_video``.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings

from cameras import frame_store
from cameras.frames import Frame, InvalidImage, decode_image
from cameras.models import Camera
from core.isolation import is_outage
from core.vision import Detection
from detection import motion, queue
from detection.detector import Detector, WeightsUnavailable, default_model, detector_for
from detection.models import DetectionModel
from detection.recent import recent_detections_record
from detection.services import camera_detection_failed, frame_result_record

logger = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What happened to one frame."""

    camera_id: int
    frame: Frame
    detections: list[Detection] | None = None
    unchanged: bool = False
    recorded: bool = False
    error: str = ""


def frames_analyse(
    jobs: list[tuple[Camera, Frame]],
    *,
    batch_size: int | None = None,
    motion_gate: bool = True,
    fallback: DetectionModel | None = None,
    gate_references: dict | None = None,
    live: bool = False,
) -> list[Outcome]:
    """Analyse frames of any cameras; frames using the same model run through it in batches.

    ``fallback`` is the model of cameras that name none (looked up here when not given).
    ``gate_references``: the motion gate's memory in this process instead of Redis (a video file).
    ``live``: the frames were just captured (the detect queue), so a rule may ask their camera for a
    burst of pictures; never for a recorded video.
    """
    batch_size = batch_size or settings.DETECTION_BATCH_SIZE
    if fallback is None and any(not camera.detection_model_id for camera, _ in jobs):
        fallback = default_model()
    outcomes = [Outcome(camera.pk, frame) for camera, frame in jobs]
    by_model: dict[int, list[int]] = defaultdict(list)
    models: dict[int, DetectionModel] = {}
    for i, (camera, frame) in enumerate(jobs):
        try:
            unchanged = _unchanged(camera, frame, motion_gate=motion_gate, references=gate_references)
        except Exception as exc:
            _frame_failed(outcomes[i], exc, stage="motion gate")
            continue
        if unchanged:
            outcomes[i].unchanged = True
            continue
        model = camera.detection_model if camera.detection_model_id else fallback
        if model is None:
            outcomes[i].error = "no detection model: mark one as the default in the admin"
            camera_detection_failed(camera_ids=[camera.pk], error=outcomes[i].error)
            continue
        models[model.pk] = model
        by_model[model.pk].append(i)

    for model_id, indexes in by_model.items():
        try:
            detector = detector_for(models[model_id])
        except WeightsUnavailable as exc:
            # One clear line, on the model and its cameras too: never only a traceback in a log.
            logger.warning("detection model %s cannot be used: %s", models[model_id].name, exc)
            camera_detection_failed(camera_ids=[jobs[i][0].pk for i in indexes], error=str(exc))
            for i in indexes:
                outcomes[i].error = str(exc)
            continue
        for start in range(0, len(indexes), batch_size):
            chunk = indexes[start : start + batch_size]
            for i, detections, per_frame_ms in _detect_chunk(detector, chunk, jobs, outcomes):
                camera, frame = jobs[i]
                outcomes[i].detections = detections
                if live:  # for the live view's overlay; a recorded video's frames are no live picture
                    recent_detections_record(camera_id=camera.pk, captured_at=frame.captured_at, detections=detections)
                try:
                    sample = frame_result_record(
                        camera=camera, frame=frame, detections=detections, inference_ms=per_frame_ms, live=live
                    )
                except Exception as exc:
                    _frame_failed(outcomes[i], exc, stage="recording")
                    continue
                outcomes[i].recorded = sample is not None
    # Unchanged frames carry the counts of the frame before them, which may be in this batch.
    for i, outcome in enumerate(outcomes):
        if outcome.unchanged:
            try:
                sample = frame_result_record(camera=jobs[i][0], frame=outcome.frame, detections=None, live=live)
            except Exception as exc:
                _frame_failed(outcome, exc, stage="recording")
                continue
            outcome.recorded = sample is not None
    return outcomes


def _unchanged(camera: Camera, frame: Frame, *, motion_gate: bool, references: dict | None) -> bool:
    """The motion gate: whether the camera's picture has not changed enough to be analysed."""
    return (
        motion_gate
        and camera.motion_gate
        and motion.frame_unchanged(
            camera_id=camera.pk,
            image=frame.image,
            threshold=camera.motion_threshold,
            references=references,
            frame_id=frame.captured_at.isoformat(),
        )
    )


def frame_detected_record(
    camera: Camera,
    frame: Frame,
    detections: list[Detection],
    *,
    track_ids: list[int | None] | None = None,
    inference_ms: int | None = None,
    motion_gate: bool = True,
    gate_references: dict | None = None,
) -> Outcome:
    """What ``frames_analyse`` does after inference, for a frame already detected elsewhere (the tracking
    pass of a video): the motion gate, then counts, threat rules and events."""
    outcome = Outcome(camera.pk, frame)
    try:
        outcome.unchanged = _unchanged(camera, frame, motion_gate=motion_gate, references=gate_references)
        if not outcome.unchanged:
            outcome.detections = detections
        sample = frame_result_record(
            camera=camera, frame=frame, detections=outcome.detections, inference_ms=inference_ms,
            track_ids=None if outcome.unchanged else track_ids,
        )  # fmt: skip
    except Exception as exc:
        _frame_failed(outcome, exc, stage="recording")
        return outcome
    outcome.recorded = sample is not None
    return outcome


def _detect_chunk(
    detector: Detector, chunk: list[int], jobs: list[tuple[Camera, Frame]], outcomes: list[Outcome]
) -> list[tuple[int, list[Detection], int]]:
    """Run one batch through the model: (job index, detections, ms per frame) for each frame that ran.

    A batch that raises is run again frame by frame, so only the frame that breaks inference is lost.
    """
    started = time.perf_counter()
    try:
        results = detector.detect([jobs[i][1].image for i in chunk])
    except Exception as exc:
        if len(chunk) == 1:
            _frame_failed(outcomes[chunk[0]], exc, stage="inference")
            return []
        if is_outage(exc):
            raise
        return [ran for i in chunk for ran in _detect_chunk(detector, [i], jobs, outcomes)]
    per_frame_ms = round((time.perf_counter() - started) * 1000 / len(chunk))
    return [(i, detections, per_frame_ms) for i, detections in zip(chunk, results, strict=True)]


def _frame_failed(outcome: Outcome, exc: Exception, *, stage: str) -> None:
    """One frame failed (bad data, a rule that raises): logged and skipped, the batch goes on.

    An outage (database or Redis away) is not the frame's fault: it is raised for the task's retry.
    """
    if is_outage(exc):
        raise exc
    outcome.error = f"{stage} failed: {type(exc).__name__}: {exc}"[:500]
    logger.exception(
        "frame of camera #%s at %s skipped: %s failed", outcome.camera_id, outcome.frame.captured_at, stage
    )


def frames_detect_waiting(*, entry: str, batch_id: str = "", redelivered: bool = False) -> list[Outcome]:
    """Run the detect task's frame with others that are waiting, as one batch (``batch_id``: the task id)."""
    batch_id = batch_id or entry
    taken = queue.frames_take(entry, limit=settings.DETECTION_BATCH_SIZE, batch_id=batch_id, redelivered=redelivered)
    outcomes = _frames_detect(taken) if taken else []
    queue.batch_done(batch_id, taken)
    return outcomes


def _frames_detect(taken: list[queue.WaitingFrame]) -> list[Outcome]:
    cameras = {
        c.pk: c
        for c in Camera.objects.filter(pk__in={w.camera_id for w in taken}, enabled=True, detect=True).select_related(
            "detection_model"
        )
    }
    # The default model's row only when a camera needs it: one query less a frame where cameras name theirs.
    fallback = default_model() if any(not c.detection_model_id for c in cameras.values()) else None
    jobs = []
    for waiting, data in zip(taken, frame_store.frames_get([w.key for w in taken]), strict=True):
        camera = cameras.get(waiting.camera_id)
        if camera is None or data is None:
            continue  # camera gone or switched off, or the frame expired while the queue was long
        model = camera.detection_model or fallback
        try:
            frame = decode_image(data, min_side=model.image_size if model else None)
        except InvalidImage:
            logger.warning("queued frame %s is not a usable image", waiting.key)
            continue
        except Exception:  # a decoder bug on one odd file must not lose the batch
            logger.exception("queued frame %s could not be decoded", waiting.key)
            continue
        frame.captured_at = waiting.captured_at
        jobs.append((camera, frame))
    return frames_analyse(jobs, fallback=fallback, live=True) if jobs else []
