"""Reads about the installation's health, for ``/healthz`` and the operators' dashboard.

A probe must never cost a broker round trip or wait on a worker: workers, beat and the
supervisor each write their state into Redis, and the report reads it all in one pipeline.
The computed report is kept for ``HEALTH_CACHE_SECONDS`` and computed by one thread at a time,
so a storm of probes costs about one report per second, whatever its size.
"""

from __future__ import annotations

import copy
import threading
import time
from typing import Any

import redis
from django.conf import settings
from django.db import connection
from django.db.models import Max
from django.db.utils import Error as DatabaseError

from system.heartbeats import QUEUES, WORKER_HEARTBEATS_KEY, queue_consumers, worker_heartbeats_parse
from system.scheduler import BEAT_TICK_KEY
from system.supervision import SUPERVISOR_STATE_KEY, supervisor_state_parse

# Short enough that a recovered component shows within a second or two; long enough that a
# storm of probes reads a cached verdict.
HEALTH_CACHE_SECONDS = 1.0
# A thread finding the report being computed waits this long for it before computing its own.
_COMPUTE_WAIT_SECONDS = 5.0
REDIS_TIMEOUT_SECONDS = 1.0

_pool_lock = threading.Lock()
_pool: tuple[str, redis.BlockingConnectionPool] | None = None
_cache_lock = threading.Lock()
_compute_lock = threading.Lock()
_cached: tuple[float, dict[str, Any]] | None = None


def _redis() -> redis.Redis:
    """A client on a small bounded pool: at most a few connections, none waited on for long."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != settings.REDIS_URL:
            pool = redis.BlockingConnectionPool.from_url(
                settings.REDIS_URL,
                max_connections=4,
                timeout=REDIS_TIMEOUT_SECONDS,  # waiting for a free connection
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                health_check_interval=30,
            )
            _pool = (settings.REDIS_URL, pool)
        return redis.Redis(connection_pool=_pool[1])


def _error(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True, "vendor": connection.vendor}
    except DatabaseError as exc:
        return {"ok": False, "error": _error(exc)}


def _check_beat(value: bytes | None, now: float) -> dict[str, Any]:
    if value is None:
        return {"ok": False, "error": "beat has not ticked"}
    try:
        age = max(0.0, now - float(value))
    except ValueError:
        return {"ok": False, "error": "beat's tick is unreadable"}
    return {"ok": age <= settings.BEAT_STALE_AFTER_SECONDS, "last_tick_age_s": round(age, 1)}


def _check_system_entries(beat: dict[str, Any]) -> dict[str, Any]:
    """A ticking beat that skips a system entry (disabled, deleted) is not ok: escalation would stop silently."""
    from system.periodic import system_entries_problem

    if not beat["ok"]:
        return beat
    try:
        problem = system_entries_problem()
    except DatabaseError as exc:
        return {**beat, "ok": False, "error": _error(exc)}
    return beat if problem is None else {**beat, "ok": False, "error": problem}


def _check_streams() -> dict[str, Any]:
    """Stream cameras need a live stream worker; each worker's heartbeat lists the streams it holds."""
    from cameras.models import Camera
    from streams.worker import stream_workers

    try:
        cameras = Camera.objects.filter(enabled=True, capture_mode=Camera.CaptureMode.STREAM).count()
        workers = stream_workers()
    except (redis.RedisError, OSError, DatabaseError) as exc:
        return {"ok": False, "error": _error(exc)}
    held = sum(len(worker["streams"]) for worker in workers)
    return {
        "ok": cameras == 0 or bool(workers),
        "cameras": cameras,
        "analysed": held,
        "workers": sorted(worker["name"] for worker in workers),
    }


def _check_recorder() -> dict[str, Any]:
    """Cameras whose recording is on need a live recorder worker; its heartbeat lists the cameras it records.
    The newest segment's age tells a recorder that runs but writes nothing (every camera down, a full disk)."""
    from recordings.models import Segment
    from recordings.worker import recorded_cameras, recorder_workers

    try:
        cameras = len(recorded_cameras())
        workers = recorder_workers()
        newest = Segment.objects.aggregate(newest=Max("ended_at"))["newest"]
    except (redis.RedisError, OSError, DatabaseError) as exc:
        return {"ok": False, "error": _error(exc)}
    return {
        "ok": cameras == 0 or bool(workers),
        "cameras": cameras,
        "recorded": sum(len(worker["cameras"]) for worker in workers),
        "last_segment_age_s": None if newest is None else round(max(0.0, time.time() - newest.timestamp()), 1),
        "workers": sorted(worker["name"] for worker in workers),
    }


def _check_storage() -> dict[str, Any]:
    """The media disk's free space. Pruning keeps ``RECORDING_MIN_FREE_GB`` free by deleting the oldest
    recordings; below half of it the floor is not being held (other files fill the disk, or every segment
    left waits for a clip), and snapshots, clips and latest frames are next to fail."""
    from recordings.services import media_free_bytes

    free = media_free_bytes()
    floor = settings.RECORDING_MIN_FREE_GB * 1024**3
    return {
        "ok": free >= floor / 2,
        "free_gb": round(min(free, 2**50) / 1024**3, 2),
        "min_free_gb": settings.RECORDING_MIN_FREE_GB,
    }


def _compute_report() -> dict[str, Any]:
    now = time.time()
    report: dict[str, Any] = {"database": _check_database(), "storage": _check_storage()}
    try:
        # One round trip for everything the processes recorded about themselves.
        pipe = _redis().pipeline(transaction=False)
        pipe.get(BEAT_TICK_KEY)
        pipe.hgetall(WORKER_HEARTBEATS_KEY)
        pipe.get(SUPERVISOR_STATE_KEY)
        tick, heartbeats, supervisor = pipe.execute()
    except (redis.RedisError, OSError) as exc:
        report["redis"] = {"ok": False, "error": _error(exc)}
        down = {"ok": False, "error": "Redis is unreachable"}
        report["workers"] = {queue: {**down, "workers": []} for queue in QUEUES}
        report["beat"] = down
        report["streams"] = down
        report["recorder"] = down
    else:
        report["redis"] = {"ok": True}
        report["workers"] = queue_consumers(worker_heartbeats_parse(heartbeats), QUEUES, now=now)
        report["beat"] = _check_system_entries(_check_beat(tick, now))
        report["streams"] = _check_streams()
        report["recorder"] = _check_recorder()
        state = supervisor_state_parse(supervisor)
        if state is not None:
            report["supervisor"] = state
    ok = (
        report["database"]["ok"]
        and report["storage"]["ok"]
        and report["redis"]["ok"]
        and report["beat"]["ok"]
        and report["streams"]["ok"]
        and report["recorder"]["ok"]
        and all(queue["ok"] for queue in report["workers"].values())
        and report.get("supervisor", {"ok": True})["ok"]
    )
    return {"status": "ok" if ok else "error", **report}


def health_report(*, cached: bool = True) -> dict[str, Any]:
    """Each component's state; ``ok`` only when every one is up.

    ``cached``: a report at most ``HEALTH_CACHE_SECONDS`` old will do (anonymous probes).
    """
    global _cached
    fresh = _fresh_report() if cached else None
    if fresh is not None:
        return fresh
    # Single flight: the others wait for this report instead of each computing one.
    acquired = _compute_lock.acquire(timeout=_COMPUTE_WAIT_SECONDS)
    try:
        fresh = _fresh_report() if cached else None
        if fresh is not None:
            return fresh
        report = _compute_report()
        with _cache_lock:
            _cached = (time.monotonic(), report)
        return copy.deepcopy(report)
    finally:
        if acquired:
            _compute_lock.release()


def _fresh_report() -> dict[str, Any] | None:
    with _cache_lock:
        if _cached is not None and time.monotonic() - _cached[0] < HEALTH_CACHE_SECONDS:
            return copy.deepcopy(_cached[1])
    return None


def health_report_forget() -> None:
    """Drop the cached report (tests change the state between two probes)."""
    global _cached
    with _cache_lock:
        _cached = None


def health_summary(report: dict[str, Any]) -> dict[str, Any]:
    """The report without details (worker names, error texts) for anonymous probes."""

    def strip(component: dict[str, Any]) -> dict[str, Any]:
        return {"ok": component["ok"]}

    summary = {
        "status": report["status"],
        "database": strip(report["database"]),
        "storage": strip(report["storage"]),
        "redis": strip(report["redis"]),
        "workers": {queue: strip(state) for queue, state in report["workers"].items()},
        "beat": strip(report["beat"]),
        "streams": strip(report["streams"]),
        "recorder": strip(report["recorder"]),
    }
    if "supervisor" in report:
        summary["supervisor"] = strip(report["supervisor"])
    return summary
