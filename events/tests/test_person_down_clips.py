"""The default "Person down" rule on real footage: no event on any shared clip, where the model's
``Fall`` class fires on walkers, prams and people cut by the frame edge, through every path a frame
takes (``analyze_video``, interval snapshots with their burst, stream analysis), while a photo of
people lying down (ultralytics' bus.jpg turned 90°) still opens one."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from cameras.tests.factories import CameraFactory
from detection.models import CountSample
from events.models import Event
from events.services import rule_demo_seed

CLIPS = ["concourse.mp4", "street.mp4", "office.mp4", "lobby.mp4"]


def analyse(camera, video: Path, start: str, every: float = 1) -> str:
    out = StringIO()
    call_command("analyze_video", camera.slug, str(video), "--every", str(every), "--start", start, stdout=out,
                 stderr=StringIO())  # fmt: skip
    return out.getvalue()


@pytest.mark.footage
@pytest.mark.django_db
def test_the_default_person_down_rule_opens_nothing_on_any_shared_clip_through_analyze_video(offline_model, media_dir):
    rule_demo_seed()
    seen_down, events = {}, {}
    for n, clip in enumerate(CLIPS):
        camera = CameraFactory(name=clip)
        # Two pictures a second: the old rule (0.5 confident on 2 frames in a row) raised a critical
        # event on the concourse, the street and the lobby at this rate.
        analyse(camera, media_dir / clip, f"2026-11-20T1{n}:00:00", every=0.5)
        seen_down[clip] = CountSample.objects.filter(camera=camera, counts__has_key="person_down").count()
        events[clip] = Event.objects.filter(camera=camera, rule__name="Person down").count()

    assert events == dict.fromkeys(CLIPS, 0)

    # Not a quiet model: it reported people down on the busy clips, and the rule did not believe it.
    assert seen_down["concourse.mp4"] and seen_down["street.mp4"] and seen_down["lobby.mp4"], seen_down


@pytest.mark.django_db
def test_a_recording_of_people_lying_down_opens_one_person_down_event_through_analyze_video(offline_model, lying_video):
    rule_demo_seed()
    camera = CameraFactory(name="Platform")

    out = analyse(camera, lying_video, "2026-11-20T09:00:00")

    [event] = Event.objects.filter(camera=camera, rule__name="Person down")
    assert f"#{event.pk} Person down: Platform [critical]" in out
    # Held for the rule's 3 s, seen on every sampled second (most of them unchanged pictures).
    assert event.first_seen.isoformat().startswith("2026-11-20T09:00:03")
    assert any(d["matched"] and d["label"] == "person_down" for d in event.detections)
