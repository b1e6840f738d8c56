"""The embedded run, end to end: the real command, real processes, real Redis."""

import re
import signal
import subprocess
import sys
import time

import psutil
import pytest
import requests

from vigilsite.testing import BASE_DIR, free_port, project_env

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
            match = _wait_for_line(log_path, r"log in at (\S+) as 'admin' with password (\S+)")
            assert match.group(1) == f"{base}/"
            session = requests.Session()
            session.get(f"{base}/accounts/login/", timeout=5)
            home = session.post(
                f"{base}/accounts/login/",
                data={
                    "username": "admin",
                    "password": match.group(2),
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
        finally:
            descendants = psutil.Process(runner.pid).children(recursive=True) if runner.poll() is None else []
            runner.send_signal(signal.SIGINT)
            code = runner.wait(timeout=60)

    assert code == 0
    _gone, alive = psutil.wait_procs(descendants, timeout=5)
    assert not alive, f"processes left behind: {[p.pid for p in alive]}"
    assert "all processes stopped" in log_path.read_text()
