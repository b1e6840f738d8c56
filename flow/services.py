"""Writes of the people-flow stage: crossings and their minute buckets."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F

from flow import crossing
from flow.models import CountingLine, Crossing, CrossingMinute


@transaction.atomic
def crossings_record(*, lines: dict[int, CountingLine], found: list[tuple[crossing.Crossing, datetime]]) -> int:
    """Store crossings (each with when it happened) and add them to their minutes; returns how many were new.

    A crossing stored before (the same recording analysed again) is skipped, so its minute is not
    counted twice.
    """
    added = 0
    for item, at in found:
        line = lines[item.line]
        try:
            with transaction.atomic():
                Crossing.objects.create(camera_id=line.camera_id, line=line, at=at, track_id=item.track_id,
                                        label=item.label, direction=item.direction)  # fmt: skip
        except IntegrityError:
            continue
        field = "entries" if item.direction == crossing.IN else "exits"
        minute = at.replace(second=0, microsecond=0)
        bucket, _ = CrossingMinute.objects.get_or_create(
            line=line, minute=minute, label=item.label, defaults={"camera_id": line.camera_id}
        )
        CrossingMinute.objects.filter(pk=bucket.pk).update(**{field: F(field) + 1})
        added += 1
    return added
