"""pytest plugin loaded before Django is set up (``-p vigilsite.testing``).

A test run gets a data folder of its own, so its SQLite files, secret key and embedded
Redis socket never touch those of a Vigil running from the same checkout.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent

_data_dir = None

if "VIGIL_DATA_DIR" not in os.environ:
    _data_dir = tempfile.mkdtemp(prefix="vigil-test-")
    os.environ["VIGIL_DATA_DIR"] = _data_dir
os.environ.setdefault("VIGIL_DEMO", "false")
# Exports are keyed by what they were made from (detection/backends.py): one folder for every test run of
# this checkout, so a run exports each model once, not once per database.
os.environ.setdefault("VIGIL_DETECTION_EXPORT_DIR", str(BASE_DIR / "var" / "test-exports"))


# pytest-django's fixtures that give a test the database; a test's fixture names include those its own
# fixtures ask for (asgi_server needs transactional_db), so these are enough.
DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "live_server",
}


@pytest.hookimpl(tryfirst=True)  # before pytest's own -m deselection reads the markers
def pytest_collection_modifyitems(config, items) -> None:
    """Marks each test by what it exercises, so bin/test's second database runs only what can differ there.

    ``browser``: drives chromium (the page, whatever the database underneath). ``database``: touches the
    database at all (pytest-django's marker or a fixture that needs it); a test without it runs the same
    Python on every database.
    """
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if "browser" in names:
            item.add_marker(pytest.mark.browser)
        if item.get_closest_marker("django_db") is not None or names & DATABASE_FIXTURES:
            item.add_marker(pytest.mark.database)


def pytest_unconfigure(config) -> None:
    if _data_dir is not None:
        shutil.rmtree(_data_dir, ignore_errors=True)


def pytest_terminal_summary(terminalreporter) -> None:
    """The machine the run had, last (where a CI log's tail shows it): its cores, a container's CPU quota,
    and the load, which explain a slow run better than the tests can."""
    from detection.backends import cgroup_cpu_quota, inference_threads

    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    quota = cgroup_cpu_quota()
    terminalreporter.write_line(
        f"host: {os.cpu_count()} CPUs, {len(os.sched_getaffinity(0))} by affinity, CPU quota "
        f"{'none' if quota is None else f'{quota:g}'}, {inference_threads()} inference thread(s); load {load}"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def project_env(**overrides: str | None) -> dict[str, str]:
    """This process's environment with ``overrides`` applied (``None`` removes a variable)."""
    env = dict(os.environ)
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run_python(code: str, **env: str | None) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter in the project folder, as a separate Vigil process would."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=project_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def wait_until(predicate, timeout: float, message, *, every: float = 0.2) -> None:
    """Poll ``predicate`` until it is true; fail the test with ``message`` (or what it returns, when
    callable) after ``timeout`` seconds."""
    import time

    import pytest

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(every)
    pytest.fail(message() if callable(message) else message)
