"""Counts over time: per bucket (minute, hour, day) and label, from raw samples and minute buckets alike."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from detection.models import CountMinute, CountSample

BUCKETS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}


@dataclass(frozen=True)
class Point:
    start: datetime
    label: str
    samples: int  # frames analysed in the bucket (summed over the cameras)
    mean: float  # average count per frame (summed over the cameras: the average total seen)
    peak: int  # highest count in one frame (summed over the cameras: at most this many at once)


def bucket_start(moment: datetime, bucket: str) -> datetime:
    """The start of ``moment``'s bucket; hours and days in the site's time zone (a day is a local day)."""
    local = timezone.localtime(moment)
    if bucket == "minute":
        return local.replace(second=0, microsecond=0)
    if bucket == "hour":
        return local.replace(minute=0, second=0, microsecond=0)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def count_series(
    *, camera_ids: list[int], since: datetime, until: datetime, bucket: str, labels: set[str] | None = None
) -> list[Point]:
    """Each camera's mean and peak per bucket and label, added up over the cameras.

    Buckets without analysed frames are left out (the camera was off, or nothing was captured);
    a bucket with frames in which a label was not seen says 0 for it.
    """
    # (bucket, camera) -> frames; (bucket, camera, label) -> [sum of counts, peak]
    frames: dict[tuple[datetime, int], int] = defaultdict(int)
    seen: dict[tuple[datetime, int, str], list[int]] = defaultdict(lambda: [0, 0])

    def add(start: datetime, camera_id: int, samples: int, sums: dict, peaks: dict) -> None:
        frames[(start, camera_id)] += samples
        for label, total in sums.items():
            if labels is None or label in labels:
                entry = seen[(start, camera_id, label)]
                entry[0] += total
                entry[1] = max(entry[1], peaks.get(label, 0))

    rolled = CountMinute.objects.filter(camera_id__in=camera_ids, minute__gte=since, minute__lt=until)
    for camera_id, minute, samples, sums, peaks in rolled.values_list("camera_id", "minute", "samples", "sums",
                                                                       "peaks").iterator(chunk_size=5000):  # fmt: skip
        add(bucket_start(minute, bucket), camera_id, samples, sums, peaks)
    raw = CountSample.objects.filter(camera_id__in=camera_ids, captured_at__gte=since, captured_at__lt=until)
    for camera_id, captured_at, counts in raw.values_list("camera_id", "captured_at", "counts").iterator(
        chunk_size=5000
    ):
        add(bucket_start(captured_at, bucket), camera_id, 1, counts, counts)

    # A bucket with analysed frames but nothing of a label seen is a real zero, not a gap.
    wanted = labels if labels is not None else {label for _, _, label in seen}
    totals: dict[tuple[datetime, str], list[float]] = defaultdict(lambda: [0, 0.0, 0])
    for (start, camera_id), samples in frames.items():
        for label in wanted:
            total, peak = seen.get((start, camera_id, label), (0, 0))
            point = totals[(start, label)]
            point[0] += samples
            point[1] += total / samples
            point[2] += peak
    return [
        Point(start, label, int(samples), round(mean, 3), int(peak))
        for (start, label), (samples, mean, peak) in sorted(totals.items())
    ]
