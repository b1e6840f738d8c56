"""/healthz checks real components: the test run's embedded Redis, no workers, no beat."""

import time

import pytest
import redis
from django.conf import settings
from django.urls import reverse

from system.scheduler import BEAT_TICK_KEY


@pytest.fixture
def redis_client(redis_url):
    client = redis.Redis.from_url(redis_url)
    yield client
    client.delete(BEAT_TICK_KEY)
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
