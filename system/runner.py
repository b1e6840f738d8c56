"""The embedded run: one supervisor for Redis, daphne, a Celery worker per queue and beat.

Each child runs in its own process group and is told to die with the supervisor
(``PR_SET_PDEATHSIG``), so neither Ctrl-C nor a crash of the supervisor leaves orphans.
A child that exits on its own is restarted, loudly: its exit and each restart are logged, the
wait before a restart doubles from 1 s to 60 s while it keeps crashing, and ``/healthz`` shows
the supervisor's view meanwhile (``system/supervision.py``). A child that crashes again and
again (``RestartPolicy.max_crashes`` within ``window`` seconds) stops the whole run, so a
broken installation is not left flapping. Redis is restarted too: the others reconnect.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import redis

from system import embedded_redis
from system.supervision import (
    SUPERVISOR_STATE_KEY,
    SUPERVISOR_STATE_TTL_SECONDS,
    ChildState,
    supervisor_state_dump,
)

logger = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 10.0
STATE_REPORT_SECONDS = 2.0
_print_lock = threading.Lock()


def say(name: str, line: str) -> None:
    with _print_lock:
        sys.stdout.write(f"{name:>8} | {line.rstrip()}\n")
        sys.stdout.flush()


def _die_with_parent() -> None:
    """Run in the child before exec: get SIGTERM if the supervisor dies, even by SIGKILL."""
    with contextlib.suppress(OSError):  # not Linux: Ctrl-C still stops everything
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass(frozen=True)
class RestartPolicy:
    """How a crashed child is brought back, and when the supervisor gives up."""

    first_delay: float = 1.0
    max_delay: float = 60.0
    # This many crashes of one child within ``window`` seconds stop everything.
    max_crashes: int = 5
    window: float = 600.0
    # A child that ran this long before crashing starts over at ``first_delay``.
    stable_after: float = 60.0


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    pump: threading.Thread | None = field(default=None, repr=False)
    started_at: float = 0.0
    restarts: int = 0
    last_exit_code: int | None = None
    delay: float = 0.0
    restart_at: float | None = None  # monotonic time of the pending restart
    crashes: deque[float] = field(default_factory=deque, repr=False)
    # A listening socket the child is given (a web process's share of the port); the supervisor keeps it open,
    # so connections wait in its backlog while the child restarts instead of being refused.
    listener: socket.socket | None = field(default=None, repr=False)

    def start(self, env: dict[str, str], cwd: Path) -> None:
        self.started_at = time.monotonic()
        self.restart_at = None
        self.process = subprocess.Popen(
            self.argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the supervisor only; it stops children in order
            preexec_fn=_die_with_parent,
            pass_fds=(self.listener.fileno(),) if self.listener else (),
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
            Child(
                "redis",
                embedded_redis.command(
                    settings.EMBEDDED_REDIS_SOCKET,
                    settings.DATA_DIR / "redis",
                    maxmemory_mb=settings.EMBEDDED_REDIS_MAXMEMORY_MB,
                ),
            )
        )
    children += [
        *web_processes(host=host, port=port, count=settings.WEB_PROCESSES),
        Child("capture", celery_worker("capture", pool="threads", concurrency=4)),
        Child("detect", celery_worker("detect", pool="prefork", concurrency=1)),
        Child("default", celery_worker("default", pool="threads", concurrency=2)),
        Child("streams", [sys.executable, "manage.py", "analyze_streams"]),
        Child("recorder", [sys.executable, "manage.py", "record_cameras"]),
        Child("beat", [sys.executable, "-m", "celery", "-A", "vigilsite", "beat", "--loglevel", "INFO"]),
    ]
    return children


def web_processes(*, host: str, port: int, count: int) -> list[Child]:
    """The daphne processes serving ``host:port``. One binds the port itself; several share it through
    sockets of their own, each bound to the port with ``SO_REUSEPORT``, so the kernel spreads new
    connections (map screens, API calls) evenly over them: one daphne fans events out on one core, and the
    pub/sub channel layer gives every process each broadcast for its own sockets."""
    app = "vigilsite.asgi:application"
    if count == 1:
        return [Child("web", [sys.executable, "-m", "daphne", "-b", host, "-p", str(port), app])]
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    children = []
    for number in range(1, count + 1):
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        listener.bind((host, port))
        listener.listen(1024)
        listener.set_inheritable(True)
        argv = [sys.executable, "-m", "daphne", "--fd", str(listener.fileno()), app]
        children.append(Child(f"web-{number}", argv, listener=listener))
    return children


class Supervisor:
    """Starts the children, streams their logs, restarts a crashed one with back-off, and stops
    them all on a signal or when one keeps crashing."""

    def __init__(
        self,
        children: list[Child],
        *,
        cwd: Path,
        health_url: str,
        login_message: str,
        policy: RestartPolicy | None = None,
    ) -> None:
        self.children = children
        self.cwd = cwd
        self.health_url = health_url
        self.login_message = login_message
        self.policy = policy or RestartPolicy()
        self._stop = threading.Event()
        self._env: dict[str, str] = {}
        self._state_lock = threading.Lock()
        self.exit_code = 0

    def run(self) -> int:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        self._env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        reporter = threading.Thread(target=self._report_state, daemon=True, name="supervisor-state")
        try:
            for child in self.children:
                if self._stop.is_set():
                    break
                self._start(child)
                say("vigil", f"started {child.name} (pid {child.process.pid})")
            reporter.start()
            threading.Thread(target=self._announce_when_healthy, daemon=True).start()
            self._watch()
        except RuntimeError as exc:
            say("vigil", f"cannot start: {exc}")
            self.exit_code = 1
        finally:
            self._stop.set()
            if reporter.is_alive():
                reporter.join(timeout=STATE_REPORT_SECONDS + 2)
            self._forget_state()  # while Redis still runs
            self.stop_all()
        return self.exit_code

    def _start(self, child: Child) -> None:
        with self._state_lock:
            if child.name == "redis":
                from django.conf import settings

                # A killed server leaves its socket behind; a new one must not find it in the way.
                embedded_redis.prepare(settings.EMBEDDED_REDIS_SOCKET, settings.DATA_DIR / "redis")
            child.start(self._env, self.cwd)
        if child.name == "redis":
            from django.conf import settings

            embedded_redis.wait_until_ready(settings.REDIS_URL, process=child.process)

    def _on_signal(self, signum: int, frame) -> None:
        if not self._stop.is_set():
            say("vigil", f"received {signal.Signals(signum).name}; stopping")
        self._stop.set()

    def _watch(self) -> None:
        while not self._stop.wait(0.2):
            now = time.monotonic()
            for child in self.children:
                if self._stop.is_set():
                    return
                if child.restart_at is not None:
                    if now >= child.restart_at:
                        self._restart(child)
                elif child.process is not None and not child.running():
                    self._crashed(child, now)

    def _crashed(self, child: Child, now: float) -> None:
        """Log the exit loudly; schedule a restart, or stop everything if it keeps crashing."""
        code = child.process.returncode
        child.stop(grace=1)  # its grandchildren (Celery's pool) go with it
        policy = self.policy
        with self._state_lock:
            child.last_exit_code = code
            child.crashes.append(now)
            while child.crashes and now - child.crashes[0] > policy.window:
                child.crashes.popleft()
            crashes = len(child.crashes)
            if crashes >= policy.max_crashes:
                say(
                    "vigil",
                    f"{child.name} exited with code {code}: {crashes} crashes within {policy.window:.0f}s; "
                    "stopping Vigil",
                )
                self.exit_code = 1
                self._stop.set()
                return
            ran = now - child.started_at
            child.delay = (
                policy.first_delay if ran >= policy.stable_after or not child.delay
                else min(child.delay * 2, policy.max_delay)
            )  # fmt: skip
            child.restart_at = now + child.delay
        say(
            "vigil",
            f"{child.name} exited with code {code} after {ran:.0f}s; restarting it in {child.delay:g}s "
            f"(crash {crashes} of {policy.max_crashes} allowed within {policy.window:.0f}s)",
        )

    def _restart(self, child: Child) -> None:
        try:
            self._start(child)
        except (RuntimeError, OSError) as exc:
            say("vigil", f"{child.name} could not be restarted: {exc}")
            if child.process is None or child.running():
                raise RuntimeError(f"{child.name} could not be restarted: {exc}") from exc
            return  # it died during start-up: the watch loop counts it as a crash
        child.restarts += 1
        say("vigil", f"restarted {child.name} (pid {child.process.pid}, restart {child.restarts})")

    def child_states(self) -> dict[str, ChildState]:
        """Each child as ``/healthz`` shows it."""
        now = time.monotonic()
        with self._state_lock:
            states: dict[str, ChildState] = {}
            for child in self.children:
                if child.restart_at is not None:
                    state, restart_in = "restarting", round(max(0.0, child.restart_at - now), 1)
                else:
                    state, restart_in = ("running" if child.running() else "stopped"), None
                states[child.name] = {
                    "state": state,
                    "pid": child.process.pid if child.process is not None else None,
                    "restarts": child.restarts,
                    "last_exit_code": child.last_exit_code,
                    "restart_in_s": restart_in,
                }
            return states

    def _state_client(self) -> redis.Redis:
        from django.conf import settings

        return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)

    def _report_state(self) -> None:
        """Keep the supervisor's view in Redis for ``/healthz``; Redis may itself be restarting."""
        client = self._state_client()
        while not self._stop.is_set():
            try:
                state = supervisor_state_dump(self.child_states(), at=time.time())
                client.set(SUPERVISOR_STATE_KEY, state, ex=SUPERVISOR_STATE_TTL_SECONDS)
            except (redis.RedisError, OSError) as exc:
                logger.debug("supervisor state not recorded: %s", exc)
            self._stop.wait(STATE_REPORT_SECONDS)
        client.close()

    def _forget_state(self) -> None:
        with contextlib.suppress(redis.RedisError, OSError, RuntimeError):
            client = self._state_client()
            client.delete(SUPERVISOR_STATE_KEY)
            client.close()

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
