"""Celery beat's scheduler: django-celery-beat's database scheduler that reports its ticks and dispatches captures.

The cameras' captures are not beat entries: one entry per camera made django-celery-beat walk and
compare them all on every tick, and at 1,000 cameras at 5 s it sent 76 of 200 captures a second
(bench/city.py). Beat instead asks ``captures_dispatch_due`` every ``CAPTURE_DISPATCH_SECONDS``: one
indexed query whatever the number of cameras.

Beat has no heartbeat of its own; recording each tick in Redis lets ``/healthz`` tell a
running beat from a dead one. One bad schedule row (an interval whose date arithmetic
overflows, edited under Periodic tasks or written by the shell) is skipped with a logged
error: it must not stop beat, and with it every camera's capture.
"""

from __future__ import annotations

import logging
import time

import redis
from celery import schedules
from django.conf import settings
from django_celery_beat.schedulers import DatabaseScheduler, ModelEntry

from cameras.services import captures_dispatch_due
from core.isolation import is_outage
from system.periodic import system_entry_names

logger = logging.getLogger(__name__)

BEAT_TICK_KEY = "vigil:beat:last_tick"
# A broken entry is looked at again this often (and logged each time) until someone fixes or removes it.
BROKEN_ENTRY_RECHECK_SECONDS = 300.0


class VigilEntry(ModelEntry):
    """A schedule row whose due-time check never raises: a broken row waits, the others run."""

    def is_due(self) -> schedules.schedstate:
        try:
            return super().is_due()
        except Exception as exc:
            if is_outage(exc):
                raise
            logger.error("beat skips periodic task %r: its schedule cannot be computed (%s: %s)",
                         self.name, type(exc).__name__, exc)  # fmt: skip
            return schedules.schedstate(False, BROKEN_ENTRY_RECHECK_SECONDS)


class VigilScheduler(DatabaseScheduler):
    """Edits made in the admin take effect at the next sync; every tick is recorded."""

    Entry = VigilEntry
    _redis: redis.Redis | None = None
    _next_dispatch = 0.0

    def all_as_schedule(self) -> dict[str, VigilEntry]:
        """Every enabled row as an entry, but a row that cannot become one is logged and left out."""
        entries = {}
        for model in self.enabled_models():
            try:
                entries[model.name] = self.Entry(model, app=self.app)
            except Exception as exc:
                if is_outage(exc):
                    raise
                logger.error("beat skips periodic task %r: its schedule is unusable (%s: %s)",
                             model.name, type(exc).__name__, exc)  # fmt: skip
        return entries

    def setup_schedule(self) -> None:
        super().setup_schedule()
        # Start rewrites each system entry but keeps its ``enabled`` flag: a superuser's choice
        # stands, said here and by /healthz (not ok while one is off).
        disabled = self.Model.objects.filter(name__in=system_entry_names(), enabled=False)
        for name in disabled.values_list("name", flat=True):
            logger.warning("system task %r is disabled: beat does not run it until a superuser enables it", name)

    def tick(self, *args, **kwargs):
        interval = super().tick(*args, **kwargs)
        self._record_tick()
        now = time.monotonic()
        if now >= self._next_dispatch:
            self._next_dispatch = now + settings.CAPTURE_DISPATCH_SECONDS
            self._dispatch_captures()
        return min(interval, max(self._next_dispatch - time.monotonic(), 0.0))

    def _dispatch_captures(self) -> None:
        try:
            captures_dispatch_due()
        except Exception as exc:
            # The database or Redis away: the cameras stay due and go at the next tick that reaches them.
            logger.warning("beat could not dispatch captures: %s: %s", type(exc).__name__, exc)

    def _record_tick(self) -> None:
        try:
            if self._redis is None:
                self._redis = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
            self._redis.set(BEAT_TICK_KEY, time.time(), ex=settings.BEAT_STALE_AFTER_SECONDS * 10)
        except redis.RedisError:
            # The broker is down too; beat itself reconnects, the next tick records again.
            self._redis = None


def system_entries_install(app) -> None:
    """Write the system entries as beat does at start (tests and first runs without beat)."""
    for name, fields in settings.CELERY_BEAT_SCHEDULE.items():
        VigilEntry.from_entry(name, app=app, **fields)
