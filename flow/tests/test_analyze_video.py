"""``analyze_video`` runs the whole pipeline over a recorded file."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from cameras.tests.factories import CameraFactory
from detection.models import CountSample
from events.models import Event, ThreatRule

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("analyze_video", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_counts_and_raises_events_for_a_recorded_file_once(offline_model, media_dir):
    camera = CameraFactory(name="Office")
    ThreatRule.objects.create(
        name="Intrusion",
        labels=["person"],
        min_confidence=0.3,
        zone=[[0.6, 0.45], [0.95, 0.45], [0.95, 0.75], [0.6, 0.75]],
    )
    args = (camera.slug, str(media_dir / "office.mp4"), "--every", "0.5", "--start", "2026-11-20T23:00:00")

    out, err = run(*args)

    frames = CountSample.objects.filter(camera=camera).count()
    assert frames == 13  # 182 frames at 29.5 fps, one every 15 frames
    assert f"{frames} frames analysed" in out and "person:" in out
    event = Event.objects.get(camera=camera)
    assert f"#{event.pk} Intrusion: Office" in out
    assert event.first_seen.isoformat().startswith("2026-11-20T23:00:0")  # timed from --start
    assert "13/13" in err  # the progress bar reached the end

    out, _ = run(*args)  # the same file again: nothing changes
    assert "13 already recorded before" in out
    assert CountSample.objects.filter(camera=camera).count() == 13
    assert Event.objects.get(camera=camera).hit_count == event.hit_count


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nope", "office.mp4"), "No camera 'nope'"),
        (("{camera}", "missing.mp4"), "cannot be opened as a video"),
        (("{camera}", "office.mp4", "--every", "0"), "more than 0"),
        (("{camera}", "office.mp4", "--start", "yesterday"), "not an ISO 8601"),
    ],
)
def test_bad_arguments_give_a_clear_error(media_dir, args, message):
    camera = CameraFactory()
    args = [a.format(camera=camera.slug) for a in args]
    args[1] = str(media_dir / args[1])
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_it_needs_no_redis_when_redis_is_down(offline_model, media_dir, redis_server):
    # A forensic run on a laptop, or during a Redis outage: the motion gate keeps its memory in the process.
    camera = CameraFactory(name="Office")
    redis_server.stop()
    out, _ = run(camera.slug, str(media_dir / "office.mp4"), "--every", "1", "--start", "2026-11-20T23:00:00")
    assert "7 frames analysed" in out
    assert CountSample.objects.filter(camera=camera).count() == 7


def test_the_motion_gate_still_skips_unchanged_frames_without_redis(offline_model, media_dir, redis_server):
    camera = CameraFactory(name="Office", motion_threshold=100.0)  # nothing ever changes enough
    redis_server.stop()
    out, _ = run(camera.slug, str(media_dir / "office.mp4"), "--every", "1", "--start", "2026-11-20T23:00:00")
    assert "7 frames analysed, 6 unchanged" in out  # the first frame is analysed, the others carry its counts


def test_a_camera_with_counting_lines_is_analysed_in_one_tracking_pass(offline_model, media_dir, redis_server,
                                                                      monkeypatch):  # fmt: skip
    from flow.management.commands import analyze_video
    from flow.models import CountingLine

    camera = CameraFactory(name="Office", track_region="picture")
    CountingLine.objects.create(camera=camera, name="Across", start=[0.0, 0.6], end=[1.0, 0.6])
    ThreatRule.objects.create(name="Anyone", labels=["person"], min_confidence=0.3)

    def second_pass(*args, **kwargs):
        raise AssertionError("the frames were detected again, outside the tracking pass")

    # Not a stand-in: everything still runs for real; this only proves the batched detection path, the
    # second pass over the file, is never taken.
    monkeypatch.setattr(analyze_video, "frames_analyse", second_pass)
    redis_server.stop()
    out, _ = run(camera.slug, str(media_dir / "office.mp4"), "--every", "1", "--start", "2026-11-20T23:00:00",
                 "--fps", "10")  # fmt: skip
    assert "7 frames analysed" in out and "frames tracked" in out
    assert CountSample.objects.filter(camera=camera).count() == 7
    assert Event.objects.filter(camera=camera, rule__name="Anyone").exists()
