"""The event list's date drill-down, cheap on a table of a million events."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.contrib.admin.templatetags.admin_list import date_hierarchy
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.functional import cached_property

register = template.Library()


def _truncate(moment: datetime, kind: str) -> datetime:
    moment = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if kind in ("year", "month"):
        moment = moment.replace(day=1)
    if kind == "year":
        moment = moment.replace(month=1)
    return moment


def _step(moment: datetime, kind: str) -> datetime:
    if kind == "year":
        return moment.replace(year=moment.year + 1)
    if kind == "month":
        return moment.replace(year=moment.year + moment.month // 12, month=moment.month % 12 + 1)
    return moment + timedelta(days=1)  # wall-clock arithmetic: the next local midnight


class _SpanQuerySet:
    """Answers the drill-down's questions from the first and last event of the period shown.

    Django asks for the distinct years (months, days) of the *filtered* events: a scan of every
    row, a quarter of a second on PostgreSQL with a million events and seconds on SQLite. Even
    the first and last filtered event can be a scan (the oldest *open* event, found by walking
    from the oldest row). So the span comes from the whole table within the period already
    chosen (year, month), which both databases read from the two ends of the date index; every
    year, month or day in it is offered, and one without matching events shows an empty list.
    """

    def __init__(self, changelist) -> None:
        field = changelist.date_hierarchy
        # Only the drill-down's own year, month and day (whole numbers): other lookups on the field in the
        # query string (``first_seen__in=...``) are the change list's to refuse, never a 500 here.
        period = {}
        for part in ("year", "month", "day"):
            value = changelist.params.get(f"{field}__{part}")
            if isinstance(value, list):
                value = value[-1] if value else None
            if value is not None:
                if not (isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 4):
                    period = {}
                    break
                period[f"{field}__{part}"] = int(value)
        self._queryset, self._field = changelist.model._default_manager.filter(**period), field

    @cached_property
    def _span(self) -> dict[str, datetime | None]:
        # Two queries: SQLite reads MIN or MAX from the index only when it is the query's only aggregate.
        return {**self._queryset.aggregate(first=Min(self._field)), **self._queryset.aggregate(last=Max(self._field))}

    def aggregate(self, **_) -> dict[str, datetime | None]:
        return dict(self._span)  # Django asks for exactly this: first=Min(field), last=Max(field)

    def datetimes(self, field: str, kind: str) -> list[datetime]:
        if self._span["first"] is None:
            return []
        moment = _truncate(timezone.localtime(self._span["first"]), kind)
        last = timezone.localtime(self._span["last"])
        out = []
        while moment <= last:
            out.append(moment)
            moment = _step(moment, kind)
        return out


class _ChangeListView:
    def __init__(self, changelist) -> None:
        self._changelist = changelist
        self.queryset = _SpanQuerySet(changelist)

    def __getattr__(self, name: str):
        return getattr(self._changelist, name)


@register.inclusion_tag("admin/date_hierarchy.html")
def event_date_hierarchy(changelist):
    return date_hierarchy(_ChangeListView(changelist)) or {}


@register.filter(name="short_time")
def short_time_filter(moment: datetime | None) -> str:
    """One way to write a time on every admin page: ``14:05`` today, ``2 Dec 14:05`` otherwise."""
    from core.times import short_time

    return short_time(moment)
