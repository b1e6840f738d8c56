"""The embedded run, end to end: the real command, real processes, real Redis."""

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests

from vigilsite.testing import BASE_DIR, free_port, project_env, wait_until

STARTUP_LIMIT_SECONDS = 60


def _wait_healthy(url: str, process: subprocess.Popen) -> dict:
    deadline = time.monotonic() + STARTUP_LIMIT_SECONDS
    last = None
    while time.monotonic() < deadline:
        assert process.poll() is None, "the runner exited during start-up"
        try:
            last = requests.get(url, timeout=3)
            if last.status_code == 200:
                return last.json()
        except requests.RequestException:
            pass
        time.sleep(0.5)
    pytest.fail(f"/healthz not 200 within {STARTUP_LIMIT_SECONDS}s; last answer: {last and last.text}")


def _wait_for_line(log_path, pattern: str) -> re.Match:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        match = re.search(pattern, log_path.read_text())
        if match:
            return match
        time.sleep(0.2)
    pytest.fail(f"the runner never printed {pattern!r}:\n{log_path.read_text()[-3000:]}")


@pytest.mark.slow
@pytest.mark.embedded
def test_it_runs_everything_and_leaves_no_process_behind(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "runner.log"
    env = project_env(
        VIGIL_DATA_DIR=str(tmp_path / "var"),
        VIGIL_DATABASE_URL=None,  # the embedded defaults, whatever this test run uses
        VIGIL_REDIS_URL=None,
        VIGIL_DEMO="true",
        VIGIL_DEMO_MEDIA=None,
    )
    with log_path.open("w") as log:
        runner = subprocess.Popen(
            [sys.executable, "manage.py", "runvigil", "--port", str(port)],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            health = _wait_healthy(f"{base}/healthz", runner)
            assert health["status"] == "ok"
            assert all(health[name]["ok"] for name in ("database", "redis", "beat", "streams"))
            assert {queue for queue, state in health["workers"].items() if state["ok"]} == {
                "capture", "detect", "default"
            }  # fmt: skip
            descendants = psutil.Process(runner.pid).children(recursive=True)
            names = " ".join(" ".join(p.cmdline()) for p in descendants)
            for expected in ("redis-server", "daphne", "-Q capture", "-Q detect", "-Q default", " beat"):
                assert expected in names
            assert "analyze_streams" in names

            login_page = requests.get(f"{base}/accounts/login/", timeout=5)
            assert login_page.status_code == 200
            assert "Log in to Vigil" in login_page.text

            # The runner announces where to log in once everything is up; that login works.
            # The log is not a terminal: it names a private file, never the password itself.
            match = _wait_for_line(log_path, r"log in at (\S+) as 'admin' with the password in (\S+) ")
            assert match.group(1) == f"{base}/"
            # A first run's output is what a newcomer reads: no warning about a Redis not started yet.
            assert "rules version not moved" not in log_path.read_text()
            password = Path(match.group(2)).read_text().strip()
            assert password not in log_path.read_text()
            session = requests.Session()
            session.get(f"{base}/accounts/login/", timeout=5)
            home = session.post(
                f"{base}/accounts/login/",
                data={
                    "username": "admin",
                    "password": password,
                    "csrfmiddlewaretoken": session.cookies["csrftoken"],
                },
                headers={"Referer": f"{base}/accounts/login/"},
                timeout=10,
            )
            assert home.status_code == 200
            assert 'id="map"' in home.text  # the live map is the home page
            features = session.get(f"{base}/api/cameras/?format=geojson", timeout=5).json()["features"]
            assert "Central Station Concourse" in [f["properties"]["name"] for f in features]

            # Beat drives the demo cameras through the capture worker: they come online.
            deadline = time.monotonic() + 45
            while time.monotonic() < deadline:
                cameras = session.get(f"{base}/api/cameras/", timeout=5).json()
                if cameras and all(c["status"] == "online" for c in cameras):
                    break
                time.sleep(1)
            assert cameras and all(c["status"] == "online" and c["last_frame_at"] for c in cameras), cameras

            # With nothing set up, the demo shows Vigil working: its rules open an event on the map.
            def demo_events() -> list:
                return [e for e in session.get(f"{base}/api/events/", timeout=5).json()["results"] if e["rule"]]

            wait_until(
                demo_events, STARTUP_LIMIT_SECONDS, lambda: f"no event from the demo:\n{log_path.read_text()[-3000:]}"
            )
            assert demo_events()[0]["camera_name"] in [c["name"] for c in cameras]

            # A worker that dies is restarted (loudly), and the installation is healthy again.
            detect = next(p for p in descendants if "-Q detect" in " ".join(p.cmdline()) and p.ppid() == runner.pid)
            detect.kill()
            _wait_for_line(log_path, r"detect exited with code -9 after \d+s; restarting it in 1s")
            _wait_for_line(log_path, r"restarted detect \(pid \d+, restart 1\)")
            health = _wait_healthy(f"{base}/healthz", runner)
            assert health["workers"]["detect"] == {"ok": True}
            assert runner.poll() is None
        finally:
            descendants = psutil.Process(runner.pid).children(recursive=True) if runner.poll() is None else []
            runner.send_signal(signal.SIGINT)
            code = runner.wait(timeout=60)

    assert code == 0
    _gone, alive = psutil.wait_procs(descendants, timeout=5)
    assert not alive, f"processes left behind: {[p.pid for p in alive]}"
    assert "all processes stopped" in log_path.read_text()


_SUPERVISE = """
import os, sys
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigilsite.settings")
django.setup()
from system.runner import Child, RestartPolicy, Supervisor

counter, crashes_first, max_crashes, health_url = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
flaky = (
    "import pathlib, sys, time\\n"
    "p = pathlib.Path(sys.argv[1]); n = int(p.read_text()) if p.exists() else 0; p.write_text(str(n + 1))\\n"
    "print(f'run {n + 1}', flush=True)\\n"
    "sys.exit(3) if n < int(sys.argv[2]) else time.sleep(120)\\n"
)
children = [
    Child("steady", [sys.executable, "-c", "import time; time.sleep(120)"]),
    Child("flaky", [sys.executable, "-c", flaky, counter, crashes_first]),
]
policy = RestartPolicy(first_delay=0.2, max_delay=1, max_crashes=max_crashes, window=60, stable_after=60)
supervisor = Supervisor(children, cwd=Path.cwd(), health_url=health_url, login_message="", policy=policy)
raise SystemExit(supervisor.run())
"""


def _supervise(tmp_path, *, crashes_first: int, max_crashes: int) -> tuple[subprocess.Popen, object]:
    """A real supervisor (in its own process, as runvigil runs it) of a steady and a crashing child."""
    script = tmp_path / "supervise.py"
    script.write_text(_SUPERVISE)
    log_path = tmp_path / "supervisor.log"
    unused = f"http://127.0.0.1:{free_port()}/healthz"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, str(script), str(tmp_path / "runs"), str(crashes_first), str(max_crashes), unused],
            cwd=BASE_DIR, env=project_env(), stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    return process, log_path


def _supervisor_state(redis_url: str) -> dict | None:
    import json

    import redis

    from system.supervision import SUPERVISOR_STATE_KEY

    raw = redis.Redis.from_url(redis_url).get(SUPERVISOR_STATE_KEY)
    return json.loads(raw) if raw else None


@pytest.mark.django_db
def test_it_restarts_a_crashed_child_with_back_off_and_shows_it_in_health(tmp_path, redis_url):
    from system.selectors import health_report

    process, log_path = _supervise(tmp_path, crashes_first=2, max_crashes=5)
    try:
        # Loud: each exit and restart is logged, and the wait doubles.
        _wait_for_line(log_path, r"flaky exited with code 3 after \d+s; restarting it in 0.2s \(crash 1 of 5")
        _wait_for_line(log_path, r"flaky exited with code 3 after \d+s; restarting it in 0.4s \(crash 2 of 5")
        _wait_for_line(log_path, r"restarted flaky \(pid \d+, restart 2\)")

        def flaky_back() -> bool:
            flaky = (_supervisor_state(redis_url) or {}).get("children", {}).get("flaky", {})
            return flaky.get("state") == "running" and flaky.get("restarts") == 2

        wait_until(flaky_back, 15, lambda: f"state: {_supervisor_state(redis_url)}")
        supervisor = health_report(cached=False)["supervisor"]
        assert supervisor["ok"] is True
        assert supervisor["children"]["flaky"]["restarts"] == 2
        assert supervisor["children"]["flaky"]["last_exit_code"] == 3
        assert supervisor["children"]["steady"]["restarts"] == 0
        assert process.poll() is None, "one crashing child must not stop the run"
        assert (tmp_path / "runs").read_text() == "3"
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=30)
    assert code == 0
    assert _supervisor_state(redis_url) is None  # no supervisor, no component


@pytest.mark.django_db
def test_it_stops_everything_when_a_child_keeps_crashing(tmp_path, redis_url):
    process, log_path = _supervise(tmp_path, crashes_first=99, max_crashes=3)
    steady_pid = int(_wait_for_line(log_path, r"started steady \(pid (\d+)\)").group(1))
    try:
        code = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert code == 1
    log = log_path.read_text()
    assert "flaky exited with code 3: 3 crashes within 60s; stopping Vigil" in log
    assert log.count("restarted flaky") == 2
    assert "all processes stopped" in log
    assert not psutil.pid_exists(steady_pid) or psutil.Process(steady_pid).status() == psutil.STATUS_ZOMBIE
