"""Events as CSV for reports: one row per event, its handling history in the last column."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from core.csv_cells import CsvLines
from events.models import Event, EventAction

COLUMNS = [
    "id", "title", "kind", "camera", "district", "rule", "label", "severity", "status", "peak_count",
    "hit_count", "first_seen", "last_seen", "latitude", "longitude", "assignee", "resolved_at",
    "resolution_note", "history",
]  # fmt: skip


def _when(value) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else ""


def _history(event: Event) -> str:
    lines = []
    for step in event.actions.all():
        line = f"{_when(step.created_at)} {step.user.username if step.user else 'system'} {step.action}"
        line += f" {step.from_status}->{step.to_status}"
        if step.dispatched_to:
            line += f" to {step.dispatched_to}"
        if step.note:
            line += f": {step.note}"
        lines.append(line)
    return "\n".join(lines)


def _row(event: Event) -> list:
    return [
        event.pk, event.title, event.kind, event.camera.name, event.camera.district,
        event.rule.name if event.rule else "", event.label, event.severity, event.status, event.peak_count,
        event.hit_count, _when(event.first_seen), _when(event.last_seen), event.latitude, event.longitude,
        event.assignee.username if event.assignee else "", _when(event.resolved_at), event.resolution_note,
        _history(event),
    ]  # fmt: skip


def events_csv_lines(events: QuerySet[Event]) -> Iterator[str]:
    """CSV lines (header first) for ``events`` in their order, read in chunks so any size streams."""
    # Names, notes and titles are typed by people: CsvLines writes formula-like text as text.
    lines = CsvLines()
    yield lines.line(COLUMNS)
    steps = Prefetch("actions", queryset=EventAction.objects.select_related("user"))
    rows = events.select_related("camera", "rule", "assignee").prefetch_related(steps)
    for event in rows.iterator(chunk_size=1000):
        yield lines.line(_row(event))
