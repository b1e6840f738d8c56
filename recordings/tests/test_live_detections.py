"""``/cameras/<id>/live/detections.json``: the live overlay's entries from the real Redis ring, after
``since``, refused like every other video URL, and a clear 400 for a ``since`` it cannot read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cameras.models import Camera
from cameras.tests.factories import CameraFactory
from core.redis import redis_client
from core.vision import Detection
from detection.recent import KEY, recent_detections_record

pytestmark = pytest.mark.django_db

PERSON = Detection("person", 0.8, (0.1, 0.2, 0.3, 0.9), "person")


@pytest.fixture
def camera():
    camera = CameraFactory(name="Concourse", recording="continuous", capture_mode="stream")
    redis_client().delete(KEY.format(camera.pk))
    yield camera
    redis_client().delete(KEY.format(camera.pk))


def ms(moment) -> int:
    return round(moment.timestamp() * 1000)


def test_it_returns_the_entries_captured_after_since(client, make_user, camera):
    base = timezone.now() - timedelta(seconds=3)
    for n in range(5):
        recent_detections_record(camera_id=camera.pk, captured_at=base + timedelta(seconds=n / 2),
                                 detections=[PERSON], track_ids=[n])  # fmt: skip
    client.force_login(make_user("vera", "Viewers"))
    url = reverse("camera-live-detections", args=[camera.pk])
    assert url == f"/cameras/{camera.pk}/live/detections.json"

    everything = client.get(url)
    assert everything.status_code == 200 and everything["Content-Type"] == "application/json"
    assert "no-store" in everything["Cache-Control"]
    data = everything.json()
    assert data["hold_ms"] == 1000 and data["lead_ms"] == 250  # a stream camera
    assert [e["t"] for e in data["entries"]] == [ms(base + timedelta(seconds=n / 2)) for n in range(5)]
    assert data["entries"][0]["b"] == [[0.1, 0.2, 0.3, 0.9, "person", 0.8, 0]]

    since = ms(base + timedelta(seconds=1))  # the third entry's time: only those after it
    by_ms = client.get(url, {"since": str(since)}).json()["entries"]
    assert [e["t"] for e in by_ms] == [ms(base + timedelta(seconds=n / 2)) for n in (3, 4)]
    by_iso = client.get(url, {"since": (base + timedelta(seconds=1)).isoformat()}).json()["entries"]
    assert by_iso == by_ms
    assert client.get(url, {"since": str(ms(timezone.now()))}).json()["entries"] == []
    assert client.get(url, {"since": ""}).json()["entries"] == data["entries"]  # empty: as absent


def test_a_snapshot_camera_holds_its_entries_up_to_its_interval(client, make_user, camera):
    client.force_login(make_user("vera", "Viewers"))
    url = reverse("camera-live-detections", args=[camera.pk])
    Camera.objects.filter(pk=camera.pk).update(capture_mode="interval", capture_interval=2)
    assert client.get(url).json() == {"hold_ms": 2000, "lead_ms": 250, "entries": []}
    Camera.objects.filter(pk=camera.pk).update(capture_interval=60)
    assert client.get(url).json()["hold_ms"] == 3000  # never the boxes of a minute ago


@pytest.mark.parametrize(
    "since",
    ["yesterday", "-5", "+5", "1.5", "١٢٣", "²", "1e12", "2026-13-01T00:00:00Z", "0001-01-01T00:00:00+14:00",
     "99999999999999999999", "9999999999999999", "12\x00", "9999-12-31T23:59:59Z"],
)  # fmt: skip
def test_a_since_it_cannot_read_is_a_400_that_says_why(client, make_user, camera, since):
    client.force_login(make_user("vera", "Viewers"))
    response = client.get(reverse("camera-live-detections", args=[camera.pk]), {"since": since})
    assert response.status_code == 400
    assert response.content.decode().startswith("since: ")


def test_it_is_refused_like_the_other_video_urls(make_user, camera):
    url = reverse("camera-live-detections", args=[camera.pk])
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")

    watcher = Group.objects.create(name="Event watchers")  # may view events, not cameras
    watcher.permissions.add(Permission.objects.get(codename="view_event", content_type__app_label="events"))
    user = make_user("ed")
    user.groups.add(watcher)
    client = Client()
    client.force_login(user)
    assert client.get(url).status_code == 403

    client.force_login(make_user("vera", "Viewers"))
    assert client.get(url).status_code == 200
    assert client.get(reverse("camera-live-detections", args=[camera.pk + 1000])).status_code == 404
    assert client.post(url).status_code == 405
