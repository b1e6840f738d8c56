"""Clips and retention on real segments: ffmpeg cuts a clip of the concourse into segments exactly as a
recorder does (``-c copy``, the segment muxer), dated as if recorded just now (``recorded``)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from cameras.tests.factories import CameraFactory
from events.models import Event
from recordings import tasks
from recordings.models import Clip, Segment
from recordings.services import clips_due, media_free_bytes, recordings_prune
from recordings.tests.segments import detection_event, recorded
from recordings.tests.test_recorder import duration

pytestmark = pytest.mark.django_db


def test_an_events_clip_covers_its_pre_roll_to_its_post_roll(concourse_segments, settings):
    camera = CameraFactory(source_url="rtsp://127.0.0.1:8554/live", name="Concourse", recording="continuous")
    now = timezone.now()
    segments = recorded(camera, concourse_segments, ended_at=now - timedelta(seconds=1))
    start = segments[0].started_at
    # Seen from 4 s to 6 s into the recording: with 2 s before and after, the clip is 2 s to 8 s.
    event = detection_event(camera, first_seen=start + timedelta(seconds=4), last_seen=start + timedelta(seconds=6))
    settings.CLIP_POST_SECONDS = 30
    assert tasks.cut_clips() == 0  # its post-roll has not passed yet
    settings.CLIP_PRE_SECONDS = settings.CLIP_POST_SECONDS = 2

    assert tasks.cut_clips() == 1

    clip = Clip.objects.get(event=event)
    length = duration(Path(default_storage.path(clip.file.name)))
    longest = max(length for _, length in concourse_segments)
    assert 6.0 - 0.1 <= length <= 6.0 + 2 * longest  # 2 s to 8 s; the ends fall on the segments' keyframes
    assert clip.started_at <= start + timedelta(seconds=2) and clip.ended_at >= start + timedelta(seconds=8)
    assert abs((clip.ended_at - clip.started_at).total_seconds() - length) < 0.5
    assert tasks.cut_clips() == 0  # cut once; again only if the event is seen later
    Event.objects.filter(pk=event.pk).update(last_seen=start + timedelta(seconds=10))
    assert tasks.cut_clips() == 1
    clip.refresh_from_db()
    assert clip.ended_at >= start + timedelta(seconds=12)


def test_an_event_that_goes_on_gets_its_clip_so_far_every_minute(concourse_segments, settings):
    camera = CameraFactory(source_url="rtsp://127.0.0.1:8554/live", name="Always busy", recording="events")
    now = timezone.now()
    segments = recorded(camera, concourse_segments, ended_at=now)
    event = detection_event(camera, first_seen=segments[0].started_at, last_seen=now)  # seen this very second
    assert tasks.cut_clips() == 0  # not a minute old yet
    Event.objects.filter(pk=event.pk).update(first_seen=now - timedelta(minutes=2))

    assert tasks.cut_clips() == 1  # the clip so far, while the event goes on
    assert tasks.cut_clips() == 0  # not again within the minute
    Clip.objects.filter(event=event).update(created_at=now - timedelta(minutes=2))
    Event.objects.filter(pk=event.pk).update(last_seen=timezone.now())
    assert tasks.cut_clips() == 1


def test_an_event_without_recording_is_tried_once(settings):
    camera = CameraFactory(source_url="rtsp://127.0.0.1:8554/live", name="Not recorded then", recording="events")
    seen = timezone.now() - timedelta(minutes=1)
    event = detection_event(camera, first_seen=seen, last_seen=seen)

    assert tasks.cut_clips() == 0
    assert Clip.objects.get(event=event).file.name == ""  # nothing covered it: remembered, not looked for again
    assert list(clips_due()) == []


def test_retention_deletes_the_oldest_first_and_never_what_a_clip_waits_for(
    concourse_segments, settings, django_capture_on_commit_callbacks
):
    camera = CameraFactory(source_url="rtsp://127.0.0.1:8554/live", name="Concourse", recording="events")
    now = timezone.now()
    old = recorded(camera, concourse_segments[:2], ended_at=now - timedelta(minutes=20))
    waited_for = recorded(camera, concourse_segments[2:5], ended_at=now - timedelta(minutes=10))
    recent = recorded(camera, concourse_segments[5:], ended_at=now - timedelta(seconds=30))
    event = detection_event(camera, first_seen=waited_for[1].started_at, last_seen=waited_for[1].ended_at)
    settings.CLIP_PRE_SECONDS = settings.CLIP_POST_SECONDS = 1

    with django_capture_on_commit_callbacks(execute=True):
        assert recordings_prune(now=now) == len(old)  # around events only: older than two minutes, no event
    assert set(Segment.objects.values_list("pk", flat=True)) == {s.pk for s in waited_for + recent}
    assert not any(default_storage.exists(s.file.name) for s in old)

    # Once the clip is cut it is a file of its own: the segments may go, the clip stays.
    assert tasks.cut_clips() == 1
    with django_capture_on_commit_callbacks(execute=True):
        recordings_prune(now=now)
    assert set(Segment.objects.values_list("pk", flat=True)) == {s.pk for s in recent}
    assert default_storage.exists(Clip.objects.get(event=event).file.name)


def test_past_the_size_cap_the_oldest_segments_of_any_camera_go_first(concourse_segments, settings):
    one = CameraFactory(source_url="rtsp://127.0.0.1:8554/one", name="One", recording="continuous")
    two = CameraFactory(source_url="rtsp://127.0.0.1:8555/two", name="Two", recording="continuous")
    now = timezone.now()
    older = recorded(one, concourse_segments[:3], ended_at=now - timedelta(hours=2))
    newer = recorded(two, concourse_segments[3:6], ended_at=now - timedelta(hours=1))
    settings.RECORDING_MAX_GB = sum(s.size for s in newer + older[2:]) / 1024**3

    assert recordings_prune(now=now) == 2

    assert set(Segment.objects.values_list("pk", flat=True)) == {s.pk for s in older[2:] + newer}


def test_a_disk_short_of_free_space_loses_its_oldest_segments_but_never_what_a_clip_waits_for(
    concourse_segments, settings, caplog
):
    """The disk can fill before the store's cap (smaller than it, or shared): its free space is a floor too."""
    camera = CameraFactory(source_url="rtsp://127.0.0.1:8554/live", name="Concourse", recording="continuous")
    now = timezone.now()
    old = recorded(camera, concourse_segments[:3], ended_at=now - timedelta(hours=2))
    waited_for = recorded(camera, concourse_segments[3:5], ended_at=now - timedelta(minutes=1))
    detection_event(camera, first_seen=waited_for[0].started_at, last_seen=waited_for[-1].ended_at)
    settings.CLIP_PRE_SECONDS = settings.CLIP_POST_SECONDS = 0

    settings.RECORDING_MIN_FREE_GB = 0.0
    assert recordings_prune(now=now) == 0  # within its days, its cap and the disk's floor: all kept

    # Short of free space by more than the three old segments hold: they go first, oldest first, and
    # then the oldest a clip waits for (a clip missing its beginning beats a full disk where nothing records).
    short = sum(s.size for s in old) + waited_for[0].size // 2  # half a segment of slack: the disk is shared
    settings.RECORDING_MIN_FREE_GB = (media_free_bytes() + short) / 1024**3
    assert recordings_prune(now=now) >= len(old) + 1
    left = set(Segment.objects.values_list("pk", flat=True))
    assert not left & {s.pk for s in old} and waited_for[0].pk not in left
    assert "deleting what clips wait for, oldest first" in caplog.text

    # A floor this disk can never reach: everything goes, and it says so.
    settings.RECORDING_MIN_FREE_GB = (media_free_bytes() + 2**50) / 1024**3
    recordings_prune(now=now)
    assert not Segment.objects.exists()


def test_a_clip_the_disk_has_no_room_for_is_cut_once_there_is_room(concourse_segments, settings, caplog):
    camera = CameraFactory(source_url="rtsp://127.0.0.1:8554/live", name="Concourse", recording="continuous")
    segments = recorded(camera, concourse_segments[:3], ended_at=timezone.now() - timedelta(seconds=1))
    event = detection_event(camera, first_seen=segments[1].started_at, last_seen=segments[1].ended_at)
    settings.CLIP_PRE_SECONDS = settings.CLIP_POST_SECONDS = 0
    blocker = Path(settings.MEDIA_ROOT) / "clips"  # a real OS error where the clip goes, as a full disk gives
    blocker.write_bytes(b"not a folder")

    assert tasks.cut_clips() == 0
    assert f"the clip of event #{event.pk} could not be cut, tried again next time" in caplog.text
    assert not Clip.objects.filter(event=event).exists()  # not remembered as "nothing recorded"

    blocker.unlink()
    assert tasks.cut_clips() == 1 and Clip.objects.get(event=event).size > 0
