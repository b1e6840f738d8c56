"""Count samples are rolled up into per-minute buckets so the table stays bounded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cameras.tests.factories import make_camera
from detection.models import CountMinute, CountSample
from detection.services import counts_prune, counts_roll_up

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def sample(camera, seconds: float, **counts) -> CountSample:
    return CountSample.objects.create(
        camera=camera, captured_at=T0 + timedelta(seconds=seconds), counts=counts, total=sum(counts.values())
    )


def test_old_samples_become_minute_buckets_and_are_removed():
    a, b = make_camera("file:///a"), make_camera("file:///b")
    sample(a, 5, person=2)
    sample(a, 35, person=6, person_down=1)
    sample(a, 65, person=1)
    sample(b, 10, person=4)
    recent = sample(a, 3600, person=9)

    rolled = counts_roll_up(before=T0 + timedelta(minutes=30), chunk=2)  # small chunks: several passes

    assert rolled == 4
    assert list(CountSample.objects.all()) == [recent]
    first = CountMinute.objects.get(camera=a, minute=T0)
    assert (first.samples, first.sums, first.peaks) == (
        2,
        {"person": 8, "person_down": 1},
        {"person": 6, "person_down": 1},
    )
    assert first.means == {"person": 4.0, "person_down": 0.5}
    assert CountMinute.objects.get(camera=a, minute=T0 + timedelta(minutes=1)).sums == {"person": 1}
    assert CountMinute.objects.get(camera=b, minute=T0).peaks == {"person": 4}


def test_a_late_roll_up_merges_into_the_existing_bucket():
    camera = make_camera("file:///a")
    sample(camera, 1, person=3)
    counts_roll_up(before=T0 + timedelta(minutes=5))
    sample(camera, 50, person=7)  # arrived late, e.g. from analyze_video

    counts_roll_up(before=T0 + timedelta(minutes=5))

    bucket = CountMinute.objects.get(camera=camera)
    assert (bucket.samples, bucket.sums, bucket.peaks) == (2, {"person": 10}, {"person": 7})


def test_the_default_cut_off_keeps_recent_samples_and_prune_drops_old_buckets(settings):
    camera = make_camera("file:///a")
    settings.COUNT_RAW_RETENTION_HOURS = 24
    sample(camera, 0, person=1)  # T0 is long ago
    from django.utils import timezone

    fresh = CountSample.objects.create(camera=camera, captured_at=timezone.now(), counts={"person": 2}, total=2)

    assert counts_roll_up() == 1
    assert list(CountSample.objects.all()) == [fresh]
    settings.COUNT_MINUTE_RETENTION_DAYS = 1
    assert counts_prune() == 1 and not CountMinute.objects.exists()
