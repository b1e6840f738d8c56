"""Helpers of the recordings tests: segments dated as a recorder would have listed them, stills as a snapshot
camera would have kept them, and events."""

from __future__ import annotations

import shutil
from datetime import timedelta

from cameras.frames import decode_image
from cameras.models import Still
from cameras.services import camera_still_keep
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


def kept(camera, jpegs, *, every: float, ended_at) -> list[Still]:
    """The JPEGs as the camera's frame service keeps them, one every ``every`` seconds, the last at ``ended_at``."""
    first = ended_at - timedelta(seconds=every * (len(jpegs) - 1))
    frames = [decode_image(jpeg) for jpeg in jpegs]
    for n, frame in enumerate(frames):
        frame.captured_at = first + timedelta(seconds=every * n)
    return [camera_still_keep(camera_id=camera.pk, frame=frame) for frame in frames]


def detection_event(camera, *, first_seen, last_seen) -> Event:
    return Event.objects.create(kind=Event.Kind.DETECTION, camera=camera, label="person", title="Crowd",
                                severity="high", latitude=camera.latitude, longitude=camera.longitude,
                                first_seen=first_seen, last_seen=last_seen)  # fmt: skip
