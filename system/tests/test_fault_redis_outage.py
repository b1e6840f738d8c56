"""Redis (broker, frame queue, channel layer, cache) stopped for a minute and started again.

Nothing is restarted by hand: the capture and detect workers, beat and the web server carry on by
themselves. While Redis is down, /healthz says so, operators keep working through the API, edge
devices are told to retry, and after it every camera's detection event is in the database once,
with exactly one hit per recorded frame; the change made during the outage, whose broadcast could
not be sent, reaches the map through its catch-up query.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from accounts.roles import OPERATORS
from accounts.services import api_token_issue
from cameras.models import Camera
from cameras.services import camera_push_token_rotate
from cameras.tests.factories import CameraFactory
from detection import queue
from detection.models import CountSample
from events.models import Event
from system.tests.faults import people_cameras, tally
from vigilsite.testing import wait_until

OUTAGE_SECONDS = 60


def _samples(camera) -> int:
    return CountSample.objects.filter(camera=camera).count()


def _health(server) -> tuple[int, dict]:
    response = requests.get(f"{server.url}/healthz", timeout=10)
    return response.status_code, response.json()


@pytest.mark.redis_outage
def test_a_one_minute_redis_outage_loses_and_duplicates_nothing(
    offline_model, settings, make_user, redis_server, celery_workers, celery_beat, asgi_server
):
    cameras = people_cameras(3, motion_gate=False)  # they capture the same bus.jpg every time
    bus = (settings.ULTRALYTICS_ASSETS / "bus.jpg").as_uri()
    Camera.objects.filter(pk__in=[c.pk for c in cameras]).update(source_url=bus, capture_interval=2)
    for camera in cameras:
        Camera.objects.get(pk=camera.pk).save()  # re-sync the beat schedule to the new interval
    edge = CameraFactory(source_url="device://0", name="Edge", capture_mode=Camera.CaptureMode.PUSH, capture_interval=1)
    push_token = camera_push_token_rotate(camera=edge)
    api = {"Authorization": f"Token {api_token_issue(user=make_user('ops', OPERATORS))[1]}"}

    workers = [
        celery_workers("capture-outage", queue="capture", concurrency=4),
        celery_workers("detect-outage", queue="detect", concurrency=1),
    ]
    beat = celery_beat()
    wait_until(lambda: all(_samples(c) >= 2 for c in cameras), 120, lambda: f"tally before: {tally(cameras)}")
    before_outage = timezone.now()
    event = Event.objects.get(camera=cameras[0])

    redis_server.stop()
    outage_started = time.monotonic()
    status, health = _health(asgi_server)
    assert status == 503 and health["redis"] == {"ok": False} and health["database"] == {"ok": True}
    # Operators keep working: reading and acknowledging need only the database.
    assert requests.get(f"{asgi_server.url}/api/events/", headers=api, timeout=10).status_code == 200
    ack = requests.post(f"{asgi_server.url}/api/events/{event.pk}/acknowledge/", headers=api, json={}, timeout=10)
    assert ack.status_code == 200, ack.text
    # An edge device is told to keep its frame and retry, not given a 500.
    push = requests.post(
        f"{asgi_server.url}/api/cameras/{edge.pk}/frames/", data=(settings.ULTRALYTICS_ASSETS / "bus.jpg").read_bytes(),
        headers={"Authorization": f"Bearer {push_token}", "Content-Type": "image/jpeg"}, timeout=10,
    )  # fmt: skip
    assert push.status_code == 503 and push.headers["Retry-After"] == "5"
    # A batch taken just before the outage may still be recorded (the database is up); after that
    # nothing new can be captured or queued.
    time.sleep(max(0.0, 20 - (time.monotonic() - outage_started)))
    during = {c.pk: _samples(c) for c in cameras}
    time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - outage_started)))
    assert all(process.poll() is None for process in [*workers, beat]), "a process gave up during the outage"
    assert {c.pk: _samples(c) for c in cameras} == during  # nothing can be captured without Redis
    assert _health(asgi_server)[0] == 503

    redis_server.start()
    # Workers and beat come back by themselves: new frames of every camera are recorded again.
    wait_until(lambda: all(_samples(c) >= during[c.pk] + 3 for c in cameras), 120,
               lambda: f"no recovery: {tally(cameras)} (before {during})")  # fmt: skip
    wait_until(lambda: _health(asgi_server)[1]["redis"]["ok"] and _health(asgi_server)[1]["beat"]["ok"], 60,
               lambda: f"health after: {_health(asgi_server)}")  # fmt: skip

    # The map's catch-up (changed since its last news) brings the acknowledgement made in the dark.
    since = (before_outage - timedelta(seconds=2)).isoformat()
    caught = requests.get(f"{asgi_server.url}/api/events/", params={"changed_since": since}, headers=api, timeout=10)
    statuses = {item["id"]: item["status"] for item in caught.json()["results"]}
    assert statuses[event.pk] == "acknowledged"

    beat.terminate()
    beat.wait(15)
    wait_until(lambda: queue.waiting_count() == 0 and _queues_empty(), 120, "the queues never drained")
    time.sleep(3)
    final = tally(cameras)
    assert all(t["events"] == 1 for t in final.values()), final
    assert all(t["hits"] == t["samples"] for t in final.values()), final  # each frame counted once
    assert Event.objects.get(pk=event.pk).status == Event.Status.ACKNOWLEDGED


def _queues_empty() -> bool:
    from core.redis import redis_client

    client = redis_client()
    return (
        client.llen("capture") == 0 and client.llen("detect") == 0 and not any(client.scan_iter("vigil:detect:batch:*"))
    )
