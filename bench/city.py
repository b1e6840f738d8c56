"""Scheduling at city scale: does beat keep N cameras at a 5 s interval on time?

    .venv/bin/python bench/city.py [--cameras 250 1000 2000] [--interval 5] [--seconds 120]
        [--database-url postgres://...]

For each N: a fresh database with N snapshot cameras, each with its django-celery-beat entry written by
Vigil's own ``camera_schedule_sync`` (as the admin does); Vigil's beat (``system.scheduler.VigilScheduler``)
as a real process against an embedded Redis; a stand-in for the capture workers that takes every capture
message off the ``capture`` queue the moment it arrives (no camera is fetched: this measures the schedule,
not the cameras; ``bench/capture.py`` measures a capture). Reported over the window after a 15 s warm-up:

- dispatches per second against the wanted N / interval, and **on time**: the share of consecutive
  dispatches of one camera at most interval + 1 s apart (a late or missed capture shows as a longer gap);
  the worst gap seen;
- beat's CPU (share of one core, from the process's own CPU time) and the database statements beat ran
  per second (counted inside the beat process by a wrapper on every connection).
"""

from __future__ import annotations

import argparse
import ast
import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigilsite.settings")
os.environ.setdefault("VIGIL_DEMO", "false")

QUERIES_KEY = "vigil:bench:beat-queries"


def beat_child() -> None:
    """The beat process: Vigil's beat, with every database statement counted into Redis once a second."""
    import django

    django.setup()
    from django.db.backends.signals import connection_created

    from core.redis import redis_client
    from vigilsite.celery import app

    count = 0

    def counter(execute, sql, params, many, context):
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    def wrap(connection, **_) -> None:  # sent at every reconnection of the same connection object
        if counter not in connection.execute_wrappers:
            connection.execute_wrappers.append(counter)

    connection_created.connect(wrap, weak=False)

    def report() -> None:
        client = redis_client()
        while True:
            client.set(QUERIES_KEY, count)
            time.sleep(1)

    threading.Thread(target=report, daemon=True).start()
    app.Beat(scheduler="system.scheduler:VigilScheduler", loglevel="WARNING").run()


def run(cameras: int, interval: int, seconds: float) -> dict:
    import psutil
    from django.core.management import call_command

    from cameras.models import Camera
    from cameras.services import camera_schedule_sync
    from core.redis import redis_client

    call_command("flush", interactive=False, verbosity=0)
    client = redis_client()
    client.flushall()
    created = Camera.objects.bulk_create(
        Camera(
            name=f"City camera {n}",
            slug=f"city-{n}",
            source_url=f"http://127.0.0.1:9/{n}.jpg",
            latitude=48.8 + n * 1e-4,
            longitude=2.3,
            capture_interval=interval,
        )
        for n in range(cameras)
    )
    for camera in Camera.objects.filter(pk__in=[c.pk for c in created]):
        camera_schedule_sync(camera=camera)

    arrivals: dict[int, list[float]] = {}
    stop = threading.Event()

    def take() -> None:  # the capture workers' part: every message off the queue as it arrives
        reader = redis_client()
        while not stop.is_set():
            item = reader.brpop("capture", timeout=1)
            if item:
                message = json.loads(item[1])
                camera_id = ast.literal_eval(message["headers"]["kwargsrepr"])["camera_id"]
                arrivals.setdefault(camera_id, []).append(time.monotonic())

    taker = threading.Thread(target=take, daemon=True)
    taker.start()
    beat = subprocess.Popen([sys.executable, __file__, "--beat-child"], cwd=ROOT, env=os.environ.copy())
    process = psutil.Process(beat.pid)
    try:
        warm = 15
        time.sleep(warm)  # beat loads the schedule and settles; the window starts after
        began, cpu0, q0 = time.monotonic(), sum(process.cpu_times()[:2]), int(client.get(QUERIES_KEY) or 0)
        time.sleep(seconds)
        ended, cpu1, q1 = time.monotonic(), sum(process.cpu_times()[:2]), int(client.get(QUERIES_KEY) or 0)
    finally:
        beat.terminate()
        beat.wait(30)
        stop.set()
        taker.join()
    gaps, dispatched = [], 0
    for times in arrivals.values():
        inside = [t for t in times if began <= t <= ended]
        dispatched += len(inside)
        gaps += [b - a for a, b in itertools.pairwise(inside)]
    on_time = sum(1 for gap in gaps if gap <= interval + 1)
    return {
        "cameras": cameras,
        "wanted_per_s": cameras / interval,
        "per_s": dispatched / (ended - began),
        "on_time": on_time / len(gaps) if gaps else 0.0,
        "worst_gap": max(gaps, default=0.0),
        "never": cameras - sum(1 for times in arrivals.values() if any(began <= t <= ended for t in times)),
        "beat_cpu": (cpu1 - cpu0) / (ended - began),
        "queries_per_s": (q1 - q0) / (ended - began),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cameras", type=int, nargs="+", default=[250, 1000, 2000])
    parser.add_argument("--interval", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--database-url", help="VIGIL_DATABASE_URL for the run (default: SQLite in a temp folder)")
    parser.add_argument("--beat-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.beat_child:
        beat_child()
        return
    os.environ.setdefault("VIGIL_DATA_DIR", tempfile.mkdtemp(prefix="vigil-city-"))
    if args.database_url:
        os.environ["VIGIL_DATABASE_URL"] = args.database_url
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from system import embedded_redis

    call_command("migrate", verbosity=0)
    redis = embedded_redis.start(settings.EMBEDDED_REDIS_SOCKET, settings.DATA_DIR / "redis", stdout=subprocess.DEVNULL)
    try:
        engine = settings.DATABASES["default"]["ENGINE"]
        print(f"beat at {args.interval} s per camera, {args.seconds:.0f} s window, {engine}")
        print(f"{'cameras':>8}{'wanted/s':>10}{'sent/s':>8}{'on time':>9}{'worst gap':>11}{'never':>7}"
              f"{'beat CPU':>10}{'queries/s':>11}")  # fmt: skip
        for n in args.cameras:
            r = run(n, args.interval, args.seconds)
            print(f"{r['cameras']:>8}{r['wanted_per_s']:>10.0f}{r['per_s']:>8.1f}{r['on_time']:>9.1%}"
                  f"{r['worst_gap']:>10.1f}s{r['never']:>7}{r['beat_cpu']:>10.0%}"
                  f"{r['queries_per_s']:>11.1f}", flush=True)  # fmt: skip
    finally:
        redis.terminate()


if __name__ == "__main__":
    main()
