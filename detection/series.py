"""Counts over time: per bucket (minute, hour, day) and label, from the minute buckets."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from detection.models import CountMinute

BUCKETS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}


@dataclass(frozen=True)
class Point:
    start: datetime
    label: str
    samples: int  # frames analysed in the bucket (summed over the cameras)
    mean: float  # average count per frame (summed over the cameras: the average total seen)
    peak: int  # highest count in one frame (summed over the cameras: at most this many at once)


def bucketer(bucket: str) -> Callable[[datetime], datetime]:
    """A function from a stored (UTC) moment to the naive local start of its bucket.

    Hours and days are the site's (a day is a local day). Asking the time zone for every row
    cost more than the query, so its offset is asked once per UTC quarter hour: every zone changes
    its offset on a quarter hour.
    """
    zone = timezone.get_current_timezone()
    offsets: dict[datetime, timedelta] = {}
    zeroed = {"minute": {"second": 0}, "hour": {"minute": 0, "second": 0}, "day": {"hour": 0, "minute": 0, "second": 0}}
    truncate = zeroed[bucket] | {"microsecond": 0}

    def start(moment: datetime) -> datetime:
        quarter = moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)
        offset = offsets.get(quarter)
        if offset is None:
            offset = offsets[quarter] = quarter.astimezone(zone).utcoffset()
        return (moment.replace(tzinfo=None) + offset).replace(**truncate)

    return start


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

    bucket_start = bucketer(bucket)

    def add(start: datetime, camera_id: int, samples: int, sums: dict, peaks: dict) -> None:
        frames[(start, camera_id)] += samples
        for label, total in sums.items():
            if labels is None or label in labels:
                entry = seen[(start, camera_id, label)]
                entry[0] += total
                entry[1] = max(entry[1], peaks.get(label, 0))

    minutes = CountMinute.objects.filter(camera_id__in=camera_ids, minute__gte=since, minute__lt=until)
    rows = minutes.values_list("camera_id", "minute", "samples", "sums", "peaks")
    for camera_id, minute, samples, sums, peaks in rows:  # one fetch: a server-side cursor cost more round trips
        add(bucket_start(minute), camera_id, samples, sums, peaks)

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
    zone = timezone.get_current_timezone()
    aware = {start: timezone.make_aware(start, zone) for start, _ in frames}
    return [
        Point(aware[start], label, int(samples), round(mean, 3), int(peak))
        for (start, label), (samples, mean, peak) in sorted(totals.items())
    ]
