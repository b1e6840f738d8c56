"""Reads of the recordings: a camera's segments over a window of time."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from recordings.models import Segment


def camera_segments(*, camera_id: int, since: datetime, until: datetime) -> QuerySet[Segment]:
    """The camera's segments that overlap ``since``..``until`` (one begun before ``since`` included)."""
    return Segment.objects.filter(camera_id=camera_id, ended_at__gt=since, started_at__lt=until)
