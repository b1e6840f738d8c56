"""WebSocket fan-out: time from an event's database commit to its arrival at every map client.

    .venv/bin/python bench/ws_fanout.py [--clients 100 1000] [--rate 2] [--seconds 20]
                                        [--layer pubsub|core] [--client-processes 2] [--web-processes 1]

Starts the embedded Redis and one daphne (as ``bin/run`` does), logs N WebSocket clients in
as a Viewer (split over a few client processes), then opens events through the real service
at a steady rate. Each event's commit time is taken in the ``on_commit`` hook; each client
notes when the ``event.opened`` message arrives. Clients, server and producer share this
machine's clock and its two cores, so the figures include the clients' own load.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))


def _percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


# --- Client processes ------------------------------------------------------------------------


def _client_process(url: str, cookie: str, count: int, ready, results, run_seconds: float) -> None:
    import json

    import websockets

    async def one(received: dict[int, float], connected: list) -> None:
        # The page's own origin, port included: the socket refuses any other.
        headers = {"Cookie": cookie, "Origin": url.replace("ws://", "http://", 1).split("/ws/", 1)[0]}
        # Like the map page: a refused or dropped handshake is retried after a random pause.
        for attempt in range(20):
            try:
                socket = await websockets.connect(url, additional_headers=headers, open_timeout=30, max_queue=None)
                break
            except (OSError, websockets.InvalidHandshake, websockets.InvalidMessage, TimeoutError):
                await asyncio.sleep(random.uniform(0.5, 2.0) * min(attempt + 1, 5))
        else:
            raise RuntimeError("a client could not connect after 20 attempts")
        async with socket:
            connected.append(1)
            deadline = time.monotonic() + run_seconds
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                try:
                    raw = await asyncio.wait_for(socket.recv(), left)
                except TimeoutError:
                    return
                now = time.time()
                message = json.loads(raw)
                if message["type"] == "bench.done":  # sent after the last event, in order
                    return
                if message["type"] == "event.opened":
                    received.setdefault(message["data"]["id"], now)

    async def main() -> None:
        per_client: list[dict[int, float]] = [{} for _ in range(count)]
        connected: list = []
        tasks = []
        for index in range(count):
            tasks.append(asyncio.create_task(one(per_client[index], connected)))
            if index % 20 == 19:
                await asyncio.sleep(0.1)  # browsers do not all arrive in the same millisecond
        while len(connected) < count:
            await asyncio.sleep(0.2)
            if any(t.done() and t.exception() for t in tasks):
                raise next(t.exception() for t in tasks if t.done() and t.exception())
        ready.put(count)
        await asyncio.gather(*tasks)
        results.put(per_client)

    asyncio.run(main())


# --- The run ---------------------------------------------------------------------------------


def run(clients: int, rate: float, seconds: float, processes: int, port: int, cookie: str, layer: str) -> dict:
    from django.db import transaction

    from cameras.models import Camera
    from core.broadcast import broadcast_on_commit, broadcasts_flush
    from events.services import event_open_system

    camera = Camera.objects.get(slug="bench-camera")
    url = f"ws://127.0.0.1:{port}/ws/events/"
    ctx = multiprocessing.get_context("spawn")
    ready, results = ctx.Queue(), ctx.Queue()
    run_seconds = seconds + int(
        os.environ.get("BENCH_FALLBACK", 600)
    )  # a fallback: clients stop at the "bench.done" message
    shares = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    workers = [
        ctx.Process(target=_client_process, args=(url, cookie, share, ready, results, run_seconds))
        for share in shares
        if share
    ]
    connect_started = time.monotonic()
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.get(timeout=300)
    connect_seconds = time.monotonic() - connect_started
    time.sleep(1)

    commits: dict[int, float] = {}
    interval = 1 / rate
    total = max(1, int(seconds * rate))
    first = time.monotonic()
    for index in range(total):
        time.sleep(max(0.0, first + index * interval - time.monotonic()))
        holder: dict[str, int] = {}
        with transaction.atomic():
            # Registered before the service's own hook, so it runs first: the commit time itself.
            transaction.on_commit(lambda holder=holder: commits.__setitem__(holder["id"], time.time()))
            event = event_open_system(
                camera=camera, label=f"bench-{layer}-{clients}-{index}", title="Bench", detail="", severity="low"
            )
            holder["id"] = event.pk
    with transaction.atomic():
        broadcast_on_commit("bench.done", {})
    broadcasts_flush(30)

    latencies: list[float] = []
    missing = 0
    for _ in workers:
        for received in results.get(timeout=run_seconds):
            for event_id, committed in commits.items():
                if event_id in received:
                    latencies.append(received[event_id] - committed)
                else:
                    missing += 1
    for worker in workers:
        worker.join(timeout=10)
        if worker.is_alive():
            worker.terminate()
    return {"clients": clients, "events": total, "latencies": latencies, "missing": missing, "connect": connect_seconds}


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--rate", type=float, default=2.0, help="events per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--layer", choices=["pubsub", "core"], default="pubsub")
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--web-processes", type=int, default=1, help="daphne processes sharing the port")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="vigil-bench-")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="vigilsite.settings", VIGIL_DATA_DIR=data_dir, VIGIL_CHANNEL_LAYER=args.layer
    )
    os.environ.setdefault("VIGIL_DEMO", "false")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from accounts.roles import VIEWERS
    from cameras.models import Camera
    from system import embedded_redis
    from vigilsite.testing import free_port, wait_until

    redis = embedded_redis.start(settings.EMBEDDED_REDIS_SOCKET, settings.DATA_DIR / "redis", stdout=subprocess.DEVNULL)
    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user("bench-viewer")  # logged in by session
    user.groups.add(Group.objects.get(name=VIEWERS))
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
    Camera.objects.create(
        name="Bench camera", slug="bench-camera", source_url="file:///dev/null", latitude=52.37, longitude=4.89
    )

    from system.runner import web_processes

    port = free_port()
    # As runvigil starts them: one daphne binds the port, several share it (SO_REUSEPORT sockets).
    webs = web_processes(host="127.0.0.1", port=port, count=args.web_processes)
    for web in webs:
        web.process = subprocess.Popen(
            web.argv, cwd=BASE_DIR, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(web.listener.fileno(),) if web.listener else (),
        )  # fmt: skip
    try:
        import socket

        def answers() -> bool:
            with socket.socket() as probe:
                return probe.connect_ex(("127.0.0.1", port)) == 0

        wait_until(answers, 60, "daphne did not start")
        print(f"layer={args.layer}  web processes={args.web_processes}  rate={args.rate}/s  seconds={args.seconds}  "
              f"cpus={os.cpu_count()}  load={os.getloadavg()[0]:.1f}")  # fmt: skip
        print(f"{'clients':>8} {'events':>7} {'messages':>9} {'lost':>5} {'p50 ms':>8} {'p95 ms':>8} "
              f"{'p99 ms':>8} {'max ms':>8} {'connect s':>10}")  # fmt: skip
        for clients in args.clients:
            result = run(clients, args.rate, args.seconds, args.client_processes, port, cookie, args.layer)
            lat = [x * 1000 for x in result["latencies"]]
            print(
                f"{clients:>8} {result['events']:>7} {len(lat):>9} {result['missing']:>5} "
                f"{statistics.median(lat):>8.0f} {_percentile(lat, 95):>8.0f} {_percentile(lat, 99):>8.0f} "
                f"{max(lat):>8.0f} {result['connect']:>10.1f}",
            )
    finally:
        for web in webs:
            web.process.terminate()
        for web in webs:
            web.process.wait(timeout=30)
        redis.terminate()
        redis.wait(timeout=30)


if __name__ == "__main__":
    main()
