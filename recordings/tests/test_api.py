"""The clip and the recordings through the API: for tokens and sessions, by role, refusing bad windows clearly."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.utils import timezone

from accounts.services import api_token_issue
from cameras.tests.factories import CameraFactory
from recordings.services import event_clip_cut
from recordings.tests.segments import detection_event, recorded

pytestmark = pytest.mark.django_db

# (name, group); None: not logged in, "": a user in no group. Auditors: a custom role that views everything.
ROLES = [("anonymous", None), ("no role", ""), ("viewer", "Viewers"), ("operator", "Operators"),
         ("auditor", "Auditors"), ("administrator", "Administrators")]  # fmt: skip
READ = [401, 403, 200, 200, 200, 200]


@pytest.fixture
def scene(concourse_segments, settings):
    camera = CameraFactory(source_url="rtsp://127.0.0.1:8554/live", name="Concourse", recording="continuous")
    ended = timezone.now() - timedelta(minutes=1)
    segments = recorded(camera, concourse_segments[:4], ended_at=ended)
    event = detection_event(camera, first_seen=segments[1].ended_at, last_seen=segments[2].started_at)
    settings.CLIP_PRE_SECONDS = settings.CLIP_POST_SECONDS = 1
    clip = event_clip_cut(event=event)
    assert clip is not None and clip.file
    later = detection_event(camera, first_seen=ended, last_seen=ended)  # not cut yet
    return {"camera": camera, "segments": segments, "event": event, "clip": clip, "uncut": later}


def _client(make_user, group: str | None) -> Client:
    if group is None:
        return Client()
    if group == "Auditors" and not Group.objects.filter(name=group).exists():
        auditors = Group.objects.create(name=group)
        auditors.permissions.set(Permission.objects.filter(codename__startswith="view_"))
    _, key = api_token_issue(user=make_user(f"user-{group or 'none'}", group or None))
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


@pytest.mark.parametrize("column", range(len(ROLES)), ids=[name for name, _ in ROLES])
def test_each_role_reads_the_clip_and_the_recordings_as_it_may(column, scene, make_user, settings):
    settings.API_THROTTLE_RATE = "100000/min"
    client = _client(make_user, ROLES[column][1])
    for url in (f"/api/events/{scene['event'].pk}/clip/", f"/api/cameras/{scene['camera'].pk}/recordings/"):
        response = client.get(url)
        assert response.status_code == READ[column], (url, response.content[:300])
        if response.status_code >= 400:
            assert response["Content-Type"] == "application/json" and b"detail" in response.content


def test_the_clip_is_served_whole_and_in_ranges_like_the_page(scene, make_user):
    client = _client(make_user, "Viewers")
    url = f"/api/events/{scene['event'].pk}/clip/"
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "video/mp4"
    whole = b"".join(response.streaming_content)
    assert whole == scene["clip"].file.open("rb").read() and whole[4:8] == b"ftyp"
    part = client.get(url, headers={"Range": "bytes=10-109"})
    assert part.status_code == 206 and part.content == whole[10:110]
    assert part["Content-Range"] == f"bytes 10-109/{len(whole)}"
    past = client.get(url, headers={"Range": f"bytes={len(whole)}-"})
    assert past.status_code == 416 and past["Content-Range"] == f"bytes */{len(whole)}"
    # A player that asks for video only still reads the errors (JSON), not a 406.
    missing = client.get(f"/api/events/{scene['uncut'].pk}/clip/", headers={"Accept": "video/mp4"})
    assert missing.status_code == 404 and "no clip yet" in missing.json()["detail"]
    assert client.get(f"/api/events/{scene['uncut'].pk + 1000}/clip/").status_code == 404


def test_a_session_reads_the_clip_too(client, scene, make_user):
    client.force_login(make_user("vera", "Viewers"))
    response = client.get(f"/api/events/{scene['event'].pk}/clip/", headers={"Range": "bytes=0-3"})
    assert response.status_code == 206 and len(response.content) == 4


def test_the_recordings_are_the_segments_overlapping_the_window_paged(scene, make_user):
    client = _client(make_user, "Viewers")
    segments = scene["segments"]
    url = f"/api/cameras/{scene['camera'].pk}/recordings/"
    everything = client.get(url)  # the last hour
    assert [row["id"] for row in everything.json()["results"]] == [s.pk for s in segments]
    first = everything.json()["results"][0]
    assert (
        first["started_at"]
        and first["size"] == segments[0].size
        and first["duration"] == pytest.approx(segments[0].duration)
    )
    # A window inside the second segment to inside the third: those two, the overlapping ones.
    since = segments[1].started_at + timedelta(milliseconds=100)
    until = segments[2].ended_at - timedelta(milliseconds=100)
    window = client.get(url, {"since": since.isoformat(), "until": until.isoformat()})
    assert [row["id"] for row in window.json()["results"]] == [segments[1].pk, segments[2].pk]
    # Pages of one, followed to the end, give them all in order.
    page, seen = client.get(url, {"page_size": 1}).json(), []
    while True:
        seen += [row["id"] for row in page["results"]]
        if not page["next"]:
            break
        page = client.get(page["next"]).json()
    assert seen == [s.pk for s in segments]
    other = CameraFactory(source_url="rtsp://127.0.0.1:8554/other", name="Other")
    assert client.get(f"/api/cameras/{other.pk}/recordings/").json()["results"] == []
    assert client.get(f"/api/cameras/{other.pk + 1000}/recordings/").status_code == 404


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"since": "yesterday"}, "since"),
        ({"until": "0001-01-01T00:00:00+14:00"}, "until"),
        ({"since": "2026-12-02T10:00:00Z", "until": "2026-12-02T09:00:00Z"}, "since must be before until"),
        ({"since": "2026-12-01T00:00:00Z", "until": "2026-12-03T00:00:00Z"}, "at most 24 hours"),
    ],
)
def test_bad_reversed_or_too_wide_windows_are_refused_with_a_message(scene, make_user, query, message):
    response = _client(make_user, "Viewers").get(f"/api/cameras/{scene['camera'].pk}/recordings/", query)
    assert response.status_code == 400
    assert message in response.content.decode()
