"""Probe storm: anonymous /healthz, edge pushes and live-map clients at once, against the shipped runner.

    .venv/bin/python bench/probe_storm.py [--seconds 60] [--probes 200] [--pushers 50]
                                          [--map-clients 50] [--push-cameras 10] [--no-demo]

Starts ``manage.py runvigil`` on a fresh data folder, as ``bin/run`` does (embedded Redis, SQLite,
daphne, a worker per queue, beat, the stream worker; the demo cameras unless ``--no-demo``), waits
until /healthz is 200, then for ``--seconds``:

- ``--probes`` threads each send anonymous ``GET /healthz`` back to back;
- ``--pushers`` threads push a real JPEG to ``POST /api/cameras/<id>/frames/`` over ``--push-cameras``
  push cameras (1 s interval, detection on, so accepted frames are published to the broker);
- ``--map-clients`` WebSocket clients stay connected to ``/ws/events/`` as a Viewer, as the map does.

Afterwards every endpoint must answer within 5 s: /healthz, a push, the login page, the API lists,
the map page and the admin's *Capture now*. It prints p50/p99 and error counts per kind (an error
is a timeout, a refused connection or a 5xx other than /healthz's 503) and exits 1 if an endpoint
did not answer afterwards. Clients and server share this machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

AFTER_TIMEOUT = 5.0
PASSWORD = "storm-passphrase-0123"  # noqa: S105 - a throwaway bench installation


class Tally:
    """Latencies and outcomes of one kind of request, from many threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.statuses: Counter[str] = Counter()
        self.errors = 0
        self.last_error = ""

    def add(self, started: float, status: str, error: bool, detail: str = "") -> None:
        with self.lock:
            self.latencies.append(time.monotonic() - started)
            self.statuses[status] += 1
            self.errors += error
            if error:
                self.last_error = detail or status

    def row(self, name: str) -> str:
        lat = sorted(x * 1000 for x in self.latencies)
        p50 = statistics.median(lat) if lat else float("nan")
        p99 = statistics.quantiles(lat, n=100, method="inclusive")[98] if len(lat) >= 2 else float("nan")
        statuses = " ".join(f"{k}:{v}" for k, v in sorted(self.statuses.items()))
        return f"{name:<14} {len(lat):>9} {p50:>8.0f} {p99:>8.0f} {self.errors:>7}  {statuses}"


def _banner(args, data_dir: str) -> str:
    return (
        f"probe storm: {args.probes} /healthz probers, {args.pushers} pushers over {args.push_cameras} cameras, "
        f"{args.map_clients} map clients for {args.seconds:g} s; cpus={os.cpu_count()}; data in {data_dir}"
    )


def _wait_healthy(base: str, runner: subprocess.Popen, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if runner.poll() is not None:
            raise SystemExit(f"the runner exited with code {runner.returncode} during start-up")
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                return True
        time.sleep(1)
    return False


def _log_in(base: str, username: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{base}/accounts/login/", timeout=30)
    response = session.post(
        f"{base}/accounts/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=30,
    )
    if response.status_code != 200 or "sessionid" not in session.cookies:
        raise SystemExit(f"could not log in as {username}: {response.status_code}")
    return session


def _prober(base: str, tally: Tally, stop: threading.Event) -> None:
    http = requests.Session()
    while not stop.is_set():
        started = time.monotonic()
        try:
            status = http.get(f"{base}/healthz", timeout=30).status_code
            tally.add(started, str(status), status >= 500 and status != 503)
        except requests.RequestException as exc:
            tally.add(started, type(exc).__name__, True, str(exc)[:200])


def _pusher(base: str, camera_id: int, token: str, jpeg: bytes, tally: Tally, stop: threading.Event) -> None:
    http = requests.Session()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "image/jpeg"}
    while not stop.is_set():
        started = time.monotonic()
        try:
            response = http.post(f"{base}/api/cameras/{camera_id}/frames/", data=jpeg, headers=headers, timeout=30)
            tally.add(started, str(response.status_code), response.status_code >= 500)
            if response.status_code == 429:
                # An edge device honours Retry-After; the pushers share cameras, so keep it short.
                stop.wait(min(float(response.headers.get("Retry-After", 1)), 1.0))
        except requests.RequestException as exc:
            tally.add(started, type(exc).__name__, True, str(exc)[:200])


def _map_clients(url: str, origin: str, cookie: str, count: int, result: dict, stop: threading.Event) -> None:
    """``count`` WebSocket clients, connected before the storm (as open maps are) and held until
    ``stop``; counts connections, sockets dropped during the storm, and messages."""
    import websockets

    async def one() -> None:
        headers = {"Cookie": cookie, "Origin": origin}
        for attempt in range(10):  # like the map page: a refused handshake is retried after a pause
            try:
                socket = await websockets.connect(url, additional_headers=headers, open_timeout=30)
                break
            except (OSError, websockets.InvalidHandshake, websockets.InvalidMessage, TimeoutError) as exc:
                result["last_error"] = f"connect: {type(exc).__name__}: {exc}"
                await asyncio.sleep(1 + attempt)
        else:
            result["refused"] += 1
            return
        async with socket:
            result["connected"] += 1
            while not stop.is_set():
                try:
                    await asyncio.wait_for(socket.recv(), 0.5)
                    result["messages"] += 1
                except TimeoutError:
                    continue
                except websockets.ConnectionClosed as exc:
                    result["dropped"] += 1
                    result["last_error"] = f"dropped: {exc}"
                    return

    async def main() -> None:
        await asyncio.gather(*(one() for _ in range(count)))

    asyncio.run(main())


def _afterwards(base: str, admin: requests.Session, viewer: requests.Session, spare: tuple[int, str], jpeg: bytes,
                capture_id: int) -> list[tuple[str, bool, str]]:  # fmt: skip
    """Every endpoint, once, with a short timeout: (name, answered as expected, detail)."""
    camera_id, token = spare

    def capture_now() -> requests.Response:
        return admin.post(
            f"{base}/admin/cameras/camera/",
            data={"action": "capture_now", "_selected_action": [capture_id],
                  "csrfmiddlewaretoken": admin.cookies["csrftoken"]},
            headers={"Referer": f"{base}/admin/cameras/camera/"}, timeout=AFTER_TIMEOUT,
        )  # fmt: skip

    def push() -> requests.Response:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "image/jpeg"}
        return requests.post(f"{base}/api/cameras/{camera_id}/frames/", data=jpeg, headers=headers,
                             timeout=AFTER_TIMEOUT)  # fmt: skip

    checks = {
        "healthz": (lambda: requests.get(f"{base}/healthz", timeout=AFTER_TIMEOUT), (200, 503), None),
        "frame push": (push, (202,), None),
        "login page": (lambda: requests.get(f"{base}/accounts/login/", timeout=AFTER_TIMEOUT), (200,), None),
        "API cameras": (lambda: admin.get(f"{base}/api/cameras/", timeout=AFTER_TIMEOUT), (200,), None),
        "API events": (lambda: admin.get(f"{base}/api/events/", timeout=AFTER_TIMEOUT), (200,), None),
        "map page": (lambda: viewer.get(f"{base}/", timeout=AFTER_TIMEOUT), (200,), 'id="map"'),
        "Capture now": (capture_now, (200,), "Capture requested for 1 camera(s)"),
    }
    results = []
    for name, (call, statuses, text) in checks.items():
        started = time.monotonic()
        try:
            response = call()
            ok = response.status_code in statuses and (text is None or text in response.text)
            detail = f"{response.status_code} in {(time.monotonic() - started) * 1000:.0f} ms"
        except requests.RequestException as exc:
            ok, detail = False, f"{type(exc).__name__} after {time.monotonic() - started:.1f} s"
        results.append((name, ok, detail))
    return results


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--probes", type=int, default=200, help="concurrent anonymous /healthz clients")
    parser.add_argument("--pushers", type=int, default=50, help="concurrent frame pushers")
    parser.add_argument("--push-cameras", type=int, default=10)
    parser.add_argument("--map-clients", type=int, default=50)
    parser.add_argument("--no-demo", action="store_true", help="no demo cameras (less detection load)")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="vigil-storm-")
    os.environ.update(DJANGO_SETTINGS_MODULE="vigilsite.settings", VIGIL_DATA_DIR=data_dir)
    for name in ("VIGIL_DATABASE_URL", "VIGIL_REDIS_URL", "VIGIL_ENV"):
        os.environ.pop(name, None)  # its own SQLite and embedded Redis, like bin/run
    if not args.no_demo:
        os.environ["VIGIL_DEMO"] = "true"
        shared = BASE_DIR.parent / "shared" / "media"
        if "VIGIL_DEMO_MEDIA" not in os.environ and shared.is_dir():
            os.environ["VIGIL_DEMO_MEDIA"] = str(shared)
    else:
        os.environ["VIGIL_DEMO"] = "false"
    print(_banner(args, data_dir))

    from vigilsite.testing import free_port

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = Path(data_dir) / "runner.log"
    command = [sys.executable, "manage.py", "runvigil", "--port", str(port)] + (["--no-demo"] if args.no_demo else [])
    with log_path.open("w") as log:
        runner = subprocess.Popen(command, cwd=BASE_DIR, env={**os.environ, "PYTHONUNBUFFERED": "1"}, stdout=log,
                                  stderr=subprocess.STDOUT)  # fmt: skip
    try:
        healthy = _wait_healthy(base, runner, 240)
        print(f"runner {'healthy' if healthy else 'NOT healthy after 240 s'}; log: {log_path}")

        import django

        django.setup()  # the runner has migrated the fresh database and started Redis
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group
        from django.contrib.sessions.backends.db import SessionStore

        from accounts.roles import VIEWERS
        from cameras.models import Camera
        from cameras.services import camera_push_token_rotate

        users = get_user_model().objects
        admin_user = users.create_superuser("storm-admin", password=PASSWORD)
        viewer_user = users.create_user("storm-viewer", password=PASSWORD)
        viewer_user.groups.add(Group.objects.get(name=VIEWERS))
        pushes: list[tuple[int, str]] = []
        for number in range(args.push_cameras + 1):
            camera = Camera.objects.create(
                name=f"Storm edge {number:02d}", source_url="device://0", capture_mode=Camera.CaptureMode.PUSH,
                capture_interval=1, latitude=52.37 + number / 10000, longitude=4.89,
            )  # fmt: skip
            pushes.append((camera.pk, camera_push_token_rotate(camera=camera)))
        spare = pushes.pop()  # pushed to only afterwards, so its rate limit is fresh
        jpeg = (settings.ULTRALYTICS_ASSETS / "bus.jpg").read_bytes()
        admin = _log_in(base, admin_user.username)
        viewer = _log_in(base, viewer_user.username)
        session = SessionStore()
        session["_auth_user_id"] = str(viewer_user.pk)
        session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
        session["_auth_user_hash"] = viewer_user.get_session_auth_hash()
        session.create()
        cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"

        probes, pushed = Tally(), Tally()
        ws: dict = {"connected": 0, "refused": 0, "dropped": 0, "messages": 0, "last_error": ""}
        stop, ws_stop = threading.Event(), threading.Event()
        map_thread = threading.Thread(
            target=_map_clients, daemon=True,
            args=(f"ws://127.0.0.1:{port}/ws/events/", base, cookie, args.map_clients, ws, ws_stop),
        )  # fmt: skip
        map_thread.start()
        deadline = time.monotonic() + 120
        while ws["connected"] + ws["refused"] < args.map_clients and time.monotonic() < deadline:
            time.sleep(0.2)
        print(f"map clients connected: {ws['connected']} of {args.map_clients}")
        threads = [threading.Thread(target=_prober, args=(base, probes, stop), daemon=True) for _ in range(args.probes)]
        threads += [
            threading.Thread(target=_pusher, args=(base, *pushes[i % len(pushes)], jpeg, pushed, stop), daemon=True)
            for i in range(args.pushers)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        stop.wait(args.seconds)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        storm_seconds = time.monotonic() - started
        ws_stop.set()  # the map clients stayed connected through the storm
        map_thread.join(timeout=30)

        after = _afterwards(base, admin, viewer, spare, jpeg, capture_id=pushes[0][0])
        print(f"\nstorm: {storm_seconds:.0f} s")
        print(f"{'kind':<14} {'requests':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}  statuses")
        print(probes.row("healthz"))
        print(pushed.row("frame push"))
        print(f"{'map clients':<14} {args.map_clients:>9} connected={ws['connected']} refused={ws['refused']} "
              f"dropped={ws['dropped']} messages={ws['messages']} {ws['last_error']}")  # fmt: skip
        for name, tally in (("healthz", probes), ("frame push", pushed)):
            if tally.last_error:
                print(f"  last {name} error: {tally.last_error}")
        print("\nafterwards:")
        for name, ok, detail in after:
            print(f"  {name:<14} {'ok' if ok else 'FAILED':<7} {detail}")
        restarts = re.findall(r"restarted \S+", log_path.read_text())
        print(f"supervisor restarts during the run: {len(restarts)}")
        failed = [name for name, ok, _ in after if not ok]
        if failed:
            print(f"endpoints that did not answer afterwards: {', '.join(failed)}")
        exit_code = 1 if failed else 0
    finally:
        runner.send_signal(signal.SIGINT)
        try:
            runner.wait(timeout=90)
        except subprocess.TimeoutExpired:
            runner.kill()
    raise SystemExit(exit_code)


if __name__ == "__main__":
    main()
