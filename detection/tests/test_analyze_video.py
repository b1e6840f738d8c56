"""``analyze_video`` runs the whole pipeline over a recorded file."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from cameras.tests.factories import make_camera
from detection.models import CountSample
from events.models import Event, ThreatRule

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("analyze_video", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_counts_and_raises_events_for_a_recorded_file_once(offline_model, media_dir):
    camera = make_camera("file:///dev/null", name="Office")
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
    camera = make_camera("file:///dev/null")
    args = [a.format(camera=camera.slug) for a in args]
    args[1] = str(media_dir / args[1])
    with pytest.raises(CommandError, match=message):
        run(*args)
