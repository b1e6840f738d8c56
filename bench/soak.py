"""Camera chaos soak: many cameras, a fifth of them misbehaving, for minutes, on the shipped workers.

    .venv/bin/python bench/soak.py [--minutes 10] [--cameras 50] [--interval 10] [--json]

Starts what ``bin/run`` starts (embedded Redis, SQLite, a capture worker with 4 threads, a
prefork detect worker, beat; production's timeouts) and local HTTP cameras serving a real photo:

- healthy cameras (80%) answer every snapshot;
- "dead" cameras work for a while, then at a known moment start refusing connections, hanging
  (accept, never answer) or sending garbage, and stay that way;
- flapping cameras go away and come back every few intervals.

Every second it samples the queue depths (capture and detect queues, frames waiting) and the
cameras' statuses; at the end it prints captures scheduled vs done for healthy cameras (counted
by the camera servers), time from death to ``offline``, offline events lost or duplicated, peak
queue depths and worker memory (RSS) once every kind of camera was met and at the end. ``--json`` prints the figures
as one JSON line too (the CI test reads it).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

MODES = ("refuse", "hang", "garbage")


class Cameras:
    """The camera servers and what they served: ``served[n]`` is the times camera n was answered."""

    def __init__(self, jpeg: bytes) -> None:
        self.jpeg = jpeg
        self.served: dict[int, list[float]] = defaultdict(list)
        self.dead_at: float | None = None  # when the dead cameras turn bad
        self.bad_mode: dict[int, str] = {}
        self.stop = threading.Event()
        self.main = self._server(0)
        self.refusing = self._server(0)
        self.flapping = self._server(0)
        self.flapping_up = True

    def _server(self, port: int) -> ThreadingHTTPServer:
        cameras = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                number = int(self.path.split("/")[2])
                mode = cameras.bad_mode.get(number) if cameras.dead_at and time.time() >= cameras.dead_at else None
                if mode == "hang":
                    cameras.stop.wait(120)
                    return
                body = b"\x00not a jpeg" * 50 if mode == "garbage" else cameras.jpeg
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(OSError):
                    self.wfile.write(body)
                if mode is None:
                    cameras.served[number].append(time.time())

        server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    def url(self, server: ThreadingHTTPServer, number: int) -> str:
        return f"http://127.0.0.1:{server.server_address[1]}/cam/{number}/snapshot.jpg"

    def kill_refusing(self) -> None:
        self.refusing.shutdown()
        self.refusing.server_close()  # the port now refuses connections

    def flap_forever(self, period: float) -> None:
        port = self.flapping.server_address[1]
        while not self.stop.wait(period):
            if self.flapping_up:
                self.flapping.shutdown()
                self.flapping.server_close()
            else:
                self.flapping = self._server(port)
            self.flapping_up = not self.flapping_up

    def close(self) -> None:
        self.stop.set()
        for server in (self.main, self.flapping) + ((self.refusing,) if self.refusing.socket.fileno() >= 0 else ()):
            with contextlib.suppress(OSError):
                server.shutdown()
                server.server_close()


def _rss(pid: int) -> int:
    import psutil

    process = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)])


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--cameras", type=int, default=50)
    parser.add_argument("--bad", type=float, default=0.2, help="fraction of cameras misbehaving")
    parser.add_argument("--interval", type=int, default=10, help="capture interval of every camera (s)")
    parser.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="vigil-soak-")
    os.environ.update(DJANGO_SETTINGS_MODULE="vigilsite.settings", VIGIL_DATA_DIR=data_dir, VIGIL_DEMO="false")
    for name in ("VIGIL_DATABASE_URL", "VIGIL_REDIS_URL", "VIGIL_ENV"):
        os.environ.pop(name, None)  # its own SQLite and embedded Redis, like bin/run
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from cameras.models import Camera
    from core.redis import redis_client
    from detection import queue
    from events.models import Event
    from system import embedded_redis, runner

    redis_process = embedded_redis.start(
        settings.EMBEDDED_REDIS_SOCKET, settings.DATA_DIR / "redis", stdout=subprocess.DEVNULL
    )
    call_command("migrate", verbosity=0)
    cams = Cameras((settings.ULTRALYTICS_ASSETS / "bus.jpg").read_bytes())
    bad = round(args.cameras * args.bad)
    flapping = max(1, bad // 5)
    dead = bad - flapping
    kinds: dict[int, str] = {}
    for number in range(args.cameras):
        if number < dead:
            kinds[number] = MODES[number % len(MODES)]
        elif number < bad:
            kinds[number] = "flap"
        else:
            kinds[number] = "healthy"
    ids: dict[int, int] = {}
    for number, kind in kinds.items():
        server = {"refuse": cams.refusing, "flap": cams.flapping}.get(kind, cams.main)
        if kind in ("hang", "garbage"):
            cams.bad_mode[number] = kind
        camera = Camera.objects.create(
            name=f"Soak {number:02d} ({kind})", source_url=cams.url(server, number), capture_interval=args.interval,
            latitude=52.37 + number / 10000, longitude=4.89, motion_gate=True,
        )  # fmt: skip
        ids[number] = camera.pk

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    logs = Path(data_dir) / "logs"
    logs.mkdir()
    commands = {
        "capture": runner.celery_worker("capture", pool="threads", concurrency=4),
        "detect": runner.celery_worker("detect", pool="prefork", concurrency=1),
        "default": runner.celery_worker("default", pool="threads", concurrency=2),
        "beat": [sys.executable, "-m", "celery", "-A", "vigilsite", "beat", "--loglevel", "WARNING"],
    }
    processes = {
        name: subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=(logs / f"{name}.log").open("w"),
                               stderr=subprocess.STDOUT, preexec_fn=runner._die_with_parent)
        for name, command in commands.items()
    }  # fmt: skip
    duration = args.minutes * 60
    started = time.time()
    warm_until = started + 3 * args.interval  # workers loaded, first captures done
    cams.dead_at = started + min(duration / 3, 120)
    threading.Thread(target=cams.flap_forever, args=(3 * args.interval,), daemon=True).start()
    print(f"soak: {args.cameras} cameras every {args.interval} s for {args.minutes:g} min; {dead} die at "
          f"+{cams.dead_at - started:.0f} s ({', '.join(MODES)}), {flapping} flap; data in {data_dir}")  # fmt: skip

    client = redis_client()
    peak = {"capture": 0, "detect": 0, "waiting": 0}
    offline_at: dict[int, float] = {}
    rss_start: dict[str, int] = {}
    refusing_killed = False
    try:
        while time.time() - started < duration:
            time.sleep(1)
            now = time.time()
            if not refusing_killed and now >= cams.dead_at:
                cams.kill_refusing()
                refusing_killed = True
            if not rss_start and now >= cams.dead_at + 3 * args.interval:  # every camera behaviour met once
                rss_start = {name: _rss(processes[name].pid) for name in ("capture", "detect")}
            for name in ("capture", "detect"):
                peak[name] = max(peak[name], client.llen(name))
            peak["waiting"] = max(peak["waiting"], queue.waiting_count())
            if now >= cams.dead_at:
                for number, status in Camera.objects.filter(pk__in=[ids[n] for n in range(dead)]).values_list(
                    "pk", "status"
                ):
                    if status == Camera.Status.OFFLINE:
                        offline_at.setdefault(number, now)
            for name, process in processes.items():
                if process.poll() is not None:
                    raise SystemExit(f"the {name} process exited with code {process.returncode}: see {logs}")
        ended = time.time()
        rss_end = {name: _rss(processes[name].pid) for name in ("capture", "detect")}
        end_queue = {"capture": client.llen("capture"), "detect": client.llen("detect"),
                     "waiting": queue.waiting_count()}  # fmt: skip
        # Beat ticks every camera once an interval: a gap of k intervals between two answered
        # snapshots means k ticks of which k - 1 got no capture. Counting gaps, not a fixed
        # window, keeps the figure independent of where the ticks fall.
        scheduled = done = 0
        for number, kind in kinds.items():
            if kind != "healthy":
                continue
            times = [t for t in cams.served[number] if warm_until <= t < ended]
            for earlier, later in itertools.pairwise(times):
                scheduled += max(1, round((later - earlier) / args.interval))
                done += 1
            if times and ended - times[-1] > 1.5 * args.interval:
                scheduled += round((ended - times[-1]) / args.interval) - 1  # ticks at the end with no capture
        to_offline = sorted(offline_at[pk] - cams.dead_at for pk in offline_at)
        dead_ids = [ids[n] for n in range(dead)]
        offline_events = Event.objects.filter(
            label="camera_offline", camera_id__in=dead_ids, status__in=Event.OPEN_STATUSES
        )
        per_camera = defaultdict(int)
        for camera_id in offline_events.values_list("camera_id", flat=True):
            per_camera[camera_id] += 1
        flap_ids = [ids[n] for n in kinds if kinds[n] == "flap"]
        flap_open = defaultdict(int)
        for camera_id in Event.objects.filter(
            label="camera_offline", camera_id__in=flap_ids, status__in=Event.OPEN_STATUSES
        ).values_list("camera_id", flat=True):
            flap_open[camera_id] += 1
        figures = {
            "cameras": args.cameras, "interval_s": args.interval, "minutes": args.minutes,
            "healthy": sum(1 for k in kinds.values() if k == "healthy"), "dead": dead, "flapping": flapping,
            "captures_scheduled": scheduled, "captures_done": done,
            "captures_ratio": round(done / scheduled, 4) if scheduled else None,
            "dead_offline": len(offline_at),
            "time_to_offline_s": {"min": round(to_offline[0], 1), "max": round(to_offline[-1], 1)}
            if to_offline else None,
            "offline_events_lost": sum(1 for pk in dead_ids if per_camera[pk] == 0),
            "offline_events_duplicated": sum(max(0, n - 1) for n in [*per_camera.values(), *flap_open.values()]),
            "peak_queue": peak,
            "end_queue": end_queue,
            "worker_rss_mb": {name: {"start": round(rss_start[name] / 2**20), "end": round(rss_end[name] / 2**20)}
                              for name in rss_start},
            "worker_rss_growth": {name: round(rss_end[name] / rss_start[name] - 1, 4) for name in rss_start},
        }  # fmt: skip
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
        cams.close()
        redis_process.terminate()
        redis_process.wait(10)

    print(f"healthy cameras: {figures['captures_done']} of {figures['captures_scheduled']} scheduled captures done "
          f"({figures['captures_ratio']:.2%})")  # fmt: skip
    print(f"dead cameras offline: {figures['dead_offline']} of {dead}, "
          f"time from death to offline {figures['time_to_offline_s']} (interval {args.interval} s)")  # fmt: skip
    print(f"offline events lost: {figures['offline_events_lost']}, duplicated: {figures['offline_events_duplicated']}")
    print(f"peak queue depth: {peak}; at the end: {figures['end_queue']}")
    for name in figures["worker_rss_mb"]:
        mb = figures["worker_rss_mb"][name]
        print(f"{name} worker RSS: {mb['start']} MB after the deaths, {mb['end']} MB at the end "
              f"({figures['worker_rss_growth'][name]:+.1%})")  # fmt: skip
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
