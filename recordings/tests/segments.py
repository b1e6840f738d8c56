"""Helpers of the recordings tests: segments dated as a recorder would have listed them, and events."""

from __future__ import annotations

import shutil
from datetime import timedelta

from events.models import Event
from recordings.models import Segment
from recordings.services import segment_record, segments_folder


def recorded(camera, segments, *, ended_at) -> list[Segment]:
    """The segments as a recorder would have listed them, the last one ending at ``ended_at``."""
    folder = segments_folder(camera.pk)
    total = sum(length for _, length in segments)
    at = ended_at - timedelta(seconds=total)
    rows = []
    for n, (path, length) in enumerate(segments):
        copy = folder / f"{n:03d}-{path.name}"
        shutil.copy(path, copy)
        end = at + timedelta(seconds=length)
        rows.append(segment_record(camera_id=camera.pk, path=copy, started_at=at, ended_at=end))
        at = end
    return rows


def detection_event(camera, *, first_seen, last_seen) -> Event:
    return Event.objects.create(kind=Event.Kind.DETECTION, camera=camera, label="person", title="Crowd",
                                severity="high", latitude=camera.latitude, longitude=camera.longitude,
                                first_seen=first_seen, last_seen=last_seen)  # fmt: skip
