"""The operational overview: per camera, its health, its events of the last 24 hours and what is open."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Max
from django.utils import timezone

from cameras.models import Camera
from core.badges import CAMERA_STATUS_COLOURS, field_badge
from events.models import Event, Severity

WINDOW = timedelta(hours=24)
SEVERITIES = list(reversed(Severity.choices))  # critical first


@dataclass
class CameraRow:
    camera: Camera
    by_severity: Counter = field(default_factory=Counter)
    open_events: int = 0
    last_event_at: datetime | None = None

    @property
    def events_24h(self) -> int:
        return sum(self.by_severity.values())

    @property
    def severity_counts(self) -> list[int]:
        return [self.by_severity[value] for value, _ in SEVERITIES]

    @property
    def status_badge(self) -> str:
        return field_badge(self.camera, "status", CAMERA_STATUS_COLOURS)


@dataclass
class Overview:
    since: datetime
    rows: list[CameraRow]
    open_by_severity: list[tuple[str, int]]
    cameras_by_status: list[tuple[str, int]]
    severities: list[tuple[str, str]] = field(default_factory=lambda: SEVERITIES)


def operations_overview(now: datetime | None = None) -> Overview:
    """Three grouped queries (recent events, open events, cameras), whatever the size of the events table."""
    since = (now or timezone.now()) - WINDOW
    rows = {camera.pk: CameraRow(camera) for camera in Camera.objects.order_by("name")}
    recent = (
        Event.objects.filter(first_seen__gte=since)
        .values("camera", "severity")
        .annotate(n=Count("id"), last=Max("first_seen"))
        .order_by()
    )
    for group in recent:
        row = rows.get(group["camera"])
        if row is not None:
            row.by_severity[group["severity"]] += group["n"]
            row.last_event_at = max(filter(None, [row.last_event_at, group["last"]]))
    open_by_severity: Counter = Counter()
    open_groups = (
        Event.objects.filter(status__in=Event.OPEN_STATUSES)
        .values("camera", "severity")
        .annotate(n=Count("id"))
        .order_by()
    )
    for group in open_groups:
        open_by_severity[group["severity"]] += group["n"]
        if group["camera"] in rows:
            rows[group["camera"]].open_events += group["n"]
    ordered = sorted(rows.values(), key=lambda r: (-r.open_events, -r.events_24h, r.camera.name))
    return Overview(
        since=since,
        rows=ordered,
        open_by_severity=[(label, open_by_severity[value]) for value, label in SEVERITIES],
        cameras_by_status=sorted(Counter(row.camera.get_status_display() for row in ordered).items()),
    )
