"""Rule matching as plain functions: labels, confidence, zones by the feet, hours, scope."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from cameras.tests.factories import CameraFactory
from core.vision import Detection
from events import rules
from events.models import ThreatRule

ZONE = [[0.5, 0.5], [1.0, 0.5], [1.0, 1.0], [0.5, 1.0]]  # bottom-right quarter


def person(box, confidence=0.9, label="person") -> Detection:
    return Detection(label, confidence, box)


def test_a_detection_is_in_the_zone_by_its_feet_not_its_box():
    rule = ThreatRule(labels=["person"], min_confidence=0.5, zone=ZONE)
    head_inside_feet_outside = person((0.6, 0.1, 0.7, 0.45))
    feet_inside_head_outside = person((0.6, 0.2, 0.7, 0.8))

    assert rules.rule_matches(rule, [head_inside_feet_outside, feet_inside_head_outside]) == [feet_inside_head_outside]


def test_labels_and_confidence_filter_detections():
    rule = ThreatRule(labels=["person_down"], min_confidence=0.5)
    down, weak, upright = (
        person((0, 0, 1, 1), 0.8, "person_down"),
        person((0, 0, 1, 1), 0.4, "person_down"),
        person((0, 0, 1, 1)),
    )

    assert rules.rule_matches(rule, [down, weak, upright]) == [down]


def test_min_count_makes_a_crowd_rule():
    rule = ThreatRule(labels=["person"], min_count=3)
    assert not rules.rule_fires(rule, [person((0, 0, 1, 1))] * 2)
    assert rules.rule_fires(rule, [person((0, 0, 1, 1))] * 3)


@pytest.mark.parametrize(
    ("start", "end", "at", "active"),
    [
        (None, None, time(3, 0), True),
        (time(8, 0), time(18, 0), time(8, 0), True),
        (time(8, 0), time(18, 0), time(18, 0), False),
        (time(22, 0), time(6, 0), time(23, 0), True),
        (time(22, 0), time(6, 0), time(2, 0), True),
        (time(22, 0), time(6, 0), time(12, 0), False),
    ],
)
def test_active_hours(settings, start, end, at, active):
    settings.TIME_ZONE = "Europe/Amsterdam"
    rule = ThreatRule(active_from=start, active_until=end)
    moment = datetime(2026, 1, 15, at.hour, at.minute, tzinfo=ZoneInfo("Europe/Amsterdam"))
    assert rules.rule_active_at(rule, moment) is active


@pytest.mark.django_db
def test_scope_all_chosen_and_district():
    harbour, centre = (
        CameraFactory(source_url="file:///a", district="Harbour"),
        CameraFactory(source_url="file:///b", district="Centre"),
    )
    chosen = ThreatRule.objects.create(name="chosen", labels=["person"], scope="cameras")
    chosen.cameras.set([centre])
    ThreatRule.objects.create(name="district", labels=["person"], scope="district", district="HARBOUR")
    everywhere = ThreatRule.objects.create(name="all", labels=["person"])
    ThreatRule.objects.create(name="off", labels=["person"], enabled=False)

    assert {r.name for r in rules.rules_for_camera(harbour)} == {"district", "all"}
    assert {r.name for r in rules.rules_for_camera(centre)} == {"chosen", "all"}
    assert everywhere in rules.rules_for_camera(centre)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"zone": [[0, 0], [1, 1]]}, "at least three"),
        ({"zone": [[0, 0], [1.5, 0], [1, 1]]}, "between 0 and 1"),
        ({"labels": "person"}, "list of labels"),
        ({"scope": "district"}, "Name the district"),
        ({"active_from": time(22, 0)}, "both ends"),
        ({"min_confidence": 1.5}, "less than or equal to 1"),
    ],
)
@pytest.mark.django_db
def test_bad_rules_are_refused_with_a_clear_message(fields, message):
    rule = ThreatRule(name="bad", **{"labels": ["person"], **fields})
    with pytest.raises(ValidationError, match=message):
        rule.full_clean()


@pytest.mark.django_db
def test_the_detect_paths_rule_cache_follows_every_change(django_assert_num_queries, make_user):
    """A worker keeps each camera's rules between frames (no query a frame) until something changes them:
    a rule saved, its cameras, a snooze made or ended, a district, or another process saying so."""
    from django.utils import timezone

    from core.redis import redis_client
    from events.models import Event, RuleSnooze
    from events.workflow import rule_snooze_end

    now = timezone.now()
    camera, other = CameraFactory(source_url="file:///a", district="Harbour"), CameraFactory(source_url="file:///b")
    rule = ThreatRule.objects.create(name="all", labels=["person"])
    names = lambda cam=camera: {r.name for r in rules.rules_for_camera(cam, at=timezone.now())}  # noqa: E731
    assert names() == {"all"}
    with django_assert_num_queries(0):
        assert names() == {"all"}

    rule.enabled = False
    rule.save()
    assert names() == set()
    chosen = ThreatRule.objects.create(name="chosen", labels=["person"], scope="cameras")
    assert names() == set()
    chosen.cameras.add(camera)
    assert names() == {"chosen"} and names(other) == set()

    event = Event.objects.create(camera=camera, rule=chosen, title="t", latitude=0, longitude=0, first_seen=now,
                                 last_seen=now)  # fmt: skip
    snooze = RuleSnooze.objects.create(rule=chosen, camera=camera, until=now + timedelta(minutes=5), event=event)
    assert names() == set()
    assert {r.name for r in rules.rules_for_camera(camera, at=now + timedelta(minutes=6))} == {"chosen"}  # expired
    assert rule_snooze_end(snooze=snooze, user=make_user("otto", "Operators"))
    assert names() == {"chosen"}

    ThreatRule.objects.create(name="harbour", labels=["person"], scope="district", district="harbour")
    camera.district = "Centre"  # the camera row is read fresh each batch: its district is part of the key
    assert names() == {"chosen"}

    # Another process's change: rows written without this process' signals, the version moved in Redis.
    ThreatRule.objects.filter(name="chosen").update(enabled=False)
    assert names() == {"chosen"}  # cached: proof the query is not made each frame
    redis_client().set(rules.RULES_VERSION_KEY, "moved elsewhere")
    assert names() == set()
