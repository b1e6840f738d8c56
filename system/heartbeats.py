"""Heartbeats of the Celery workers, kept in Redis so ``/healthz`` never talks to a worker.

Asking the workers over the broker (``inspect().active_queues()``) costs a broadcast and a
one-second wait for replies per request, holds a pooled broker connection meanwhile, and
a few dozen concurrent probes exhausted the web process' pool for good. Instead each worker
writes its name, queues and the time into one Redis hash every few seconds, from its own
event loop (a consumer bootstep, as Celery's event heartbeat is), so a worker whose loop is
stuck stops beating too; ``/healthz`` reads the hash in the same round trip as beat's tick.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from typing import Any, TypedDict

import redis
from celery import bootsteps
from django.conf import settings

logger = logging.getLogger(__name__)

# Three queues (vigilsite/celery.py declares them; /healthz wants a worker on each): GPU hosts run
# workers with ``-Q detect`` only; capture is I/O bound; default carries housekeeping (retention of
# counts, notifications).
QUEUES = ("default", "capture", "detect")
WORKER_HEARTBEATS_KEY = "vigil:workers:heartbeats"
HEARTBEAT_SECONDS = 5.0
# Three missed beats: a worker this quiet is down (or its loop is stuck).
WORKER_STALE_AFTER_SECONDS = 20.0
# Entries of workers gone this long (renamed hosts, removed machines) are dropped by the others.
FORGET_AFTER_SECONDS = 24 * 3600.0
# Every Redis call made by or for a heartbeat gives up quickly: a beat is retried in 5 s anyway.
REDIS_TIMEOUT_SECONDS = 2.0


class WorkerHeartbeat(TypedDict):
    """One worker's entry in ``WORKER_HEARTBEATS_KEY``."""

    name: str
    queues: list[str]
    pid: int
    at: float


def heartbeat_redis() -> redis.Redis:
    """A client that never waits long on a Redis that is away (connect and every read)."""
    return redis.Redis.from_url(
        settings.REDIS_URL,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        health_check_interval=30,
    )


def worker_heartbeat_record(*, client: redis.Redis, name: str, queues: list[str], now: float | None = None) -> None:
    """Record that worker ``name`` consumes ``queues`` now; drop entries of long-gone workers."""
    now = time.time() if now is None else now
    beat: WorkerHeartbeat = {"name": name, "queues": sorted(queues), "pid": os.getpid(), "at": now}
    client.hset(WORKER_HEARTBEATS_KEY, name, json.dumps(beat))
    forgotten = [
        other
        for other, beat in worker_heartbeats_parse(client.hgetall(WORKER_HEARTBEATS_KEY)).items()
        if now - beat["at"] > FORGET_AFTER_SECONDS
    ]
    if forgotten:
        client.hdel(WORKER_HEARTBEATS_KEY, *forgotten)


def worker_heartbeat_forget(*, client: redis.Redis, name: str) -> None:
    """A worker that shuts down cleanly is down at once, not after the stale delay."""
    client.hdel(WORKER_HEARTBEATS_KEY, name)


def worker_heartbeats_parse(raw: dict[bytes, bytes]) -> dict[str, WorkerHeartbeat]:
    """The hash as read from Redis; an unreadable entry is skipped, not fatal for the others."""
    beats: dict[str, WorkerHeartbeat] = {}
    for key, value in raw.items():
        try:
            beat = json.loads(value)
            beat["at"] = float(beat["at"])
            beats[key.decode() if isinstance(key, bytes) else key] = beat
        except (ValueError, TypeError, KeyError):
            logger.warning("ignoring an unreadable worker heartbeat %r", key)
    return beats


def queue_consumers(
    beats: dict[str, WorkerHeartbeat], queues: tuple[str, ...], *, now: float | None = None
) -> dict[str, dict[str, Any]]:
    """Per queue: whether a worker with a fresh heartbeat consumes it, and which ones."""
    now = time.time() if now is None else now
    consumers: dict[str, list[str]] = {queue: [] for queue in queues}
    for name, beat in beats.items():
        if now - beat["at"] > WORKER_STALE_AFTER_SECONDS:
            continue
        for queue in beat.get("queues", []):
            consumers.setdefault(queue, []).append(name)
    return {queue: {"ok": bool(workers), "workers": sorted(workers)} for queue, workers in consumers.items()}


class HeartbeatStep(bootsteps.StartStopStep):
    """Consumer bootstep: beats on the worker's own timer while the consumer runs.

    Restarted with the consumer after a broker outage, like Celery's own ``Heart`` step.
    """

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, c, **kwargs) -> None:
        self._timer_entry = None
        self._client: redis.Redis | None = None
        super().__init__(c, **kwargs)

    def start(self, c) -> None:
        self._beat(c)
        self._timer_entry = c.timer.call_repeatedly(HEARTBEAT_SECONDS, self._beat, (c,), priority=10)

    def stop(self, c) -> None:
        if self._timer_entry is not None:
            self._timer_entry.cancel()
            self._timer_entry = None

    def shutdown(self, c) -> None:
        self.stop(c)
        with contextlib.suppress(redis.RedisError, OSError):
            worker_heartbeat_forget(client=self._redis(), name=c.hostname)

    def _redis(self) -> redis.Redis:
        if self._client is None:
            self._client = heartbeat_redis()
        return self._client

    def _beat(self, c) -> None:
        try:
            queues = [queue.name for queue in c.task_consumer.queues] if c.task_consumer else []
            worker_heartbeat_record(client=self._redis(), name=c.hostname, queues=queues)
        except (redis.RedisError, OSError) as exc:
            # Redis is away: the entry goes stale, /healthz says so; the next beat tries again.
            logger.warning("worker heartbeat not recorded: %s", exc)
