"""The clip's URL: only for users who may view events, and answered in byte ranges for a player's seeking."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cameras.tests.factories import CameraFactory
from recordings.services import event_clip_cut
from recordings.tests.segments import detection_event, recorded

pytestmark = pytest.mark.django_db


@pytest.fixture
def clip(concourse_segments, settings):
    camera = CameraFactory(source_url="rtsp://127.0.0.1:8554/live", name="Concourse", recording="continuous")
    segments = recorded(camera, concourse_segments[:3], ended_at=timezone.now() - timedelta(minutes=1))
    event = detection_event(camera, first_seen=segments[0].ended_at, last_seen=segments[1].ended_at)
    settings.CLIP_PRE_SECONDS = settings.CLIP_POST_SECONDS = 1
    return event_clip_cut(event=event)


def test_the_clip_needs_a_login_and_the_permission_to_view_events(client, make_user, clip):
    url = reverse("event-clip", args=[clip.event_id])
    assert client.get(url).status_code in (302, 403)
    client.force_login(make_user("nobody"))
    assert client.get(url).status_code == 403
    client.force_login(make_user("vera", "Viewers"))
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "video/mp4"
    assert b"".join(response.streaming_content)[4:8] == b"ftyp"  # an MP4
    assert client.get(reverse("event-clip", args=[clip.event_id + 1000])).status_code == 404


def test_byte_ranges_are_answered_and_nonsense_ones_refused(client, make_user, clip):
    client.force_login(make_user("vera", "Viewers"))
    url = reverse("event-clip", args=[clip.event_id])
    size = clip.file.size
    whole = b"".join(client.get(url).streaming_content)

    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 100-199/{size}"
    assert part.content == whole[100:200]
    tail = client.get(url, headers={"Range": "bytes=-50"})
    assert tail.status_code == 206 and tail.content == whole[-50:]
    assert client.get(url, headers={"Range": f"bytes={size + 10}-"}).status_code == 416
    assert client.get(url, headers={"Range": "bytes=1" + "9" * 40 + "-"}).status_code == 200  # not a range we read
