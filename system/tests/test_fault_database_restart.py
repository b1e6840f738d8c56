"""PostgreSQL restarted while detection runs: tasks retry with backoff, nothing is lost, doubled
or half-written (every count has its camera, every event its snapshot files)."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from cameras.frames import Frame
from cameras.handoff import frame_submit
from detection import queue
from system.tests.faults import changing_picture
from system.tests.postgres import PrivatePostgres
from vigilsite.testing import run_python, wait_until

CAMERAS, WAVE = 3, 4

_SETUP = """
import django, json
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from cameras.models import Camera
from events.models import ThreatRule
ThreatRule.objects.create(name="People seen", labels=["person"], severity="high", cooldown_seconds=3600)
ids = [Camera.objects.create(name=f"Cam {n}", source_url="file:///dev/null", latitude=52.37, longitude=4.89,
                             motion_gate=True).pk for n in range(%d)]
print(json.dumps(ids))
"""

_TALLY = """
import django, json
django.setup()
from django.core.files.storage import default_storage
from django.db.models import Count, Sum
from detection.models import CountSample
from events.models import Event
samples = dict(CountSample.objects.values_list("camera_id").annotate(n=Count("id")))
events = {c: (n, h) for c, n, h in Event.objects.filter(kind="detection").values_list("camera_id")
          .annotate(n=Count("id"), h=Sum("hit_count")).values_list("camera_id", "n", "h")}
incomplete = [e.pk for e in Event.objects.filter(kind="detection")
              if not (e.snapshot and e.annotated_snapshot and default_storage.exists(e.snapshot.name)
                      and default_storage.exists(e.annotated_snapshot.name))]
print(json.dumps({"samples": samples, "events": events, "incomplete": incomplete,
                  "orphans": CountSample.objects.filter(camera__isnull=True).count()}))
"""


@pytest.fixture
def postgres():
    server = PrivatePostgres()
    server.start()
    server.create_database()
    yield server
    server.remove()


def _tally(url: str) -> dict:
    result = run_python(_TALLY, VIGIL_DATABASE_URL=url)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _submit(camera_ids: list[int], wave: int) -> None:
    """``WAVE`` frames of each camera, one second apart, each wave later than the one before; every frame
    passes the motion gate (on, as by default), also when its task is retried after the database came back."""
    start = timezone.now().replace(microsecond=0) - timedelta(minutes=10) + timedelta(seconds=wave * WAVE)
    for n in range(WAVE):
        for camera_id in camera_ids:
            frame = Frame(image=changing_picture(wave * WAVE + n), captured_at=start + timedelta(seconds=n))
            frame_submit(camera_id=camera_id, frame=frame)


@pytest.mark.own_database
def test_a_postgresql_restart_during_detection_is_retried_and_leaves_nothing_half_written(
    offline_model, postgres, celery_workers
):
    setup = run_python(_SETUP % CAMERAS, VIGIL_DATABASE_URL=postgres.url)
    assert setup.returncode == 0, setup.stderr[-2000:]
    camera_ids = json.loads(setup.stdout.strip().splitlines()[-1])
    worker = celery_workers("detect-pg", queue="detect", concurrency=1, VIGIL_DATABASE_URL=postgres.url)

    _submit(camera_ids, wave=0)
    wait_until(lambda: sum(_tally(postgres.url)["samples"].values()) == CAMERAS * WAVE, 120, "first wave not recorded")

    postgres.stop()
    _submit(camera_ids, wave=1)  # detected against a database that is gone
    wait_until(
        lambda: "waits" in worker.log_path.read_text() and "for the database" in worker.log_path.read_text(),
        60,
        lambda: worker.log_path.read_text()[-3000:],
    )
    time.sleep(10)
    postgres.start()

    expected = {str(c): WAVE * 2 for c in camera_ids}
    wait_until(lambda: _tally(postgres.url)["samples"] == expected, 180, lambda: f"tally {_tally(postgres.url)}")
    wait_until(lambda: queue.waiting_count() == 0, 60, "frames left waiting")
    time.sleep(3)
    final = _tally(postgres.url)
    assert final["samples"] == expected  # nothing lost, nothing doubled
    assert final["events"] == {str(c): [1, WAVE * 2] for c in camera_ids}  # one event, one hit per frame
    assert final["incomplete"] == [] and final["orphans"] == 0
    assert worker.poll() is None
