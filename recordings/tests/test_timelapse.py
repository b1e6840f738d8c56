"""Snapshot cameras' recordings: the frames they keep (stills) pruned like segments, and each event's clip a real
H.264 timelapse of them, served, exported and shown exactly like a video camera's clip."""

from __future__ import annotations

import io
import json
import subprocess
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.services import api_token_issue
from cameras.models import Still
from cameras.tests.factories import CameraFactory
from cameras.tests.servers import clip_jpegs
from events.models import Event
from recordings import tasks
from recordings.evidence import event_evidence_export
from recordings.models import Clip, Segment
from recordings.services import (
    STILL_SHOWN_MAX_SECONDS,
    clip_window,
    clips_due,
    event_clip_cut,
    recordings_prune,
)
from recordings.tests.segments import detection_event, kept, recorded
from recordings.tests.test_recorder import probe

pytestmark = pytest.mark.django_db

EVERY = 2.0  # seconds between the snapshot camera's frames


def snapshot_camera(**fields):
    return CameraFactory(source_url="http://192.0.2.10/snapshot.jpg", capture_interval=int(EVERY), **fields)


def video(clip: Clip) -> dict:
    info = probe(Path(default_storage.path(clip.file.name)))
    return {"codecs": [s["codec_name"] for s in info["streams"]], "duration": float(info["format"]["duration"])}


def stream_shape(clip: Clip) -> tuple[int, int, str]:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height,pix_fmt",
         "-of", "json", default_storage.path(clip.file.name)],
        capture_output=True, text=True, check=True, timeout=30,
    )  # fmt: skip
    stream = json.loads(done.stdout)["streams"][0]
    return stream["width"], stream["height"], stream["pix_fmt"]


@pytest.fixture
def timelapse(street_jpegs, settings):
    """A snapshot camera recording around events, a frame every 2 s for 38 s ending three minutes ago (past the
    two minutes kept), and an event seen from its 10th to its 14th second, with 4 s before and after: its clip
    is due."""
    camera = snapshot_camera(name="Street", recording="events")
    stills = kept(camera, street_jpegs, every=EVERY, ended_at=timezone.now() - timedelta(minutes=3))
    event = detection_event(camera, first_seen=stills[5].captured_at, last_seen=stills[7].captured_at)
    settings.CLIP_PRE_SECONDS = settings.CLIP_POST_SECONDS = 4
    return {"camera": camera, "stills": stills, "event": event}


def test_a_snapshot_cameras_event_gets_an_h264_timelapse_of_its_window(timelapse):
    event, stills = timelapse["event"], timelapse["stills"]
    start, end = clip_window(event)

    assert tasks.cut_clips() == 1

    clip = Clip.objects.get(event=event)
    shown = video(clip)
    assert shown["codecs"] == ["h264"]
    assert stream_shape(clip) == (640, 360, "yuv420p")  # what every browser plays
    window = (end - start).total_seconds()  # 4 + 4 + 4 s
    assert window - EVERY <= shown["duration"] <= window + EVERY  # real time: one capture interval at most off
    assert clip.started_at == stills[3].captured_at  # the first frame of the pre-roll
    assert abs((clip.ended_at - clip.started_at).total_seconds() - shown["duration"]) < 0.5
    data = clip.file.open("rb").read()
    assert data.index(b"moov") < data.index(b"mdat")  # +faststart: it plays before it has all loaded
    assert tasks.cut_clips() == 0  # cut once


def test_the_clip_outlives_the_pruning_of_its_stills(timelapse, django_capture_on_commit_callbacks):
    event, stills = timelapse["event"], timelapse["stills"]
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        recordings_prune(now=now)
    # Around events only: older than two minutes goes, but not what the uncut clip waits for.
    start, end = clip_window(event)
    waited = {s.pk for s in stills if start <= s.captured_at <= end}
    assert set(Still.objects.values_list("pk", flat=True)) == waited

    assert tasks.cut_clips() == 1
    with django_capture_on_commit_callbacks(execute=True):
        gone = recordings_prune(now=now + timedelta(minutes=5))
    assert gone == len(waited) and not Still.objects.exists()
    assert not any(default_storage.exists(s.file.name) for s in stills)
    clip = Clip.objects.get(event=event)
    assert default_storage.exists(clip.file.name) and video(clip)["codecs"] == ["h264"]


def test_frames_of_two_sizes_make_one_clip_of_the_first_ones_size(media_dir, settings):
    camera = snapshot_camera(name="Resized", recording="continuous")
    small = clip_jpegs(media_dir / "street.mp4", count=3, width=640)
    large = clip_jpegs(media_dir / "street.mp4", count=3, width=801)  # odd: 801 x 450
    stills = kept(camera, small + large, every=EVERY, ended_at=timezone.now() - timedelta(minutes=1))
    event = detection_event(camera, first_seen=stills[1].captured_at, last_seen=stills[4].captured_at)
    settings.CLIP_PRE_SECONDS = settings.CLIP_POST_SECONDS = 2

    clip = event_clip_cut(event=event)

    assert clip is not None and video(clip)["codecs"] == ["h264"]
    assert stream_shape(clip)[:2] == (640, 360)
    assert 6 * EVERY - EVERY <= video(clip)["duration"] <= 6 * EVERY + EVERY


def test_one_still_is_a_short_valid_clip_and_a_long_gap_is_shown_at_most_the_cap(street_jpegs, settings):
    camera = snapshot_camera(name="Slow", recording="continuous")
    ago = timezone.now() - timedelta(minutes=10)
    [alone] = kept(camera, street_jpegs[:1], every=EVERY, ended_at=ago)
    event = detection_event(camera, first_seen=alone.captured_at, last_seen=alone.captured_at)
    settings.CLIP_PRE_SECONDS, settings.CLIP_POST_SECONDS = 0, 3

    clip = event_clip_cut(event=event)

    assert video(clip)["codecs"] == ["h264"] and 2.5 <= video(clip)["duration"] <= 3.5  # shown to the window's end
    # Two frames a minute apart (the camera dropped): the first shows for the cap, not a frozen minute.
    later = kept(camera, street_jpegs[1:2], every=EVERY, ended_at=alone.captured_at + timedelta(minutes=1))
    Event.objects.filter(pk=event.pk).update(last_seen=later[0].captured_at)
    event.refresh_from_db()
    settings.CLIP_POST_SECONDS = 1
    clip = event_clip_cut(event=event)
    assert STILL_SHOWN_MAX_SECONDS + 1 - 0.5 <= video(clip)["duration"] <= STILL_SHOWN_MAX_SECONDS + 1 + 0.5


def test_a_frame_whose_file_is_gone_is_left_out_and_a_cut_clip_outlives_all_its_frames(timelapse):
    event, stills = timelapse["event"], timelapse["stills"]
    default_storage.delete(stills[3].file.name)  # the window's first frame, deleted by hand

    clip = event_clip_cut(event=event)

    assert clip.started_at == stills[4].captured_at and video(clip)["codecs"] == ["h264"]
    for still in stills:
        default_storage.delete(still.file.name)
    Event.objects.filter(pk=event.pk).update(last_seen=stills[8].captured_at)  # seen again, its frames gone
    event.refresh_from_db()
    assert list(clips_due()) == [event]
    assert event_clip_cut(event=event) is None  # nothing new to cut from ...
    kept_clip = Clip.objects.get(event=event)
    assert kept_clip.file.name == clip.file.name and default_storage.exists(clip.file.name)  # ... the clip stays
    assert list(clips_due()) == []  # and is not tried again


def test_stills_are_kept_for_their_days_on_continuous_cameras(street_jpegs, django_capture_on_commit_callbacks):
    camera = snapshot_camera(name="Kept a day", recording="continuous", recording_retention_days=1)
    now = timezone.now()
    old = kept(camera, street_jpegs[:3], every=EVERY, ended_at=now - timedelta(days=1, minutes=5))
    young = kept(camera, street_jpegs[3:6], every=EVERY, ended_at=now - timedelta(hours=23))
    with django_capture_on_commit_callbacks(execute=True):
        assert recordings_prune(now=now) == len(old)
    assert set(Still.objects.values_list("pk", flat=True)) == {s.pk for s in young}
    assert not any(default_storage.exists(s.file.name) for s in old)
    assert all(default_storage.exists(s.file.name) for s in young)


def test_past_the_size_cap_stills_and_segments_go_together_oldest_first_never_a_waited_one(
    street_jpegs, concourse_segments, settings, django_capture_on_commit_callbacks
):
    stills_camera = snapshot_camera(name="Snapshots", recording="continuous")
    video_camera = CameraFactory(source_url="rtsp://127.0.0.1:8554/live", name="Video", recording="continuous")
    now = timezone.now()
    oldest_segments = recorded(video_camera, concourse_segments[:2], ended_at=now - timedelta(hours=3))
    stills = kept(stills_camera, street_jpegs[:6], every=EVERY, ended_at=now - timedelta(hours=2))
    newest_segments = recorded(video_camera, concourse_segments[2:4], ended_at=now - timedelta(hours=1))
    # An event whose clip is not cut yet waits for the first two stills: the cap passes over them.
    detection_event(stills_camera, first_seen=stills[0].captured_at, last_seen=stills[1].captured_at)
    settings.CLIP_PRE_SECONDS, settings.CLIP_POST_SECONDS = 0, 0
    everything = sum(s.size for s in oldest_segments + stills + newest_segments)
    # Room for all but the oldest segments and the two oldest stills that no clip needs.
    doomed = oldest_segments + stills[2:4]
    settings.RECORDING_MAX_GB = (everything - sum(s.size for s in doomed)) / 1024**3

    with django_capture_on_commit_callbacks(execute=True):
        assert recordings_prune(now=now) == len(doomed)

    assert set(Segment.objects.values_list("pk", flat=True)) == {s.pk for s in newest_segments}
    assert set(Still.objects.values_list("pk", flat=True)) == {s.pk for s in stills[:2] + stills[4:]}
    assert not any(default_storage.exists(s.file.name) for s in doomed)


def _token_client(make_user, name: str, group: str | None) -> Client:
    _, key = api_token_issue(user=make_user(name, group))
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


def test_the_timelapse_is_served_to_who_may_view_cameras_and_403_to_who_may_not(timelapse, make_user, settings):
    settings.API_THROTTLE_RATE = "100000/min"
    event = timelapse["event"]
    clip = event_clip_cut(event=event)
    # A custom role that views events but not cameras: the clip is the camera's video, so not for it.
    watchers = Group.objects.create(name="Event watchers")
    watchers.permissions.set(Permission.objects.filter(codename="view_event"))
    page, api = reverse("event-clip", args=[event.pk]), f"/api/events/{event.pk}/clip/"

    viewer = Client()
    viewer.force_login(make_user("vera", "Viewers"))
    response = viewer.get(page)
    assert response.status_code == 200 and response["Content-Type"] == "video/mp4"
    assert b"".join(response.streaming_content) == clip.file.open("rb").read()
    ranged = _token_client(make_user, "tom", "Viewers").get(api, headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206 and ranged.content[4:8] == b"ftyp"
    watcher = Client()
    watcher.force_login(make_user("wes", "Event watchers"))
    assert watcher.get(page).status_code == 403
    assert _token_client(make_user, "will", "Event watchers").get(api).status_code == 403


def test_the_event_page_and_the_evidence_export_carry_the_timelapse(timelapse, make_user):
    event = timelapse["event"]
    clip = event_clip_cut(event=event)
    operator = make_user("olga", "Operators", staff=True)
    client = Client()
    client.force_login(operator)
    page = client.get(reverse("admin:events_event_change", args=[event.pk])).content.decode()
    assert f'<video class="event-clip" controls muted preload="metadata" src="/events/{event.pk}/clip.mp4">' in page

    export = event_evidence_export(event=event, user=operator)
    with zipfile.ZipFile(io.BytesIO(export.file.read())) as archive:
        assert archive.read("clip.mp4") == clip.file.open("rb").read()
        assert "clip.mp4" in {entry["name"] for entry in json.loads(archive.read("manifest.json"))["files"]}


def test_the_timeline_draws_the_kept_frames_and_plays_the_events_timelapse(timelapse, make_user):
    camera, stills, event = timelapse["camera"], timelapse["stills"], timelapse["event"]
    client = Client()
    client.force_login(make_user("vera", "Viewers"))
    day = timezone.localtime(stills[0].captured_at).date()
    url = reverse("camera-timeline", args=[camera.pk])

    before = client.get(url, {"day": day.isoformat()}).content.decode()
    assert before.count('class="timeline-span timeline-stills"') == 1  # 2 s apart: one span
    assert f"{len(stills)} frames kept" in before and "Nothing was recorded then.</p>" not in before
    assert "data-clip=" not in before  # not cut yet
    event_clip_cut(event=event)
    after = client.get(url, {"day": day.isoformat()}).content.decode()
    assert f'data-clip="/events/{event.pk}/clip.mp4"' in after
    assert "timeline-stills-note" in after
    other_day = client.get(url, {"day": "2001-01-01"}).content.decode()
    assert 'timeline-stills"' not in other_day and "Nothing was recorded then.</p>" in other_day


def test_the_api_lists_the_kept_frames_of_a_window_paged(timelapse, make_user):
    camera, stills = timelapse["camera"], timelapse["stills"]
    client = _token_client(make_user, "tom", "Viewers")
    url = f"/api/cameras/{camera.pk}/stills/"
    rows = client.get(url).json()["results"]  # the last hour
    assert [row["id"] for row in rows] == [s.pk for s in stills]
    assert rows[0]["size"] == stills[0].size and rows[0]["captured_at"]
    since, until = stills[2].captured_at, stills[5].captured_at
    window = client.get(url, {"since": since.isoformat(), "until": until.isoformat()}).json()["results"]
    assert [row["id"] for row in window] == [s.pk for s in stills[2:5]]
    page, seen = client.get(url, {"page_size": 7}).json(), []
    while True:
        seen += [row["id"] for row in page["results"]]
        if not page["next"]:
            break
        page = client.get(page["next"]).json()
    assert seen == [s.pk for s in stills]
    assert Client().get(url).status_code == 401
    assert _token_client(make_user, "nobody", None).get(url).status_code == 403


def test_the_live_page_of_a_snapshot_camera_says_it_has_no_video_instead_of_waiting(timelapse, make_user):
    client = Client()
    client.force_login(make_user("vera", "Viewers"))
    page = client.get(reverse("camera-live", args=[timelapse["camera"].pk])).content.decode()
    assert "This camera sends pictures, not video" in page
    assert "live-video" not in page and "hls.min.js" not in page  # no player waiting for segments that never come
