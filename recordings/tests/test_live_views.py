"""The live view and the timeline's URLs: HLS playlists of a real recorder's segments, each segment served
only as an indexed row of its camera, and every video URL refused to those who may not view cameras."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.storage import default_storage
from django.db.models import F
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cameras.tests.factories import CameraFactory
from cameras.tests.servers import RtspCamera
from recordings.models import Segment
from recordings.services import event_clip_cut
from recordings.tests.segments import detection_event, recorded
from recordings.worker import RecorderWorker
from vigilsite.testing import wait_until

pytestmark = pytest.mark.django_db


def playlist_segments(text: str) -> list[int]:
    """The segment ids a playlist lists, in order."""
    return [int(n) for n in re.findall(r"^/cameras/\d+/segments/(\d+)\.ts$", text, re.MULTILINE)]


def media_sequence(text: str) -> int:
    return int(re.search(r"^#EXT-X-MEDIA-SEQUENCE:(\d+)$", text, re.MULTILINE)[1])


@pytest.fixture
def scene(concourse_segments, settings):
    camera = CameraFactory(source_url="rtsp://127.0.0.1:8554/live", name="Concourse", recording="continuous")
    segments = recorded(camera, concourse_segments[:4], ended_at=timezone.now() - timedelta(seconds=2))
    event = detection_event(camera, first_seen=segments[1].ended_at, last_seen=segments[2].started_at)
    settings.CLIP_PRE_SECONDS = settings.CLIP_POST_SECONDS = 1
    assert event_clip_cut(event=event) is not None
    other = CameraFactory(source_url="rtsp://127.0.0.1:8554/other", name="Other", recording="continuous")
    [elsewhere] = recorded(other, concourse_segments[:1], ended_at=timezone.now())
    return {"camera": camera, "segments": segments, "event": event, "elsewhere": elsewhere}


def video_urls(scene) -> list[str]:
    camera, segment, event = scene["camera"], scene["segments"][0], scene["event"]
    at = segment.started_at.isoformat()
    return [
        reverse("camera-live", args=[camera.pk]),
        reverse("camera-live-playlist", args=[camera.pk]),
        reverse("camera-segment", args=[camera.pk, segment.pk]),
        reverse("camera-recording-playlist", args=[camera.pk]) + f"?at={at.replace('+', '%2B')}",
        reverse("camera-timeline", args=[camera.pk]),
        reverse("event-clip", args=[event.pk]),
        reverse("event-clip-api", args=[event.pk]),
    ]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_live_playlist_follows_a_real_recorder(media_dir, settings, make_user):
    settings.RECORDING_SEGMENT_SECONDS = 2
    rtsp = RtspCamera(media_dir / "concourse.mp4")
    worker = RecorderWorker(name="recorder-live")
    try:
        rtsp.start()
        camera = CameraFactory(source_url=rtsp.url, name="Concourse live", rtsp_transport="udp", recording="continuous")
        client = Client()
        client.force_login(make_user("vera", "Viewers"))
        url = reverse("camera-live-playlist", args=[camera.pk])
        assert client.get(url).status_code == 404  # nothing recorded yet
        worker.reconcile()
        wait_until(lambda: Segment.objects.filter(camera=camera).count() >= 5, 90,
                   lambda: f"no segments: {worker.running[camera.pk][0].last_error}")  # fmt: skip

        first = client.get(url)
        assert first.status_code == 200 and first["Content-Type"] == "application/vnd.apple.mpegurl"
        assert "no-cache" in first["Cache-Control"] or "max-age=0" in first["Cache-Control"]
        text = first.content.decode()
        assert text.startswith("#EXTM3U\n") and "#EXT-X-ENDLIST" not in text  # live: the player reloads it
        newest = list(Segment.objects.filter(camera=camera).order_by("-started_at")[:4])[::-1]
        listed = playlist_segments(text)
        assert listed == [s.pk for s in newest]  # the newest four, oldest first
        assert media_sequence(text) == newest[0].sequence
        assert [s.sequence for s in newest] == list(range(newest[0].sequence, newest[0].sequence + 4))
        target = int(re.search(r"#EXT-X-TARGETDURATION:(\d+)", text)[1])
        assert all(float(d) <= target for d in re.findall(r"#EXTINF:([\d.]+),", text))

        segment = client.get(f"/cameras/{camera.pk}/segments/{listed[-1]}.ts")
        assert segment.status_code == 200 and segment["Content-Type"] == "video/mp2t"
        body = b"".join(segment.streaming_content)
        row = Segment.objects.get(pk=listed[-1])
        assert body == default_storage.open(row.file.name).read() and body[0] == 0x47  # MPEG-TS sync byte

        count = Segment.objects.filter(camera=camera).count()
        wait_until(lambda: Segment.objects.filter(camera=camera).count() >= count + 2, 60, "the recorder stopped")
        later = client.get(url).content.decode()
        assert media_sequence(later) >= media_sequence(text) + 2  # the window slid on
        assert playlist_segments(later)[0] in listed[2:] or playlist_segments(later)[0] > listed[-1]
    finally:
        worker.release_all()
        rtsp.kill()


def test_a_user_who_may_not_view_cameras_is_refused_every_video_url(client, make_user, scene):
    watcher = Group.objects.create(name="Event watchers")  # may view events, not cameras
    watcher.permissions.add(Permission.objects.get(codename="view_event", content_type__app_label="events"))
    user = make_user("ed")
    user.groups.add(watcher)
    client.force_login(user)
    answered = {url: client.get(url).status_code for url in video_urls(scene)}
    assert answered == dict.fromkeys(answered, 403)

    client.force_login(make_user("vera", "Viewers"))
    answered = {url: client.get(url).status_code for url in video_urls(scene)}
    assert answered == dict.fromkeys(answered, 200)


def test_an_anonymous_visitor_is_sent_to_log_in(scene):
    client = Client()
    for url in video_urls(scene):
        response = client.get(url)
        if url.startswith("/api/"):
            assert response.status_code == 401, url
        else:
            assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url


def test_a_segment_is_served_only_as_an_indexed_row_of_its_camera(client, make_user, scene):
    client.force_login(make_user("vera", "Viewers"))
    camera, elsewhere = scene["camera"], scene["elsewhere"]
    assert client.get(f"/cameras/{camera.pk}/segments/{elsewhere.pk}.ts").status_code == 404  # another camera's
    assert client.get(f"/cameras/{elsewhere.camera_id}/segments/{elsewhere.pk}.ts").status_code == 200
    name = scene["segments"][0].file.name
    for crafted in [f"/cameras/{camera.pk}/segments/{name}", f"/cameras/{camera.pk}/segments/..%2F..%2Fsettings.py",
                    f"/cameras/{camera.pk}/segments/../../../etc/passwd", f"/cameras/{camera.pk}/segments/1.ts/..",
                    f"/cameras/{camera.pk}/segments/-1.ts", f"/cameras/{camera.pk}/segments/99999.ts"]:  # fmt: skip
        assert client.get(crafted).status_code == 404, crafted
    Segment.objects.filter(pk=scene["segments"][0].pk).update(file="")
    assert client.get(f"/cameras/{camera.pk}/segments/{scene['segments'][0].pk}.ts").status_code == 404


def test_the_recording_playlist_starts_at_the_moment_asked(client, make_user, scene):
    client.force_login(make_user("vera", "Viewers"))
    camera, segments = scene["camera"], scene["segments"]
    at = segments[1].started_at + timedelta(seconds=0.5)
    url = reverse("camera-recording-playlist", args=[camera.pk])
    text = client.get(url, {"at": at.isoformat()}).content.decode()
    assert playlist_segments(text) == [s.pk for s in segments[1:]]
    assert "#EXT-X-ENDLIST" in text and "#EXT-X-START:TIME-OFFSET=0.500," in text
    assert client.get(url, {"at": (timezone.now() + timedelta(hours=2)).isoformat()}).status_code == 404
    assert client.get(url, {"at": "yesterday"}).status_code == 400
    assert client.get(url).status_code == 400


def test_the_timeline_shows_the_recordings_as_spans_and_the_events(client, make_user, scene, settings):
    camera, segments, event = scene["camera"], scene["segments"], scene["event"]
    settings.RECORDING_SEGMENT_SECONDS = 4  # the fixture's ~2 s segments, back to back: one span
    client.force_login(make_user("vera", "Viewers"))
    day = timezone.localtime(segments[0].started_at).date()
    page = client.get(reverse("camera-timeline", args=[camera.pk]), {"day": day.isoformat()}).content.decode()
    assert page.count('class="timeline-span"') == 1
    assert page.count("timeline-event ") == 1 and f'data-at="{event.first_seen.isoformat()}"' in page
    other_day = client.get(reverse("camera-timeline", args=[camera.pk]), {"day": "2001-01-01"}).content.decode()
    assert 'class="timeline-span"' not in other_day and "timeline-event " not in other_day


@pytest.mark.parametrize(
    "query", [{"day": "2026-13-45"}, {"day": "0001-01-01"}, {"start": "25:99"}, {"minutes": "7"}, {"day": "\x00"}]
)
def test_a_timeline_asked_for_a_window_it_cannot_show_says_why(client, make_user, query):
    camera = CameraFactory(name="Gate")
    client.force_login(make_user("vera", "Viewers"))
    answer = client.get(reverse("camera-timeline", args=[camera.pk]), query)
    # Never another day shown instead, as if that were what was asked for.
    assert answer.status_code == 400
    assert next(iter(query)) in answer.content.decode()


def test_a_viewer_who_is_not_staff_can_log_out_from_the_video_pages(client, make_user):
    camera = CameraFactory(name="Gate")
    client.force_login(make_user("vera", "Viewers"))
    for name in ("camera-live", "camera-timeline"):
        page = client.get(reverse(name, args=[camera.pk])).content.decode()
        assert f'action="{reverse("logout")}"' in page
        # "Home" is the map for them: the admin's index would refuse them.
        assert f'<div class="breadcrumbs"><a href="{reverse("home")}">' in page


def test_a_recording_that_stopped_is_not_offered_as_live(client, make_user, scene, settings):
    client.force_login(make_user("vera", "Viewers"))
    camera, segments = scene["camera"], scene["segments"]
    url = reverse("camera-live-playlist", args=[camera.pk])
    assert playlist_segments(client.get(url).content.decode()) == [s.pk for s in segments]
    late = timedelta(seconds=3 * settings.RECORDING_SEGMENT_SECONDS + 11)
    Segment.objects.filter(camera=camera).update(started_at=F("started_at") - late, ended_at=F("ended_at") - late)
    assert client.get(url).status_code == 404  # the recorder stopped: old video is no live picture
    # ... and the timeline still plays it.
    at = (segments[0].started_at - late).isoformat()
    assert client.get(reverse("camera-recording-playlist", args=[camera.pk]), {"at": at}).status_code == 200
