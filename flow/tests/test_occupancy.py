"""Occupancy: entries minus exits since the daily reset, never below zero, areas, zones, corrections."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cameras.tests.factories import CameraFactory
from core.vision import Detection
from flow import crossing
from flow.live import camera_counters
from flow.models import Area, CountingLine, CountingZone, Occupancy, OccupancyCorrection, OccupancyMinute
from flow.services import crossings_record, occupancy_correct, period_start, zones_count

pytestmark = pytest.mark.django_db


def _cross(line, track_id, direction, at):
    return (crossing.Crossing(line.pk, track_id, "person", direction, 0), at)


@pytest.fixture
def door():
    camera = CameraFactory(name="Hall")
    return CountingLine.objects.create(camera=camera, name="Door", start=[0.1, 0.5], end=[0.9, 0.5])


def test_occupancy_is_entries_minus_exits_and_never_below_zero(door):
    now = timezone.now()
    found = [
        _cross(door, 1, crossing.OUT, now - timedelta(seconds=50)),  # someone inside before counting began
        _cross(door, 2, crossing.IN, now - timedelta(seconds=40)),
        _cross(door, 3, crossing.IN, now - timedelta(seconds=30)),
        _cross(door, 2, crossing.OUT, now - timedelta(seconds=20)),
    ]
    crossings_record(lines={door.pk: door}, found=found)
    occupancy = Occupancy.objects.get(camera=door.camera, label="person")
    # 0 (not -1) after the first exit, then 1, 2, 1.
    assert (occupancy.current, occupancy.entries, occupancy.exits) == (1, 2, 2)
    assert camera_counters(door.camera)["person"] == {"current": 1, "entry": 2, "exit": 2}
    assert OccupancyMinute.objects.filter(occupancy=occupancy).order_by("-minute").first().value == 1


def test_a_new_day_starts_from_zero(door, settings):
    now = timezone.now()
    crossings_record(lines={door.pk: door}, found=[_cross(door, 1, crossing.IN, now)])
    occupancy = Occupancy.objects.get(camera=door.camera)
    # The row was written in an earlier period: read now, it counts as nothing since the reset.
    Occupancy.objects.filter(pk=occupancy.pk).update(period_start=period_start(now) - timedelta(days=1))
    assert camera_counters(door.camera)["person"] == {"current": 0, "entry": 0, "exit": 0}
    crossings_record(lines={door.pk: door}, found=[_cross(door, 2, crossing.IN, now + timedelta(seconds=1))])
    occupancy.refresh_from_db()
    assert (occupancy.current, occupancy.entries, occupancy.period_start) == (1, 1, period_start(now))


def test_the_reset_time_is_local_and_configurable(settings):
    settings.FLOW_RESET_TIME = (4, 0)
    zone = timezone.get_current_timezone()
    early = timezone.make_aware(timezone.datetime(2026, 11, 22, 3, 59), zone)
    late = timezone.make_aware(timezone.datetime(2026, 11, 22, 4, 1), zone)
    assert period_start(early) == timezone.make_aware(timezone.datetime(2026, 11, 21, 4, 0), zone)
    assert period_start(late) == timezone.make_aware(timezone.datetime(2026, 11, 22, 4, 0), zone)


def test_crossings_of_an_old_recording_leave_todays_occupancy_alone(door):
    yesterday = period_start(timezone.now()) - timedelta(hours=3)
    assert crossings_record(lines={door.pk: door}, found=[_cross(door, 1, crossing.IN, yesterday)]) == 1
    assert not Occupancy.objects.exists()


def test_an_area_adds_up_the_doors_of_several_cameras(door):
    other_camera = CameraFactory(name="Side")
    side = CountingLine.objects.create(camera=other_camera, name="Side door", start=[0.5, 0.1], end=[0.5, 0.9])
    hall = Area.objects.create(name="Hall", capacity=100)
    hall.lines.set([door, side])
    now = timezone.now()
    crossings_record(
        lines={door.pk: door}, found=[_cross(door, 1, crossing.IN, now), _cross(door, 2, crossing.IN, now)]
    )
    crossings_record(lines={side.pk: side}, found=[_cross(side, 1, crossing.OUT, now + timedelta(seconds=1))])
    assert Occupancy.objects.get(area=hall).current == 1
    assert Occupancy.objects.get(camera=door.camera).current == 2
    [area] = camera_counters(other_camera)["areas"]
    assert area["name"] == "Hall" and area["capacity"] == 100 and area["person"]["current"] == 1


def test_an_operator_corrects_the_occupancy_and_counting_goes_on(door, django_user_model):
    operator = django_user_model.objects.create_user("op")
    now = timezone.now()
    crossings_record(lines={door.pk: door}, found=[_cross(door, 1, crossing.IN, now)])
    occupancy = Occupancy.objects.get(camera=door.camera)
    correction = occupancy_correct(occupancy=occupancy, value=12, user=operator, note="counted by hand")
    assert (correction.previous, correction.value, correction.user) == (1, 12, operator)
    crossings_record(lines={door.pk: door}, found=[_cross(door, 2, crossing.OUT, timezone.now())])
    occupancy.refresh_from_db()
    assert occupancy.current == 11
    with pytest.raises(ValueError, match="below zero"):
        occupancy_correct(occupancy=occupancy, value=-1, user=operator)
    assert OccupancyCorrection.objects.count() == 1


def test_zone_occupancy_is_who_stands_inside_now():
    camera = CameraFactory(name="Platform cam")
    platform = CountingZone.objects.create(camera=camera, name="Platform",
                                           polygon=[[0, 0.5], [1, 0.5], [1, 1], [0, 1]])  # fmt: skip
    inside = Detection("person", 0.9, (0.1, 0.6, 0.2, 0.9))  # feet at y 0.9
    outside = Detection("person", 0.9, (0.1, 0.1, 0.2, 0.4))
    now = timezone.now()
    assert zones_count(camera_id=camera.pk, detections=[inside, inside, outside], at=now) is True
    assert camera_counters(camera)["zones"] == {"Platform": {"person": 2}}
    assert zones_count(camera_id=camera.pk, detections=[inside, inside], at=now) is False  # no change
    zones_count(camera_id=camera.pk, detections=[outside], at=now + timedelta(seconds=1))
    assert camera_counters(camera)["zones"] == {"Platform": {"person": 0}}
    assert OccupancyMinute.objects.filter(occupancy__zone=platform).order_by("minute").last().peak == 2
