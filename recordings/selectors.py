"""Reads of the recordings: a camera's segments and kept frames (stills) over a window of time."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from cameras.models import Still
from events.models import Event
from recordings.models import Segment


def camera_segments(*, camera_id: int, since: datetime, until: datetime) -> QuerySet[Segment]:
    """The camera's segments that overlap ``since``..``until`` (one begun before ``since`` included)."""
    return Segment.objects.filter(camera_id=camera_id, ended_at__gt=since, started_at__lt=until)


def camera_latest_segments(*, camera_id: int, count: int, ended_since: datetime) -> list[Segment]:
    """The camera's ``count`` newest segments, oldest first: the window of a live playlist. None when the
    newest ended before ``ended_since`` (a recorder that stopped is no live picture, whatever it left)."""
    rows = Segment.objects.filter(camera_id=camera_id).exclude(file="").order_by("-started_at", "-id")
    newest = list(rows[:count])
    if not newest or newest[0].ended_at < ended_since:
        return []
    return newest[::-1]


def camera_recorded_spans(
    *, camera_id: int, since: datetime, until: datetime, gap_seconds: float
) -> list[tuple[datetime, datetime]]:
    """The camera's recordings over ``since``..``until`` as continuous spans: segments less than
    ``gap_seconds`` apart are one span (a timeline draws thousands of segments a day as a few bars)."""
    spans: list[tuple[datetime, datetime]] = []
    rows = camera_segments(camera_id=camera_id, since=since, until=until).order_by("started_at")
    for started_at, ended_at in rows.values_list("started_at", "ended_at").iterator():
        if spans and (started_at - spans[-1][1]).total_seconds() <= gap_seconds:
            spans[-1] = (spans[-1][0], max(spans[-1][1], ended_at))
        else:
            spans.append((started_at, ended_at))
    return spans


def camera_stills(*, camera_id: int, since: datetime, until: datetime) -> QuerySet[Still]:
    """The frames the camera kept (a snapshot camera recording) taken in ``since``..``until``."""
    return Still.objects.filter(camera_id=camera_id, captured_at__gte=since, captured_at__lt=until)


def camera_still_spans(
    *, camera_id: int, since: datetime, until: datetime, gap_seconds: float
) -> list[tuple[datetime, datetime, int]]:
    """The camera's kept frames over ``since``..``until`` as spans of frames less than ``gap_seconds`` apart,
    each with its number of frames (a 10 s camera keeps 8,640 a day: a timeline draws them as a few bars)."""
    spans: list[tuple[datetime, datetime, int]] = []
    rows = camera_stills(camera_id=camera_id, since=since, until=until).order_by("captured_at")
    for (at,) in rows.values_list("captured_at").iterator():
        if spans and (at - spans[-1][1]).total_seconds() <= gap_seconds:
            spans[-1] = (spans[-1][0], at, spans[-1][2] + 1)
        else:
            spans.append((at, at, 1))
    return spans


def camera_events_between(*, camera_id: int, since: datetime, until: datetime, limit: int = 500) -> list[Event]:
    """The camera's events open at some time in ``since``..``until`` (the first ``limit``: a timeline's marks)."""
    rows = Event.objects.filter(camera_id=camera_id, first_seen__lt=until, last_seen__gt=since)
    return list(rows.order_by("first_seen")[:limit])
