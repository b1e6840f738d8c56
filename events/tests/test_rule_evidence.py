"""Rules that need evidence: the same object for a while, box shape, size and place (synthetic detections)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest
from django.utils import timezone

from cameras.frames import Frame
from cameras.models import Camera
from cameras.tests.factories import CameraFactory
from core.vision import Detection
from events import rules
from events.models import Event, RuleStreak, ThreatRule
from events.rules import Sighting, sightings_confirmed, sightings_follow
from events.services import rules_apply
from events.tests.factories import ThreatRuleFactory

DOWN = (0.30, 0.60, 0.50, 0.70)  # 0.2 x 0.1 of a 16:9 picture: lying, 2 % of the picture, far from the edges
GAP = 2.5


def down(box=DOWN, confidence=0.8) -> Detection:
    return Detection("person_down", confidence, box)


def follow(frames: list[tuple[float, list[tuple[Detection, int | None]]]]) -> list[Sighting]:
    """Feed (time, detections with track ids) frames in order; returns the objects followed after the last."""
    followed: list[Sighting] = []
    for at, found in frames:
        followed = sightings_follow(followed, found, at=at, gap=GAP)
    return followed


def confirmed_after(frames, sustain: float = 3) -> list[Sighting]:
    return sightings_confirmed(follow(frames), at=frames[-1][0], sustain=sustain)


# --- the same object over time ------------------------------------------------------------------------


def test_one_frame_is_never_enough_for_a_rule_that_needs_time():
    assert confirmed_after([(0.0, [(down(), None)])], sustain=1) == []


def test_a_run_shorter_than_the_time_does_not_confirm_and_a_long_enough_one_does():
    frames = [(t, [(down(), None)]) for t in (0.0, 1.0, 2.0)]
    assert confirmed_after(frames) == []  # 2 s of 3

    [held] = confirmed_after([*frames, (3.0, [(down(), None)])])
    assert (held.since, held.seen, held.hits) == (0.0, 3.0, 4)


def test_two_pictures_far_apart_are_not_seen_for_that_long():
    # A snapshot camera every 5 s: two sightings span 5 s but are only two looks.
    frames = [(0.0, [(down(), None)]), (5.0, [(down(), None)])]
    followed = []
    for at, found in frames:
        followed = sightings_follow(followed, found, at=at, gap=7.5)
    assert sightings_confirmed(followed, at=5.0, sustain=3) == []


def test_an_object_that_moves_away_is_another_object():
    walking = [(t, [(down((0.1 + 0.15 * t, 0.6, 0.3 + 0.15 * t, 0.7)), None)]) for t in (0.0, 1.0, 2.0, 3.0, 4.0)]
    [latest] = [s for s in follow(walking) if s.seen == 4.0]
    assert latest.since == 4.0  # a new object: its clock started afresh
    assert confirmed_after(walking) == []


def test_an_object_creeping_away_step_by_step_is_another_object_once_it_left_its_place():
    # Each step overlaps the one before (IoU 0.43), but after 2 s it is off the place it was first seen.
    creeping = [(t, [(down((0.1 + 0.08 * t, 0.6, 0.3 + 0.08 * t, 0.7)), None)]) for t in (0.0, 1.0, 2.0, 3.0, 4.0)]
    assert confirmed_after(creeping) == []


def test_a_box_that_stays_in_place_with_some_jitter_is_the_same_object():
    jitter = [(t, [(down((0.30 + 0.01 * (t % 2), 0.60, 0.50, 0.71)), None)]) for t in (0.0, 1.0, 2.0, 3.0)]
    assert len(confirmed_after(jitter)) == 1


def test_two_tracks_in_the_same_place_are_two_objects():
    # Two people passing the same spot one after the other: the tracker knows they are different.
    frames = [(0.0, [(down(), 7)]), (1.0, [(down(), 7)]), (2.0, [(down(), 9)]), (3.0, [(down(), 9)])]
    assert confirmed_after(frames) == []
    assert len(confirmed_after([(t, [(down(), 7)]) for t in (0.0, 1.0, 2.0, 3.0)])) == 1


def test_a_short_gap_is_forgiven_and_a_long_one_starts_again():
    seen, missed = [(down(), None)], []
    short = [(0.0, seen), (1.0, seen), (2.0, missed), (3.0, seen), (4.0, seen)]
    assert len(confirmed_after(short)) == 1

    long = [(0.0, seen), (1.0, seen), (2.0, missed), (3.0, missed), (4.0, seen), (5.0, seen), (6.0, seen)]
    assert confirmed_after(long) == []  # the clock restarted at 4 s
    assert follow(long)[0].since == 4.0


def test_objects_are_followed_one_to_one():
    left, right = down((0.1, 0.6, 0.3, 0.7)), down((0.6, 0.6, 0.8, 0.7))
    frames = [(t, [(left, None), (right, None)]) for t in (0.0, 1.0, 2.0, 3.0)]
    assert len(confirmed_after(frames)) == 2


# --- box shape, size and place -------------------------------------------------------------------------


def rule(**fields) -> ThreatRule:
    """An unsaved rule for the matching functions: person_down at 0.5 unless ``fields`` say otherwise."""
    return ThreatRuleFactory.build(**{"labels": ["person_down"], "min_confidence": 0.5, **fields})


@pytest.mark.parametrize(
    ("box", "size", "lying"),
    [
        ((0.3, 0.6, 0.5, 0.7), (1920, 1080), True),  # 384 x 108 px
        ((0.4, 0.3, 0.5, 0.7), (1920, 1080), False),  # 192 x 432 px: standing
        # Wider than tall in picture fractions, but in a portrait picture it is a standing person.
        ((0.3, 0.4, 0.6, 0.6), (720, 1280), False),  # 216 x 256 px
    ],
)
def test_a_lying_box_is_wider_than_tall_in_pixels(box, size, lying):
    assert bool(rules.rule_matches(rule(box_shape="lying"), [down(box)], frame_size=size)) is lying
    assert bool(rules.rule_matches(rule(box_shape="standing"), [down(box)], frame_size=size)) is not lying
    assert rules.rule_matches(rule(), [down(box)], frame_size=size)  # any shape by default


@pytest.mark.parametrize(
    "box",
    # Cut by the frame: YOLO's boxes of people cut off end up to 2 % short of the border (lobby, street).
    [
        (0.0, 0.6, 0.2, 0.7),
        (0.3, 0.9, 0.5, 1.0),
        (0.8, 0.2, 0.995, 0.3),
        (0.3, 0.005, 0.5, 0.1),
        (0.2, 0.4, 0.7, 0.981),
    ],
)
def test_a_box_touching_the_picture_edge_does_not_count_when_the_rule_says_so(box):
    assert rules.rule_matches(rule(ignore_edge=False), [down(box)]) != []
    assert rules.rule_matches(rule(ignore_edge=True), [down(box)]) == []


def test_a_box_smaller_than_the_minimum_size_does_not_count():
    small, big = down((0.3, 0.6, 0.35, 0.62)), down(DOWN)  # 0.1 % and 2 % of the picture
    assert rules.rule_matches(rule(min_box_percent=0.5), [small, big]) == [big]


def test_the_confidence_still_filters_boxes_of_the_right_shape():
    assert rules.rule_matches(rule(box_shape="lying"), [down(confidence=0.49)], frame_size=(1920, 1080)) == []


# --- through the rules service, with the state in the database -------------------------------------------

BASE = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.get_fixed_timezone(0))
PICTURE = np.zeros((90, 160, 3), np.uint8)


def frame(seconds: float) -> Frame:
    return Frame(image=PICTURE, captured_at=BASE + timedelta(seconds=seconds))


def sustained_rule(**fields) -> ThreatRule:
    values = {"name": "Down", "labels": ["person_down"], "min_confidence": 0.5, "sustain_seconds": 3,
              "box_shape": "lying", "ignore_edge": True, "severity": "critical"} | fields  # fmt: skip
    return ThreatRuleFactory(**values)


def camera(**fields) -> Camera:
    return CameraFactory(**{"capture_mode": Camera.CaptureMode.STREAM, **fields})


@pytest.mark.django_db
def test_a_rule_with_time_opens_one_event_once_the_same_object_held_that_long():
    sustained_rule()
    cam = camera()
    for t in (0, 1, 2):
        assert rules_apply(camera=cam, frame=frame(t), detections=[down()]) == []
    [event] = rules_apply(camera=cam, frame=frame(3), detections=[down()])

    assert event.first_seen == BASE + timedelta(seconds=3) and event.severity == "critical"
    assert [d["matched"] for d in event.detections] == [True]
    assert rules_apply(camera=cam, frame=frame(4), detections=[down()])[0].pk == event.pk  # updated, not new


@pytest.mark.django_db
def test_a_rule_with_time_ignores_a_late_older_frame():
    sustained_rule()
    cam = camera()
    for t in (10, 11, 12):
        rules_apply(camera=cam, frame=frame(t), detections=[down()])
    state = RuleStreak.objects.get(camera=cam)

    # A frame from before (another worker's batch): it neither moves the history nor opens anything.
    assert rules_apply(camera=cam, frame=frame(5), detections=[down()]) == []
    assert RuleStreak.objects.get(camera=cam).sightings == state.sightings
    assert rules_apply(camera=cam, frame=frame(9), detections=[]) == []
    assert RuleStreak.objects.get(camera=cam).last_frame_at == BASE + timedelta(seconds=12)
    assert len(rules_apply(camera=cam, frame=frame(13), detections=[down()])) == 1


@pytest.mark.django_db
def test_a_rule_with_time_follows_tracks_on_a_stream():
    sustained_rule()
    cam = camera()
    # The same place, but the tracker says a different person every two frames.
    for t, track in ((0, 1), (1, 1), (2, 2), (3, 2), (4, 3)):
        assert rules_apply(camera=cam, frame=frame(t), detections=[down()], track_ids=[track]) == []
    for t in (5, 6, 7):
        rules_apply(camera=cam, frame=frame(t), detections=[down()], track_ids=[3])
    assert Event.objects.filter(camera=cam).count() == 1


@pytest.mark.django_db
def test_an_unchanged_picture_keeps_showing_what_was_seen_on_it():
    # The motion gate skips a still picture; someone lying still is exactly that.
    sustained_rule()
    cam = camera()
    rules_apply(camera=cam, frame=frame(0), detections=[down()])
    for t in (1, 2):
        assert rules_apply(camera=cam, frame=frame(t), detections=None) == []
    [event] = rules_apply(camera=cam, frame=frame(3), detections=None)
    assert event.peak_count == 1 and event.detections[0]["label"] == "person_down"


@pytest.mark.django_db
def test_an_unchanged_picture_does_not_run_rules_that_need_no_time():
    ThreatRule.objects.create(name="People", labels=["person"], min_confidence=0.3)
    cam = camera()
    assert rules_apply(camera=cam, frame=frame(0), detections=None) == []
    assert not RuleStreak.objects.exists()


@pytest.mark.django_db
def test_the_default_person_down_rule_ignores_what_the_model_gets_wrong_on_the_clips():
    from events.services import rule_demo_seed

    rule_demo_seed()
    cam = camera()
    at_the_edge = down((0.0, 0.5, 0.2, 0.7))
    standing = down((0.4, 0.3, 0.5, 0.7))
    tiny = down((0.3, 0.6, 0.33, 0.61))
    for t in range(10):
        rules_apply(camera=cam, frame=frame(t), detections=[at_the_edge, standing, tiny])
    walking = [down((0.05 + 0.08 * t, 0.6, 0.25 + 0.08 * t, 0.7)) for t in range(10)]
    for t, box in enumerate(walking, start=20):
        rules_apply(camera=cam, frame=frame(t), detections=[box])
    assert not Event.objects.filter(camera=cam).exists()

    for t in range(40, 46):
        rules_apply(camera=cam, frame=frame(t), detections=[down()])
    assert Event.objects.get(camera=cam).rule.name == "Person down"


@pytest.mark.django_db
def test_the_data_migration_gives_the_old_demo_rule_its_evidence_and_leaves_an_edited_one_alone():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("events.migrations.0010_person_down_needs_evidence")
    ThreatRule.objects.create(name="Person down", severity="critical", **migration.OLD)
    demo = ThreatRule.objects.get(name="Person down")
    edited = ThreatRule.objects.create(name="Person down (edited copy)", **migration.OLD)

    migration.forwards(apps, None)
    demo.refresh_from_db()
    assert (demo.sustain_seconds, demo.box_shape, demo.ignore_edge, demo.min_box_percent) == (3, "lying", True, 0.5)
    assert demo.severity == "critical"  # only the evidence changes

    # An operator who changed a value of the demo rule keeps their rule as it is.
    demo.min_confidence, demo.sustain_seconds = 0.8, 0
    demo.save()
    migration.forwards(apps, None)
    demo.refresh_from_db()
    assert (demo.min_confidence, demo.sustain_seconds) == (0.8, 0)
    edited.refresh_from_db()
    assert edited.sustain_seconds == 0  # another name: not the demo rule

    ThreatRule.objects.filter(pk=demo.pk).update(**migration.NEW)
    migration.backwards(apps, None)
    demo.refresh_from_db()
    assert (demo.sustain_seconds, demo.hold_frames, demo.box_shape) == (0, 2, "any")
