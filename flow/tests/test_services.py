"""Recording crossings: rows, minute buckets, and the same crossing twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from cameras.tests.factories import CameraFactory
from flow import crossing
from flow.models import CountingLine, Crossing, CrossingMinute
from flow.services import crossings_record

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 22, 8, 0, 30, tzinfo=UTC)


def test_crossings_are_stored_and_added_to_their_minute_once():
    camera = CameraFactory()
    line = CountingLine.objects.create(camera=camera, name="Door", start=[0.1, 0.5], end=[0.9, 0.5])
    found = [
        (crossing.Crossing(line.pk, 1, "person", crossing.IN, 10), T0),
        (crossing.Crossing(line.pk, 2, "person", crossing.IN, 20), T0 + timedelta(seconds=10)),
        (crossing.Crossing(line.pk, 1, "person", crossing.OUT, 40), T0 + timedelta(seconds=40)),  # next minute
    ]
    assert crossings_record(lines={line.pk: line}, found=found) == 3
    assert crossings_record(lines={line.pk: line}, found=found) == 0  # the same recording again

    assert Crossing.objects.filter(camera=camera).count() == 3
    buckets = {(m.minute.minute, m.entries, m.exits) for m in CrossingMinute.objects.filter(line=line)}
    assert buckets == {(0, 2, 0), (1, 0, 1)}


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ([0.1, 1.5], [0.9, 0.5], "between 0 and 1"),
        ([0.1], [0.9, 0.5], "is not an [x, y] point"),
        ("middle", [0.9, 0.5], "is not an [x, y] point"),
        ([True, 0.5], [0.9, 0.5], "is not an [x, y] point"),
        ([0.5, 0.5], [0.5, 0.5], "must differ"),
    ],
)
def test_a_bad_line_is_refused_with_the_reason(start, end, message):
    line = CountingLine(camera=CameraFactory(), name="Bad", start=start, end=end)
    with pytest.raises(ValidationError, match=message.replace("[", r"\[").replace("]", r"\]")):
        line.full_clean()
