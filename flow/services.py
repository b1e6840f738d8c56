"""Writes of the people-flow stage: crossings, occupancy and their minute buckets."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from shapely.geometry import Point, Polygon

from core.stored_text import in_installation_language
from core.vision import Detection
from flow import crossing
from flow.models import (
    Area,
    CountingLine,
    CountingZone,
    Crossing,
    CrossingMinute,
    Occupancy,
    OccupancyCorrection,
    OccupancyMinute,
)


def period_start(at: datetime) -> datetime:
    """The daily reset (``VIGIL_FLOW_RESET_TIME``, local time) that ``at`` counts from."""
    local = timezone.localtime(at)
    hour, minute = settings.FLOW_RESET_TIME
    reset = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if reset > local:
        reset = timezone.localtime(reset - timedelta(days=1)).replace(hour=hour, minute=minute)
    return reset


@transaction.atomic
def crossings_record(*, lines: dict[int, CountingLine], found: list[tuple[crossing.Crossing, datetime]]) -> int:
    """Store crossings (each with when it happened), add them to their minutes and to the occupancy of the
    camera and of the areas the line belongs to; returns how many were new.

    A crossing stored before (the same recording analysed again) is skipped, so nothing counts twice.
    Crossings from before the current occupancy period (an old recording) are stored and bucketed but
    leave today's occupancy alone.
    """
    areas = defaultdict(list)
    doors = Area.lines.through.objects.filter(countingline_id__in={c.line for c, _ in found})
    for line_id, area_id in doors.values_list("countingline_id", "area_id"):
        areas[line_id].append(area_id)
    added = 0
    for item, at in sorted(found, key=lambda pair: pair[1]):
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
        step = 1 if item.direction == crossing.IN else -1
        occupancy_step(label=item.label, at=at, step=step, camera_id=line.camera_id)
        for area_id in areas[line.pk]:
            occupancy_step(label=item.label, at=at, step=step, area_id=area_id)
        added += 1
    return added


def _occupancy_locked(*, label: str, at: datetime, **scope) -> Occupancy:
    """The scope's occupancy row, locked for this transaction, reset if a new period has begun."""
    period = period_start(at)
    occupancy, _ = Occupancy.objects.select_for_update().get_or_create(
        label=label, **scope, defaults={"period_start": period}
    )
    if occupancy.period_start < period:
        occupancy.period_start, occupancy.current, occupancy.entries, occupancy.exits = period, 0, 0, 0
    return occupancy


def occupancy_step(*, label: str, at: datetime, step: int, **scope) -> Occupancy | None:
    """One entry (+1) or exit (-1) in a camera's or area's occupancy; never below zero."""
    if at < period_start(timezone.now()):
        return None  # an old recording: its crossings are stored, today's occupancy is not theirs
    occupancy = _occupancy_locked(label=label, at=at, **scope)
    if step > 0:
        occupancy.entries += 1
    else:
        occupancy.exits += 1
    occupancy.current = max(0, occupancy.current + step)
    occupancy.save()
    _minute_record(occupancy, at)
    return occupancy


def _minute_record(occupancy: Occupancy, at: datetime) -> None:
    minute = at.replace(second=0, microsecond=0)
    bucket, created = OccupancyMinute.objects.get_or_create(
        occupancy=occupancy, minute=minute, defaults={"value": occupancy.current, "peak": occupancy.current}
    )
    if not created:
        bucket.value, bucket.peak = occupancy.current, max(bucket.peak, occupancy.current)
        bucket.save(update_fields=["value", "peak"])


@transaction.atomic
def occupancy_correct(*, occupancy: Occupancy, value: int, user, note: str = "") -> OccupancyCorrection:
    """An operator sets the occupancy now (kept for audit); counting goes on from that value."""
    if value < 0:
        raise ValueError("An occupancy cannot be below zero.")
    now = timezone.now()
    locked = _occupancy_locked(label=occupancy.label, at=now, camera_id=occupancy.camera_id,
                               area_id=occupancy.area_id, zone_id=occupancy.zone_id)  # fmt: skip
    correction = OccupancyCorrection.objects.create(occupancy=locked, previous=locked.current, value=value,
                                                    user=user, note=note[:200])  # fmt: skip
    locked.current = value
    locked.save()
    _minute_record(locked, now)
    occupancy.refresh_from_db()
    return correction


@transaction.atomic
def zones_count(*, camera_id: int, detections: list[Detection], at: datetime) -> bool:
    """Set how many of each label stand in each of the camera's zones now; True if any figure changed."""
    changed = False
    for zone in CountingZone.objects.filter(camera_id=camera_id, enabled=True):
        polygon = Polygon(zone.polygon)
        inside = Counter(d.label for d in detections if polygon.covers(Point(d.foot)))
        for occupancy in Occupancy.objects.filter(zone=zone).exclude(label__in=inside):
            inside.setdefault(occupancy.label, 0)  # a label seen before and gone now reads 0
        for label, count in inside.items():
            occupancy = _occupancy_locked(label=label, at=at, zone_id=zone.pk)
            if occupancy.current != count:
                changed = True
                occupancy.current = count
                occupancy.save()
            _minute_record(occupancy, at)
    return changed


# The demo concourse's line, where the hand count of the clip puts it (docs/counting.md): people walking
# towards the camera come in.
DEMO_LINE = {"name": _("Across the concourse"), "start": [0.33, 0.62], "end": [0.9, 0.62], "in_side": "right"}


def line_demo_seed(cameras) -> CountingLine | None:
    """A counting line on the demo's stream camera looping the concourse clip, if there is one."""
    camera = next((c for c in cameras if c.source_url.endswith("/concourse.mp4") and c.capture_mode == "stream"), None)
    if camera is None or CountingLine.objects.filter(camera=camera).exists():
        return None
    line = CountingLine(camera=camera, **in_installation_language(DEMO_LINE))  # then the installation's own
    line.full_clean()
    line.save()
    return line


def line_camera_warning(line: CountingLine) -> str:
    """Why a saved line will not count on its camera as it is set up, or ""."""
    camera = line.camera
    if camera.capture_mode == "stream" or not line.enabled:
        return ""
    return gettext(
        "“%(camera)s” is analysed picture by picture (%(mode)s): a line counts people it follows from frame to "
        "frame, so it counts only when the camera is in stream mode (or on recorded videos analysed for it). Set "
        "the camera's capture mode to stream to count live."
    ) % {"camera": camera, "mode": camera.get_capture_mode_display().lower()}
