"""Celery beat's scheduler: django-celery-beat's database scheduler that reports its ticks.

Beat has no heartbeat of its own; recording each tick in Redis lets ``/healthz`` tell a
running beat from a dead one.
"""

from __future__ import annotations

import time

import redis
from django.conf import settings
from django_celery_beat.schedulers import DatabaseScheduler

BEAT_TICK_KEY = "vigil:beat:last_tick"


class VigilScheduler(DatabaseScheduler):
    """Edits made in the admin take effect at the next sync; every tick is recorded."""

    _redis: redis.Redis | None = None

    def tick(self, *args, **kwargs):
        interval = super().tick(*args, **kwargs)
        self._record_tick()
        return interval

    def _record_tick(self) -> None:
        try:
            if self._redis is None:
                self._redis = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
            self._redis.set(BEAT_TICK_KEY, time.time(), ex=settings.BEAT_STALE_AFTER_SECONDS * 10)
        except redis.RedisError:
            # The broker is down too; beat itself reconnects, the next tick records again.
            self._redis = None
