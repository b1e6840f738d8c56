"""A camera's live counters, and telling the map, the dashboard and the TCP feed when they change."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from cameras.models import Camera
from core.broadcast import broadcast_on_commit
from flow.feed import feed_send
from flow.models import Area, Occupancy
from flow.services import period_start


def _figures(occupancy: Occupancy, period) -> dict[str, int]:
    if occupancy.period_start < period:  # nothing since the reset: the row still holds yesterday's
        return {"current": 0, "entry": 0, "exit": 0}
    return {"current": occupancy.current, "entry": occupancy.entries, "exit": occupancy.exits}


def camera_counters(camera: Camera) -> dict[str, Any]:
    """``{"camera": {...}, "person": {"current", "entry", "exit"}, ..., "zones": {...}, "areas": [...]}``.

    One key per counted label (entries and exits since the daily reset, people in view now);
    zones give how many stand in each polygon now; areas, the occupancy of each area the camera's
    lines belong to.
    """
    now = timezone.now()
    period = period_start(now)
    data: dict[str, Any] = {
        "camera": {"id": camera.pk, "name": camera.name, "slug": camera.slug},
        "at": now.isoformat(),
    }
    for occupancy in Occupancy.objects.filter(camera=camera):
        data[occupancy.label] = _figures(occupancy, period)
    zones: dict[str, dict[str, int]] = {}
    for occupancy in Occupancy.objects.filter(zone__camera=camera, zone__enabled=True).select_related("zone"):
        zones.setdefault(occupancy.zone.name, {})[occupancy.label] = occupancy.current
    data["zones"] = zones
    areas = []
    for area in Area.objects.filter(lines__camera=camera).distinct().prefetch_related("occupancies"):
        entry = {"id": area.pk, "name": area.name, "capacity": area.capacity}
        entry.update({o.label: _figures(o, period) for o in area.occupancies.all()})
        areas.append(entry)
    data["areas"] = areas
    return data


def counters_publish(camera: Camera) -> None:
    """After the commit: push the camera's counters to viewers (``flow.counts``) and to the TCP feed."""

    def send() -> None:
        data = camera_counters(camera)
        broadcast_on_commit("flow.counts", data)  # outside a transaction: sent at once
        feed_send(("camera", camera.pk), data)

    transaction.on_commit(send)
