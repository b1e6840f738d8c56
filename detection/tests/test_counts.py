"""Each recorded frame adds to its minute bucket at once; raw samples and old buckets expire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from cameras.tests.factories import CameraFactory
from detection.models import CountMinute, CountSample
from detection.services import count_sample_record, counts_prune, counts_raw_prune

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def record(camera, seconds: float, **counts) -> CountSample | None:
    return count_sample_record(camera=camera, captured_at=T0 + timedelta(seconds=seconds), counts=counts)


def test_each_frame_is_added_to_its_minute_as_it_is_recorded():
    a, b = CameraFactory(source_url="file:///a"), CameraFactory(source_url="file:///b")
    record(a, 5, person=2)
    record(a, 35, person=6, person_down=1)
    record(a, 65, person=1)
    record(b, 10, person=4)

    first = CountMinute.objects.get(camera=a, minute=T0)
    assert (first.samples, first.sums, first.peaks) == (
        2,
        {"person": 8, "person_down": 1},
        {"person": 6, "person_down": 1},
    )
    assert first.means == {"person": 4.0, "person_down": 0.5}
    assert CountMinute.objects.get(camera=a, minute=T0 + timedelta(minutes=1)).sums == {"person": 1}
    assert CountMinute.objects.get(camera=b, minute=T0).peaks == {"person": 4}


def test_a_frame_recorded_twice_counts_once():
    camera = CameraFactory(source_url="file:///a")
    assert record(camera, 1, person=3) is not None

    assert record(camera, 1, person=3) is None  # a redelivered task

    bucket = CountMinute.objects.get(camera=camera)
    assert (bucket.samples, bucket.sums) == (1, {"person": 3})


def test_raw_samples_expire_and_their_minutes_stay(settings):
    camera = CameraFactory(source_url="file:///a")
    settings.COUNT_RAW_RETENTION_HOURS = 24
    record(camera, 0, person=1)  # T0 is long ago
    fresh = count_sample_record(camera=camera, captured_at=timezone.now(), counts={"person": 2})

    assert counts_raw_prune(chunk=1) == 1
    assert list(CountSample.objects.all()) == [fresh]
    assert CountMinute.objects.filter(camera=camera).count() == 2
    settings.COUNT_MINUTE_RETENTION_DAYS = 1
    assert counts_prune() == 1 and CountMinute.objects.count() == 1


def test_the_upgrade_folds_samples_stored_before_into_their_minutes():
    from importlib import import_module

    from django.apps import apps

    upgrade = import_module("detection.migrations.0003_minutes_hold_every_sample")
    camera = CameraFactory(source_url="file:///a")
    for seconds, n in [(5, 2), (35, 6), (65, 1)]:  # as the old recording left them: raw rows only
        CountSample.objects.create(camera=camera, captured_at=T0 + timedelta(seconds=seconds), counts={"person": n})

    upgrade.fold_raw_samples_into_minutes(apps, None)

    buckets = CountMinute.objects.filter(camera=camera).order_by("minute")
    assert [(b.samples, b.sums, b.peaks) for b in buckets] == [
        (2, {"person": 8}, {"person": 6}),
        (1, {"person": 1}, {"person": 1}),
    ]
