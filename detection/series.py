"""Counts over time: per bucket (minute, hour, day) and label, from the minute buckets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from typing import NamedTuple

from django.utils import timezone

from detection.models import CountMinute

LOCAL_EPOCH = datetime(1970, 1, 1)
BUCKETS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}


class Point(NamedTuple):  # a tuple: a day by minute makes thousands of them
    start: datetime
    label: str
    samples: int  # frames analysed in the bucket (summed over the cameras)
    mean: float  # average count per frame (summed over the cameras: the average total seen)
    peak: int  # highest count in one frame (summed over the cameras: at most this many at once)


def bucketer(bucket: str) -> Callable[[datetime], int]:
    """A function from a stored (UTC) moment to the start of its bucket on the site's clock, as
    seconds since 1970-01-01 00:00 local (a day is a local day; whole numbers are cheap to key on).

    Asking the time zone for every row cost more than the query, so its offset is asked once per
    UTC quarter hour: every zone changes its offset on a quarter hour.
    """
    zone = timezone.get_current_timezone()
    size = int(BUCKETS[bucket].total_seconds())
    offsets: dict[int, int] = {}

    def start(moment: datetime) -> int:
        seconds = int(moment.timestamp())
        quarter = seconds - seconds % 900
        offset = offsets.get(quarter)
        if offset is None:
            utc = datetime.fromtimestamp(quarter, tz=UTC)
            offset = offsets[quarter] = int(utc.astimezone(zone).utcoffset().total_seconds())
        local = seconds + offset
        return local - local % size

    return start


def local_datetime(start: int, zone: tzinfo) -> datetime:
    """The aware moment of a bucket start made by ``bucketer`` (the first one when clocks go back)."""
    return timezone.make_aware(LOCAL_EPOCH + timedelta(seconds=start), zone)


def count_series(
    *, camera_ids: list[int], since: datetime, until: datetime, bucket: str, labels: set[str] | None = None
) -> list[Point]:
    """Each camera's mean and peak per bucket and label, added up over the cameras.

    Buckets without analysed frames are left out (the camera was off, or nothing was captured);
    a bucket with frames in which a label was not seen says 0 for it.
    """
    # (bucket start, camera) -> [frames, {label: sum of counts}, {label: peak}]
    buckets: dict[tuple[int, int], list] = {}
    bucket_start = bucketer(bucket)
    minutes = CountMinute.objects.filter(camera_id__in=camera_ids, minute__gte=since, minute__lt=until)
    rows = minutes.values_list("camera_id", "minute", "samples", "sums", "peaks")
    for camera_id, minute, samples, sums, peaks in rows:  # one fetch: a server-side cursor cost more round trips
        key = (bucket_start(minute), camera_id)
        entry = buckets.get(key)
        if entry is None:
            buckets[key] = [samples, sums, peaks]  # fresh dicts from the row: safe to add to
            continue
        entry[0] += samples
        added, highest = entry[1], entry[2]
        for label, total in sums.items():
            added[label] = added.get(label, 0) + total
        for label, peak in peaks.items():
            if peak > highest.get(label, 0):
                highest[label] = peak

    # A bucket with analysed frames but nothing of a label seen is a real zero, not a gap.
    wanted = labels if labels is not None else {label for _, sums, _ in buckets.values() for label in sums}
    totals: dict[tuple[int, str], list] = {}
    for (start, _), (samples, sums, peaks) in buckets.items():
        for label in wanted:
            point = totals.get((start, label))
            if point is None:
                point = totals[(start, label)] = [0, 0.0, 0]
            point[0] += samples
            point[1] += sums.get(label, 0) / samples
            point[2] += peaks.get(label, 0)
    zone = timezone.get_current_timezone()
    aware = {start: local_datetime(start, zone) for start, _ in buckets}
    return [
        Point(aware[start], label, samples, round(mean, 3), peak)
        for (start, label), (samples, mean, peak) in sorted(totals.items())
    ]
