"""Writes of the detection stage: hand frames to the detect queue, record what each frame showed,
and keep the count tables bounded."""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from cameras import frame_store
from cameras.frames import Frame
from cameras.models import Camera
from detection import queue
from detection.detector import Detection
from detection.models import CountMinute, CountSample
from events.services import rules_apply

logger = logging.getLogger(__name__)


def frame_submit(*, camera_id: int, frame: Frame) -> None:
    """Queue a captured frame for detection; a broker or Redis failure loses the frame, not the capture."""
    from detection.tasks import detect_frame  # tasks import this module

    try:
        entry = queue.frame_wait(camera_id, frame)
        detect_frame.apply_async(kwargs={"entry": entry}, expires=frame_store.FRAME_TTL_SECONDS)
    except Exception as exc:
        logger.warning("frame of camera %s not queued for detection: %s", camera_id, exc)


@transaction.atomic
def frame_result_record(
    *,
    camera: Camera,
    frame: Frame,
    detections: list[Detection] | None,
    inference_ms: int | None = None,
) -> CountSample | None:
    """Store the counts of one processed frame and run the threat rules on it.

    ``detections`` is None for a frame the motion gate skipped: its counts carry over from the
    previous sample and rules are not run (nothing new was seen). Returns None when this frame
    was recorded before (a redelivered task): then nothing changes.
    """
    unchanged = detections is None
    if unchanged:
        previous = CountSample.objects.filter(camera=camera, captured_at__lt=frame.captured_at).first()
        counts = previous.counts if previous else {}
    else:
        counts = dict(Counter(d.label for d in detections))
    try:
        with transaction.atomic():
            sample = CountSample.objects.create(
                camera=camera,
                captured_at=frame.captured_at,
                counts=counts,
                total=sum(counts.values()),
                unchanged=unchanged,
                inference_ms=inference_ms,
            )
    except IntegrityError:
        return None
    if camera.detection_error:
        Camera.objects.filter(pk=camera.pk).update(detection_error="")
        camera.detection_error = ""
    if not unchanged:
        rules_apply(camera=camera, frame=frame, detections=detections)
    return sample


def camera_detection_failed(*, camera_ids: list[int], error: str) -> None:
    """Show on the cameras why their frames are not analysed (the model row has it too)."""
    Camera.objects.filter(pk__in=camera_ids).exclude(detection_error=error[:500]).update(detection_error=error[:500])


# --- Bounded count tables ----------------------------------------------------------------------


def counts_roll_up(*, before: datetime | None = None, chunk: int = 5000) -> int:
    """Fold raw samples older than ``before`` into per-minute buckets and delete them; returns how many."""
    if before is None:
        before = timezone.now() - timedelta(hours=settings.COUNT_RAW_RETENTION_HOURS)
    done = 0
    while True:
        with transaction.atomic():
            samples = list(
                CountSample.objects.select_for_update()
                .filter(captured_at__lt=before)
                .order_by("captured_at")
                .values("pk", "camera_id", "captured_at", "counts")[:chunk]
            )
            if not samples:
                return done
            _buckets_merge(samples)
            CountSample.objects.filter(pk__in=[s["pk"] for s in samples]).delete()
        done += len(samples)


def _buckets_merge(samples: list[dict]) -> None:
    grouped: dict[tuple[int, datetime], list[dict]] = defaultdict(list)
    for sample in samples:
        grouped[(sample["camera_id"], sample["captured_at"].replace(second=0, microsecond=0))].append(sample)
    for (camera_id, minute), rows in grouped.items():
        bucket, _ = CountMinute.objects.select_for_update().get_or_create(camera_id=camera_id, minute=minute)
        sums, peaks = Counter(bucket.sums), dict(bucket.peaks)
        for row in rows:
            for label, count in row["counts"].items():
                sums[label] += count
                peaks[label] = max(peaks.get(label, 0), count)
        bucket.samples += len(rows)
        bucket.sums, bucket.peaks = dict(sums), peaks
        bucket.save(update_fields=["samples", "sums", "peaks"])


def counts_prune(*, before: datetime | None = None) -> int:
    """Delete per-minute buckets older than the retention; returns how many."""
    if before is None:
        before = timezone.now() - timedelta(days=settings.COUNT_MINUTE_RETENTION_DAYS)
    deleted, _ = CountMinute.objects.filter(minute__lt=before).delete()
    return deleted
