from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.db import connection

from cameras.models import Camera
from vigilsite.testing import BASE_DIR, project_env


def make_camera(url: str, **fields) -> Camera:
    values = {"name": f"Camera {time.monotonic_ns()}", "latitude": Decimal("52.37"), "longitude": Decimal("4.89")}
    values.update(fields)
    return Camera.objects.create(source_url=url, **values)


def _database_url() -> str:
    """The URL of the test database this test run uses, for worker processes."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def celery_workers(redis_url, transactional_db) -> Iterator:
    """Start real Celery workers on the ``capture`` queue, sharing this test's database and Redis."""
    started: list[subprocess.Popen] = []

    def start(name: str, *, concurrency: int = 4, capture_timeout: int = 2) -> subprocess.Popen:
        env = project_env(
            VIGIL_DATABASE_URL=_database_url(), VIGIL_REDIS_URL=redis_url, VIGIL_CAPTURE_TIMEOUT=str(capture_timeout)
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "vigilsite", "worker", "-Q", "capture", "-n", f"{name}@%h",
             "--pool", "threads", "--concurrency", str(concurrency), "--without-mingle", "--without-gossip",
             "-l", "WARNING"],
            cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        started.append(process)
        _wait_for_worker(f"{name}@")
        return process

    yield start
    for process in started:
        process.terminate()
    for process in started:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_for_worker(prefix: str, timeout: float = 60) -> None:
    from vigilsite.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replies = app.control.inspect(timeout=0.5).ping() or {}
        if any(name.startswith(prefix) for name in replies):
            return
    raise RuntimeError(f"worker {prefix} did not start")
