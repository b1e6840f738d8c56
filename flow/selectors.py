"""Reads of the people-flow stage: series for the dashboard and rows for CSV export."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet

from cameras.models import Camera
from detection.models import CountMinute
from flow.models import CrossingMinute, Occupancy, OccupancyMinute


def _buckets(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    count = int((end - start) / step)
    return [start + i * step for i in range(count)]


def _index(at: datetime, start: datetime, step: timedelta) -> int:
    return int((at - start) / step)


def crossing_series(cameras: QuerySet[Camera], start: datetime, end: datetime, step: timedelta, label: str = "person"):
    """[(bucket start, entries, exits)] of the cameras' lines."""
    times = _buckets(start, end, step)
    entries, exits = [0] * len(times), [0] * len(times)
    rows = CrossingMinute.objects.filter(camera__in=cameras, label=label, minute__gte=start, minute__lt=end)
    for minute, n_in, n_out in rows.values_list("minute", "entries", "exits"):
        i = _index(minute, start, step)
        if 0 <= i < len(times):
            entries[i] += n_in
            exits[i] += n_out
    return list(zip(times, entries, exits, strict=True))


def people_series(cameras: QuerySet[Camera], start: datetime, end: datetime, step: timedelta, label: str = "person"):
    """[(bucket start, people seen)]: the mean per frame in each minute, added over cameras, averaged per bucket."""
    times = _buckets(start, end, step)
    totals = [0.0] * len(times)
    minutes: list[set] = [set() for _ in times]
    rows = CountMinute.objects.filter(camera__in=cameras, minute__gte=start, minute__lt=end)
    for minute, samples, sums in rows.values_list("minute", "samples", "sums"):
        i = _index(minute, start, step)
        if 0 <= i < len(times) and samples:
            totals[i] += sums.get(label, 0) / samples
            minutes[i].add(minute)
    return [(t, round(total / max(len(seen), 1), 1)) for t, total, seen in zip(times, totals, minutes, strict=True)]


def occupancies_of(cameras: QuerySet[Camera], label: str = "person") -> QuerySet[Occupancy]:
    """The occupancy of the cameras and of the areas their lines are doors of (zones are shown as counts)."""
    scope = Q(camera__in=cameras) | Q(area__lines__camera__in=cameras)
    return Occupancy.objects.filter(scope, label=label).distinct().select_related("camera", "area")


def occupancy_series(occupancy: Occupancy, start: datetime, end: datetime, step: timedelta):
    """[(bucket start, occupancy at the bucket's end, peak in it)]; a minute without change carries the last value."""
    times = _buckets(start, end, step)
    before = OccupancyMinute.objects.filter(occupancy=occupancy, minute__lt=start).order_by("-minute").first()
    value = before.value if before else 0
    values, peaks = [None] * len(times), [0] * len(times)
    rows = OccupancyMinute.objects.filter(occupancy=occupancy, minute__gte=start, minute__lt=end).order_by("minute")
    for minute, last, peak in rows.values_list("minute", "value", "peak"):
        i = _index(minute, start, step)
        values[i] = last
        peaks[i] = max(peaks[i], peak)
    series = []
    for t, last, peak in zip(times, values, peaks, strict=True):
        value = value if last is None else last
        series.append((t, value, max(peak, value)))
    return series


def crossings_csv_rows(cameras: QuerySet[Camera], start: datetime, end: datetime) -> Iterator[list]:
    """Per-minute entries and exits of every line: the rows of the CSV export."""
    yield ["minute", "camera", "line", "label", "entries", "exits"]
    rows = (
        CrossingMinute.objects.filter(camera__in=cameras, minute__gte=start, minute__lt=end)
        .order_by("minute", "camera__name", "line__name", "label")
        .values_list("minute", "camera__name", "line__name", "label", "entries", "exits")
    )
    for minute, *rest in rows.iterator(chunk_size=2000):
        yield [minute.isoformat(), *rest]


def occupancy_csv_rows(cameras: QuerySet[Camera], start: datetime, end: datetime) -> Iterator[list]:
    """Per-minute occupancy (value at the minute's end, peak) of the cameras, their zones and areas."""
    yield ["minute", "scope", "name", "label", "value", "peak"]
    rows = (
        OccupancyMinute.objects.filter(minute__gte=start, minute__lt=end)
        .filter(_of_cameras(cameras))
        .distinct()
        .order_by("minute", "occupancy_id")
        .values_list("minute", "occupancy__camera__name", "occupancy__area__name", "occupancy__zone__name",
                     "occupancy__label", "value", "peak")
    )  # fmt: skip
    for minute, camera, area, zone, label, value, peak in rows.iterator(chunk_size=2000):
        scope, name = ("camera", camera) if camera else ("area", area) if area else ("zone", zone)
        yield [minute.isoformat(), scope, name, label, value, peak]


def _of_cameras(cameras: QuerySet[Camera]) -> Q:
    """Occupancy of the cameras themselves, of their zones and of the areas their lines are doors of."""
    return (
        Q(occupancy__camera__in=cameras)
        | Q(occupancy__zone__camera__in=cameras)
        | Q(occupancy__area__lines__camera__in=cameras)
    )
