"""Beat with a schedule row it cannot compute: that row is skipped with a logged error, the others run."""

from __future__ import annotations

import json

import pytest
import redis
from django.conf import settings
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from cameras.tests.factories import CameraFactory
from system.scheduler import BEAT_TICK_KEY
from vigilsite.testing import wait_until


@pytest.mark.django_db(transaction=True)
def test_beat_keeps_scheduling_captures_when_one_schedule_row_overflows(celery_beat):
    # Rows a superuser can save under Periodic tasks (django-celery-beat bounds neither), each at
    # most 2**31 - 1 so PostgreSQL stores them too: one overflows timedelta, one the calendar.
    too_long = IntervalSchedule.objects.create(every=2**31 - 1, period=IntervalSchedule.DAYS)
    past_9999 = IntervalSchedule.objects.create(every=3_000_000, period=IntervalSchedule.DAYS)
    for name, interval in (("too long", too_long), ("past 9999", past_9999)):
        PeriodicTask.objects.create(name=name, task="cameras.tasks.capture_camera", interval=interval,
                                    kwargs=json.dumps({"camera_id": 0}), queue="broken")  # fmt: skip
    CameraFactory(name="Gate", capture_interval=1)  # its own schedule: every second
    broker = redis.Redis.from_url(settings.REDIS_URL)
    broker.delete("capture", "broken", BEAT_TICK_KEY)

    beat = celery_beat()

    # Beat stays up, keeps ticking and sends the good camera's captures, again and again.
    wait_until(lambda: broker.llen("capture") >= 2 or beat.poll() is not None, 60, "no capture was scheduled")
    assert beat.poll() is None, "beat died"
    assert broker.get(BEAT_TICK_KEY) is not None
    assert broker.llen("broken") == 0
