"""The embedded run: one supervisor for Redis, daphne, a Celery worker per queue and beat.

Each child runs in its own process group and is told to die with the supervisor
(``PR_SET_PDEATHSIG``), so neither Ctrl-C nor a crash of the supervisor leaves orphans.
A child that exits on its own stops the whole run, loudly: nothing is restarted silently.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from system import embedded_redis

STOP_GRACE_SECONDS = 10.0
_print_lock = threading.Lock()


def say(name: str, line: str) -> None:
    with _print_lock:
        sys.stdout.write(f"{name:>8} | {line.rstrip()}\n")
        sys.stdout.flush()


def _die_with_parent() -> None:
    """Run in the child before exec: get SIGTERM if the supervisor dies, even by SIGKILL."""
    with contextlib.suppress(OSError):  # not Linux: Ctrl-C still stops everything
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    pump: threading.Thread | None = field(default=None, repr=False)

    def start(self, env: dict[str, str], cwd: Path) -> None:
        self.process = subprocess.Popen(
            self.argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the supervisor only; it stops children in order
            preexec_fn=_die_with_parent,
            text=True,
            bufsize=1,
        )
        self.pump = threading.Thread(target=self._pump, daemon=True, name=f"log-{self.name}")
        self.pump.start()

    def _pump(self) -> None:
        assert self.process and self.process.stdout
        for line in self.process.stdout:
            say(self.name, line)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """SIGTERM the child's process group, SIGKILL it after ``grace`` seconds."""
        if self.process is None:
            return
        pgid = self.process.pid  # leader of its own session and group
        _signal_group(pgid, signal.SIGTERM)
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            say("vigil", f"{self.name} did not stop within {grace:.0f}s; killing it")
        # Grandchildren (Celery's pool processes) share the group: make sure none outlive it.
        _signal_group(pgid, signal.SIGKILL)
        self.process.wait()
        if self.pump:
            self.pump.join(timeout=2)


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def celery_worker(queue: str, *, pool: str, concurrency: int) -> list[str]:
    return [
        sys.executable, "-m", "celery", "-A", "vigilsite", "worker",
        "-Q", queue, "-n", f"{queue}@%h", "--pool", pool, "--concurrency", str(concurrency),
        "--loglevel", "INFO", "--without-mingle", "--without-gossip",
    ]  # fmt: skip


def plan(*, host: str, port: int) -> list[Child]:
    """The processes of an embedded run, in start order (Redis first, when embedded)."""
    from django.conf import settings

    children: list[Child] = []
    if settings.EMBEDDED_REDIS:
        embedded_redis.prepare(settings.EMBEDDED_REDIS_SOCKET, settings.DATA_DIR / "redis")
        children.append(
            Child("redis", embedded_redis.command(settings.EMBEDDED_REDIS_SOCKET, settings.DATA_DIR / "redis"))
        )
    children += [
        Child("web", [sys.executable, "-m", "daphne", "-b", host, "-p", str(port), "vigilsite.asgi:application"]),
        Child("capture", celery_worker("capture", pool="threads", concurrency=4)),
        Child("detect", celery_worker("detect", pool="prefork", concurrency=1)),
        Child("default", celery_worker("default", pool="threads", concurrency=2)),
        Child("streams", [sys.executable, "manage.py", "analyze_streams"]),
        Child("beat", [sys.executable, "-m", "celery", "-A", "vigilsite", "beat", "--loglevel", "INFO"]),
    ]
    return children


class Supervisor:
    """Starts the children, streams their logs, stops them all on a signal or on any exit."""

    def __init__(self, children: list[Child], *, cwd: Path, health_url: str, login_message: str) -> None:
        self.children = children
        self.cwd = cwd
        self.health_url = health_url
        self.login_message = login_message
        self._stop = threading.Event()
        self.exit_code = 0

    def run(self) -> int:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        try:
            for child in self.children:
                if self._stop.is_set():
                    break
                child.start(env, self.cwd)
                say("vigil", f"started {child.name} (pid {child.process.pid})")
                if child.name == "redis":
                    from django.conf import settings

                    embedded_redis.wait_until_ready(settings.REDIS_URL, process=child.process)
            threading.Thread(target=self._announce_when_healthy, daemon=True).start()
            self._watch()
        except RuntimeError as exc:
            say("vigil", f"cannot start: {exc}")
            self.exit_code = 1
        finally:
            self.stop_all()
        return self.exit_code

    def _on_signal(self, signum: int, frame) -> None:
        if not self._stop.is_set():
            say("vigil", f"received {signal.Signals(signum).name}; stopping")
        self._stop.set()

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            for child in self.children:
                if child.process is not None and not child.running():
                    say("vigil", f"{child.name} exited with code {child.process.returncode}; stopping Vigil")
                    self.exit_code = 1
                    self._stop.set()
                    return

    def stop_all(self) -> None:
        # Reverse order: web and workers go before the Redis they talk to.
        for child in reversed(self.children):
            if child.process is not None:
                child.stop()
        say("vigil", "all processes stopped")

    def _announce_when_healthy(self) -> None:
        deadline = time.monotonic() + 120
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.health_url, timeout=3) as response:  # noqa: S310 - our own http URL
                    if response.status == 200:
                        say("vigil", "every component is up")
                        for line in self.login_message.splitlines():
                            say("vigil", line)
                        return
            except OSError:
                pass
            self._stop.wait(1.0)
        if not self._stop.is_set():
            say("vigil", f"not healthy after 120s: see {self.health_url}")
