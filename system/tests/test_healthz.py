"""/healthz checks real components: the test run's embedded Redis, heartbeats written into it, no workers."""

import time

import pytest
import redis
from django.conf import settings
from django.urls import reverse

from system.scheduler import BEAT_TICK_KEY, system_entries_install
from vigilsite.celery import app as celery_app


@pytest.fixture
def redis_client(redis_url):
    client = redis.Redis.from_url(redis_url)
    yield client
    client.delete(BEAT_TICK_KEY, "vigil:workers:heartbeats", "vigil:supervisor:state")
    client.close()


@pytest.mark.django_db
def test_it_answers_503_naming_what_is_down(client, redis_client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] == {"ok": True}
    assert body["redis"] == {"ok": True}
    assert body["workers"]["detect"] == {"ok": False}
    assert body["beat"] == {"ok": False}


@pytest.mark.django_db
def test_it_sees_a_recent_beat_tick_and_rejects_a_stale_one(admin_client, redis_client):
    system_entries_install(celery_app)  # as beat does at start (a missing one is not ok: test_periodic.py)
    redis_client.set(BEAT_TICK_KEY, time.time())
    assert admin_client.get(reverse("healthz")).json()["beat"]["ok"] is True
    redis_client.set(BEAT_TICK_KEY, time.time() - settings.BEAT_STALE_AFTER_SECONDS - 5)
    beat = admin_client.get(reverse("healthz")).json()["beat"]
    assert beat["ok"] is False
    assert beat["last_tick_age_s"] > settings.BEAT_STALE_AFTER_SECONDS


@pytest.mark.django_db
def test_it_shows_details_to_staff_only(client, admin_client):
    assert "workers" not in client.get(reverse("healthz")).json()["workers"]["capture"]
    assert admin_client.get(reverse("healthz")).json()["workers"]["capture"]["workers"] == []


@pytest.mark.django_db
def test_it_reports_redis_down(client, settings):
    settings.REDIS_URL = "unix:///nonexistent/redis.sock"
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["redis"] == {"ok": False}
    assert body["workers"]["capture"] == {"ok": False}


@pytest.mark.django_db
def test_it_reads_worker_heartbeats_and_ignores_stale_ones(client, admin_client, redis_client):
    from system.heartbeats import WORKER_STALE_AFTER_SECONDS, worker_heartbeat_record

    worker_heartbeat_record(client=redis_client, name="capture@fresh", queues=["capture", "default"])
    worker_heartbeat_record(
        client=redis_client, name="detect@gone", queues=["detect"], now=time.time() - WORKER_STALE_AFTER_SECONDS - 1
    )
    workers = admin_client.get(reverse("healthz")).json()["workers"]
    assert workers["capture"] == {"ok": True, "workers": ["capture@fresh"]}
    assert workers["default"] == {"ok": True, "workers": ["capture@fresh"]}
    assert workers["detect"] == {"ok": False, "workers": []}
    assert client.get(reverse("healthz")).json()["workers"]["capture"] == {"ok": True}


@pytest.mark.django_db
def test_it_shows_a_child_the_supervisor_is_restarting(client, admin_client, redis_client):
    from system.supervision import SUPERVISOR_STATE_KEY, supervisor_state_dump

    running = {"state": "running", "pid": 10, "restarts": 0, "last_exit_code": None, "restart_in_s": None}
    restarting = {"state": "restarting", "pid": 11, "restarts": 3, "last_exit_code": -9, "restart_in_s": 4.0}
    redis_client.set(SUPERVISOR_STATE_KEY, supervisor_state_dump({"web": running, "beat": restarting}, at=time.time()))
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["supervisor"] == {"ok": False}
    supervisor = admin_client.get(reverse("healthz")).json()["supervisor"]
    assert supervisor["error"] == "not running: beat"
    assert supervisor["children"]["beat"] == restarting


@pytest.mark.django_db
def test_it_has_no_supervisor_component_without_a_supervisor(client):
    assert "supervisor" not in client.get(reverse("healthz")).json()


@pytest.mark.django_db
def test_it_reports_a_media_disk_that_pruning_cannot_keep_free(client, admin_client, settings):
    from recordings.services import media_free_bytes
    from system.selectors import health_report_forget

    settings.MEDIA_ROOT.mkdir(parents=True, exist_ok=True)
    settings.RECORDING_MIN_FREE_GB = 0.0
    assert client.get(reverse("healthz")).json()["storage"] == {"ok": True}
    # Below half the floor, pruning is not holding it: the next snapshots, clips and frames fail.
    settings.RECORDING_MIN_FREE_GB = 2 * (media_free_bytes() + 2**40) / 1024**3
    health_report_forget()  # anonymous probes get a report a few seconds old
    assert client.get(reverse("healthz")).json()["storage"] == {"ok": False}
    storage = admin_client.get(reverse("healthz")).json()["storage"]
    assert storage["ok"] is False and 0 <= storage["free_gb"] < storage["min_free_gb"] / 2
