"""Writes of the detection stage: record what each frame showed (and run the rules on it), and keep
the count tables bounded. Frames reach the detect queue through ``cameras/handoff.py``."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from cameras.frames import Frame
from cameras.models import Camera
from core.vision import Detection
from detection.models import CountMinute, CountSample
from events.services import rules_apply

logger = logging.getLogger(__name__)


@transaction.atomic
def frame_result_record(
    *,
    camera: Camera,
    frame: Frame,
    detections: list[Detection] | None,
    inference_ms: int | None = None,
    track_ids: list[int | None] | None = None,
    live: bool = False,
) -> CountSample | None:
    """Store the counts of one processed frame and run the threat rules on it.

    ``detections`` is None for a frame the motion gate skipped: its counts carry over from the
    previous sample and only rules that follow objects over time run (on what they saw last).
    ``track_ids`` (stream cameras) go with ``detections``, one each; ``live``: a frame just captured
    (rules may ask the camera for a burst of pictures). Returns None when this frame
    was recorded before (a redelivered task): then nothing changes.
    """
    unchanged = detections is None
    if unchanged:
        previous = CountSample.objects.filter(camera=camera, captured_at__lt=frame.captured_at).first()
        counts = previous.counts if previous else {}
    else:
        counts = dict(Counter(d.label for d in detections))
    sample = count_sample_record(camera=camera, captured_at=frame.captured_at, counts=counts, unchanged=unchanged,
                                 inference_ms=inference_ms)  # fmt: skip
    if sample is None:
        return None
    if camera.detection_error:
        Camera.objects.filter(pk=camera.pk).update(detection_error="")
        camera.detection_error = ""
    rules_apply(camera=camera, frame=frame, detections=detections, track_ids=track_ids, live=live)
    return sample


def camera_detection_failed(*, camera_ids: list[int], error: str) -> None:
    """Show on the cameras why their frames are not analysed (the model row has it too)."""
    Camera.objects.filter(pk__in=camera_ids).exclude(detection_error=error[:500]).update(detection_error=error[:500])


# --- Count tables ------------------------------------------------------------------------------


@transaction.atomic(savepoint=False)  # called inside the frame's transaction: no savepoint of its own
def count_sample_record(
    *,
    camera: Camera,
    captured_at: datetime,
    counts: dict[str, int],
    unchanged: bool = False,
    inference_ms: int | None = None,
) -> CountSample | None:
    """Store one frame's counts and add them to its minute at once; None if that frame was stored before.

    The minute buckets are what the counts API reads, so they are complete up to the last frame;
    the raw rows are kept a while (``VIGIL_COUNT_RAW_RETENTION_HOURS``) for the frame-level view.
    """
    try:
        with transaction.atomic():
            sample = CountSample.objects.create(camera=camera, captured_at=captured_at, counts=counts,
                                                total=sum(counts.values()), unchanged=unchanged,
                                                inference_ms=inference_ms)  # fmt: skip
    except IntegrityError:
        return None
    minute = captured_at.replace(second=0, microsecond=0)
    bucket, _ = CountMinute.objects.select_for_update().get_or_create(camera_id=camera.pk, minute=minute)
    peaks = dict(bucket.peaks)
    for label, count in counts.items():
        peaks[label] = max(peaks.get(label, 0), count)
    bucket.samples += 1
    bucket.sums, bucket.peaks = dict(Counter(bucket.sums) + Counter(counts)), peaks
    bucket.save(update_fields=["samples", "sums", "peaks"])
    return sample


def counts_raw_prune(*, before: datetime | None = None, chunk: int = 5000) -> int:
    """Delete raw samples older than ``before`` (their minutes hold them); returns how many."""
    if before is None:
        before = timezone.now() - timedelta(hours=settings.COUNT_RAW_RETENTION_HOURS)
    done = 0
    while True:
        ids = list(CountSample.objects.filter(captured_at__lt=before).values_list("pk", flat=True)[:chunk])
        if not ids:
            return done
        done += CountSample.objects.filter(pk__in=ids).delete()[0]


def counts_prune(*, before: datetime | None = None) -> int:
    """Delete per-minute buckets older than the retention; returns how many."""
    if before is None:
        before = timezone.now() - timedelta(days=settings.COUNT_MINUTE_RETENTION_DAYS)
    deleted, _ = CountMinute.objects.filter(minute__lt=before).delete()
    return deleted
