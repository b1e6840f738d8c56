"""Fixtures shared by every app's tests: real Redis, real media, free ports."""

from __future__ import annotations

import importlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

import pytest
from django.conf import settings
from django.db import connection
from django.utils import translation

from accounts.roles import roles_sync
from cameras.services import storage_warnings_forget
from core.redis import redis_client
from detection.detector import detectors_forget
from detection.models import DetectionModel
from events.rules import rules_cache_forget
from system import embedded_redis
from vigilsite.testing import free_port, project_env, wait_until

BASE_DIR = Path(__file__).resolve().parent


class EmbeddedRedis:
    """The test run's embedded ``redis-server``; fault tests stop and start it."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = embedded_redis.start(
            settings.EMBEDDED_REDIS_SOCKET, settings.DATA_DIR / "redis", stdout=subprocess.DEVNULL
        )

    def stop(self) -> None:
        """A clean shutdown (SIGTERM): Redis writes its snapshot, as a restarted server does."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


_embedded_redis = EmbeddedRedis()


@pytest.fixture(scope="session", autouse=True)
def redis_url() -> Iterator[str]:
    """The Redis of the test run: the embedded server (started here) unless VIGIL_REDIS_URL is set."""
    if not settings.EMBEDDED_REDIS:
        yield settings.REDIS_URL
        return
    _embedded_redis.start()
    try:
        yield settings.REDIS_URL
    finally:
        _embedded_redis.stop()


@pytest.fixture
def redis_server(redis_url) -> Iterator[EmbeddedRedis]:
    """Control of the embedded Redis, running again after the test whatever happened."""
    if not settings.EMBEDDED_REDIS:
        pytest.fail("this test stops and starts Redis: run it with the embedded one (VIGIL_REDIS_URL unset)")
    yield _embedded_redis
    if not _embedded_redis.running:
        _embedded_redis.start()
    # This process's pooled broker connections died with the old server: start new pools.
    from kombu import pools

    from vigilsite.celery import app

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture(scope="session")
def media_dir() -> Path:
    """The shared real footage; a test that needs it fails (never skips) without it."""
    value = os.environ.get("VIGIL_TEST_MEDIA")
    if not value or not Path(value).is_dir():
        pytest.fail("VIGIL_TEST_MEDIA must name the folder of shared clips (bin/test sets it to ../shared/media)")
    return Path(value).resolve()


def _database_url() -> str:
    """The URL of the test database this test run uses, for worker processes."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def _worker_env(redis_url: str, **extra: str) -> dict[str, str]:
    """The test's database, Redis and media folder; ``extra`` may override them (another database)."""
    base = {
        "VIGIL_DATABASE_URL": _database_url(),
        "VIGIL_REDIS_URL": redis_url,
        "VIGIL_MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    return project_env(**{**base, **extra})


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def celery_workers(redis_url, transactional_db, tmp_path) -> Iterator:
    """Start real Celery workers, sharing this test's database, media folder and Redis; logs in ``tmp_path``."""
    started: list[subprocess.Popen] = []

    def start(
        name: str,
        *,
        queue: str = "capture",
        pool: str = "threads",
        concurrency: int = 4,
        capture_timeout: int = 2,
        loglevel: str = "WARNING",
        **extra_env: str,
    ) -> subprocess.Popen:
        env = _worker_env(redis_url, VIGIL_CAPTURE_TIMEOUT=str(capture_timeout), **extra_env)
        log = (tmp_path / f"{name}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "vigilsite", "worker", "-Q", queue, "-n", f"{name}@%h",
             "--pool", pool, "--concurrency", str(concurrency), "--without-mingle", "--without-gossip",
             "-l", loglevel],
            cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        process.log_path = tmp_path / f"{name}.log"
        started.append(process)
        _wait_for_worker(f"{name}@")
        return process

    yield start
    _stop(started)


@pytest.fixture
def celery_beat(redis_url, transactional_db, tmp_path) -> Iterator:
    """Start real Celery beat on this test's database (it reads the cameras' schedules there)."""
    started: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "vigilsite", "beat", "-l", "WARNING",
             "--pidfile", str(tmp_path / "beat.pid")],
            cwd=BASE_DIR, env=_worker_env(redis_url), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        started.append(process)
        return process

    yield start
    _stop(started)


@pytest.fixture
def stream_worker(redis_url, transactional_db, tmp_path) -> Iterator:
    """Start real ``analyze_streams`` processes on this test's database; their logs go to ``tmp_path``."""
    started: list[subprocess.Popen] = []

    def start(name: str = "streams-test", **extra_env: str) -> subprocess.Popen:
        log = (tmp_path / f"{name}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "manage.py", "analyze_streams", "--poll", "1", "--name", name],
            cwd=BASE_DIR, env=_worker_env(redis_url, **extra_env), stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        process.log_path = tmp_path / f"{name}.log"
        started.append(process)
        return process

    yield start
    _stop(started)


def browser_log_in(browser, server, user, next_url: str = "/", *, login_url: str = "/accounts/login/",
                   width: int = 1400, height: int = 1000):  # fmt: skip
    """A new page logged in as ``user`` through the real login form, at ``next_url``."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(f"{server.url}{login_url}?next={next_url}")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("[type=submit]")
    page.wait_for_url(f"{server.url}{next_url}")
    return page


def _wait_for_worker(prefix: str, timeout: float = 60) -> None:
    from vigilsite.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.connection_for_read() as connection:  # a fresh one: Redis may have restarted since the last
            replies = app.control.inspect(timeout=0.5, connection=connection).ping() or {}
        if any(name.startswith(prefix) for name in replies):
            return
    raise RuntimeError(f"worker {prefix} did not start")


_registered = importlib.import_module("detection.migrations.0002_default_models")


@pytest.fixture
def offline_model(db) -> DetectionModel:
    """The default model the data migration registers (re-created after transactional tests flush it)."""
    model, _ = DetectionModel.objects.get_or_create(name=_registered.OFFLINE["name"], defaults=_registered.OFFLINE)
    return model


@pytest.fixture
def coco_model(db) -> DetectionModel:
    model, _ = DetectionModel.objects.get_or_create(name=_registered.COCO["name"], defaults=_registered.COCO)
    return model


@pytest.fixture(autouse=True)
def _fresh_detectors() -> None:
    # Rows are rolled back between tests but a worker's model and rule caches would outlive them.
    detectors_forget()
    rules_cache_forget()
    storage_warnings_forget()


@pytest.fixture(autouse=True)
def _fresh_redis_state(redis_url) -> None:
    # Camera ids can be reused after a rollback; motion references, waiting frames and push
    # limits of an earlier test must not leak into the next one.
    client = redis_client()
    for key in client.scan_iter("vigil:*"):
        client.delete(key)


@pytest.fixture(autouse=True)
def _fresh_media() -> Iterator[None]:
    # Stored files are named by row id, and a test database reuses ids after a rollback (a real one
    # never does): one test's snapshots must not show up in the next test's folders.
    yield
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    # LocaleMiddleware activates each request's language in the thread that serves it, and the test client
    # serves in the test's own thread and never puts the old one back: a French request would leave the
    # next tests in French. Tests that switch language clean up themselves; this is the safety net.
    yield
    translation.deactivate()


@pytest.fixture
def rebinding_name(monkeypatch) -> list[str]:
    """``rebind.test`` answers 127.0.0.1 the first time and 127.0.0.2 after, as a hostile DNS would
    (tests block 127.0.0.2); returns the answers given (append to it to use up the first answer).

    A mock, because no DNS server can be pointed at here; every connection is real. ffmpeg, a
    separate process, cannot resolve the name at all, so a frame through it proves it connected to
    the address Vigil checked.
    """
    real = socket.getaddrinfo
    answers: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host != "rebind.test":
            return real(host, port, *args, **kwargs)
        answers.append("127.0.0.1" if not answers else "127.0.0.2")
        return real(answers[-1], port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


PASSWORD = "a-long-passphrase-1"  # noqa: S105 - test users only


@pytest.fixture
def make_user(db, django_user_model):
    """``make_user("ana", "Operators", staff=True)``: a user in one of the roles (or none), password ``PASSWORD``;
    ``staff`` lets them into the admin."""
    from django.contrib.auth.models import Group

    def make(username: str, role: str | None = None, *, staff: bool = False):
        user = django_user_model.objects.create_user(username, password=PASSWORD, is_staff=staff)
        if role:
            if not Group.objects.filter(name=role).exists():
                roles_sync()  # a transactional test flushed the groups the migration made
            user.groups.add(Group.objects.get(name=role))
        return user

    return make


class AsgiServer:
    """daphne serving this test's database over HTTP and WebSocket; stop and start it to cut sockets."""

    def __init__(self, redis_url: str, **extra_env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._env = _worker_env(redis_url, **extra_env)
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "vigilsite.asgi:application"],
            cwd=BASE_DIR, env=self._env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(self._answers, 60, f"daphne did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            _stop([self.process])
            self.process = None

    def _answers(self) -> bool:
        try:
            with urlopen(f"{self.url}/accounts/login/", timeout=2) as response:  # noqa: S310 - our own http URL
                return response.status == 200
        except (URLError, OSError):
            return False


@pytest.fixture
def asgi_server(redis_url, transactional_db) -> Iterator[AsgiServer]:
    # The map's periodic catch-up every 3 s, so a test can wait for it.
    server = AsgiServer(redis_url, VIGIL_MAP_RESYNC_SECONDS="3")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium driven by playwright (``bin/setup --test`` installs both).

    Module-scoped: playwright's event loop runs in this thread while it is open, which would
    break ``async_to_sync`` in the tests of other modules.
    """
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("chromium is not installed: run bin/setup --test")
    # Playwright's sync API keeps an event loop running in this thread; the tests' own ORM calls
    # are still plain synchronous code, so Django's async-context guard does not apply to them.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=executable, args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            yield browser
            browser.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where browser tests leave screenshots (``VIGIL_TEST_ARTIFACTS``, default ``artifacts/``)."""
    folder = Path(os.environ.get("VIGIL_TEST_ARTIFACTS", BASE_DIR / "artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder
