"""Fill the configured database with counts as cameras leave them, for the counts-series benchmark.

    .venv/bin/python bench/seed_counts.py [--cameras 50] [--days 14] [--interval 10]

On the "Bench" cameras of ``bench/seed_events.py`` (made here if missing): a frame every
``--interval`` seconds for ``--days`` days up to now, as the recording leaves them: per-minute
buckets (``CountMinute``) for all of it and raw samples (``CountSample``) for the last 24 hours
(``VIGIL_COUNT_RAW_RETENTION_HOURS``). People follow a day-and-night curve, vehicles
a flatter one. Removes the counts of an earlier run on those cameras first.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigilsite.settings")
os.environ.setdefault("VIGIL_DEMO", "false")

import django

django.setup()

from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from seed_events import bench_cameras  # noqa: E402

from detection.models import CountMinute, CountSample  # noqa: E402

BATCH = 5000


def _expected(moment, rng: random.Random) -> dict[str, int]:
    hour = moment.hour + moment.minute / 60
    day = max(0.0, math.sin((hour - 6) / 24 * 2 * math.pi))  # busy around noon, empty at night
    return {"person": int(rng.random() * 12 * day + rng.random() * 2), "vehicle": int(rng.random() * 4)}


def _write(model, rows: list, made: int, started: float) -> int:
    with transaction.atomic():
        model.objects.bulk_create(rows)
    made += len(rows)
    if made % 200_000 < len(rows):
        print(f"{made:>10,} rows ({made / (time.perf_counter() - started):,.0f}/s)", flush=True)
    return made


def seed(cameras: int, days: int, interval: int, rng: random.Random) -> None:
    camera_rows = bench_cameras(cameras)
    ids = [camera.pk for camera in camera_rows]
    CountMinute.objects.filter(camera_id__in=ids).delete()
    CountSample.objects.filter(camera_id__in=ids).delete()
    now = timezone.now().replace(second=0, microsecond=0)
    raw_from = now - timedelta(hours=24)
    started, made, rows = time.perf_counter(), 0, []
    per_minute = 60 // interval
    for camera_id in ids:
        minute = now - timedelta(days=days)
        while minute < now:
            sums, peaks = {"person": 0, "vehicle": 0}, {"person": 0, "vehicle": 0}
            for _ in range(per_minute):
                for label, count in _expected(timezone.localtime(minute), rng).items():
                    sums[label] += count
                    peaks[label] = max(peaks[label], count)
            rows.append(CountMinute(camera_id=camera_id, minute=minute, samples=per_minute, sums=sums, peaks=peaks))
            minute += timedelta(minutes=1)
            if len(rows) == BATCH:
                made, rows = _write(CountMinute, rows, made, started), []
    if rows:
        made, rows = _write(CountMinute, rows, made, started), []
    for camera_id in ids:
        moment = raw_from
        while moment < now:
            counts = _expected(timezone.localtime(moment), rng)
            rows.append(CountSample(camera_id=camera_id, captured_at=moment, counts=counts, total=sum(counts.values())))
            moment += timedelta(seconds=interval)
            if len(rows) == BATCH:
                made, rows = _write(CountSample, rows, made, started), []
    if rows:
        _write(CountSample, rows, made, started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cameras", type=int, default=50)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--interval", type=int, default=10, help="seconds between raw samples")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    seed(args.cameras, args.days, args.interval, random.Random(args.seed))
    print(f"total {CountMinute.objects.count():,} minute buckets, {CountSample.objects.count():,} raw samples")


if __name__ == "__main__":
    main()
