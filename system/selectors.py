"""Reads about the installation's health, for ``/healthz`` and the operators' dashboard."""

from __future__ import annotations

import time
from typing import Any

import redis
from django.conf import settings
from django.db import connection
from django.db.utils import Error as DatabaseError

from system.scheduler import BEAT_TICK_KEY
from vigilsite.celery import QUEUES, app


def _check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True, "vendor": connection.vendor}
    except DatabaseError as exc:
        return {"ok": False, "error": str(exc).splitlines()[0] if str(exc) else type(exc).__name__}


def _check_redis(client: redis.Redis) -> dict[str, Any]:
    try:
        client.ping()
        return {"ok": True}
    except (redis.RedisError, OSError) as exc:
        return {"ok": False, "error": str(exc) or type(exc).__name__}


def _check_workers() -> dict[str, Any]:
    """Which queues have a live consumer, asked of the workers over the broker."""
    try:
        replies = app.control.inspect(timeout=1.0).active_queues() or {}
    except Exception as exc:  # kombu raises transport-specific errors
        return {queue: {"ok": False, "workers": [], "error": str(exc)} for queue in QUEUES}
    consumers: dict[str, list[str]] = {queue: [] for queue in QUEUES}
    for worker, queues in replies.items():
        for queue in queues:
            consumers.setdefault(queue["name"], []).append(worker)
    return {queue: {"ok": bool(workers), "workers": sorted(workers)} for queue, workers in consumers.items()}


def _check_beat(client: redis.Redis) -> dict[str, Any]:
    try:
        value = client.get(BEAT_TICK_KEY)
    except (redis.RedisError, OSError) as exc:
        return {"ok": False, "error": str(exc) or type(exc).__name__}
    if value is None:
        return {"ok": False, "error": "beat has not ticked"}
    age = max(0.0, time.time() - float(value))
    return {"ok": age <= settings.BEAT_STALE_AFTER_SECONDS, "last_tick_age_s": round(age, 1)}


def _check_streams() -> dict[str, Any]:
    """Stream cameras need a live stream worker; each worker's heartbeat lists the streams it holds."""
    from cameras.models import Camera
    from streams.worker import stream_workers

    try:
        cameras = Camera.objects.filter(enabled=True, capture_mode=Camera.CaptureMode.STREAM).count()
        workers = stream_workers()
    except (redis.RedisError, OSError, DatabaseError) as exc:
        return {"ok": False, "error": str(exc).splitlines()[0] if str(exc) else type(exc).__name__}
    held = sum(len(worker["streams"]) for worker in workers)
    return {
        "ok": cameras == 0 or bool(workers),
        "cameras": cameras,
        "analysed": held,
        "workers": sorted(worker["name"] for worker in workers),
    }


def health_report() -> dict[str, Any]:
    """Each component's state; ``ok`` only when every one is up."""
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        report: dict[str, Any] = {"database": _check_database(), "redis": _check_redis(client)}
        if report["redis"]["ok"]:
            report["workers"] = _check_workers()
            report["beat"] = _check_beat(client)
            report["streams"] = _check_streams()
        else:
            down = {"ok": False, "error": "Redis is unreachable"}
            report["workers"] = {queue: {**down, "workers": []} for queue in QUEUES}
            report["beat"] = down
            report["streams"] = down
    finally:
        client.close()
    ok = (
        report["database"]["ok"]
        and report["redis"]["ok"]
        and report["beat"]["ok"]
        and report["streams"]["ok"]
        and all(queue["ok"] for queue in report["workers"].values())
    )
    return {"status": "ok" if ok else "error", **report}


def health_summary(report: dict[str, Any]) -> dict[str, Any]:
    """The report without details (worker names, error texts) for anonymous probes."""

    def strip(component: dict[str, Any]) -> dict[str, Any]:
        return {"ok": component["ok"]}

    return {
        "status": report["status"],
        "database": strip(report["database"]),
        "redis": strip(report["redis"]),
        "workers": {queue: strip(state) for queue, state in report["workers"].items()},
        "beat": strip(report["beat"]),
        "streams": strip(report["streams"]),
    }
