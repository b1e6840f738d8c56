"""Helpers of the fault tests: a known set of frames through the real pipeline, and exact tallies."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import numpy as np
from django.utils import timezone

from cameras.frames import Frame
from cameras.handoff import frame_submit
from cameras.models import Camera
from cameras.tests.factories import CameraFactory
from detection.models import CountSample
from detection.tests.frames import photo
from events.models import Event, ThreatRule


def changing_picture(n: int) -> np.ndarray:
    """The ``n``-th picture of a scene that changes on every frame: bus.jpg's people, turned around the
    picture's width by ``n`` steps, so no two frames look alike (frames retried after an outage may be
    detected out of order, and each must still pass the gate)."""
    image = photo("bus.jpg").image
    return np.roll(image, n * image.shape[1] // 12, axis=1)


def people_cameras(count: int, *, motion_gate: bool = True) -> list[Camera]:
    """Cameras whose every frame (bus.jpg, people) fires one rule: one event each, one hit per frame.

    The motion gate is on, as by default; a test whose cameras capture the same picture every time turns it
    off (the gate would rightly skip all but the first).
    """
    ThreatRule.objects.get_or_create(
        name="People seen", defaults={"labels": ["person"], "severity": "high", "cooldown_seconds": 3600}
    )
    return [CameraFactory(name=f"Fault cam {n}", motion_gate=motion_gate) for n in range(count)]


def frames_submit(cameras: list[Camera], per_camera: int, *, start_second: int = 0) -> int:
    """Queue ``per_camera`` distinct frames of each camera for detection; returns how many.

    Every picture differs from the others, so every frame passes the motion gate: a retried or redelivered
    frame must still be treated as the changed frame it was.
    """
    base = timezone.now().replace(microsecond=0) - timedelta(minutes=5)
    for n in range(per_camera):
        for camera in cameras:
            frame = Frame(image=changing_picture(n), captured_at=base + timedelta(seconds=start_second + n))
            frame_submit(camera_id=camera.pk, frame=frame)
    return per_camera * len(cameras)


def tally(cameras: list[Camera]) -> dict:
    """What the database holds per camera: samples, detection events, and the events' frame hits."""
    samples = Counter(CountSample.objects.filter(camera__in=cameras).values_list("camera_id", flat=True))
    events = Event.objects.filter(camera__in=cameras, kind=Event.Kind.DETECTION)
    return {
        camera.pk: {
            "samples": samples.get(camera.pk, 0),
            "events": sum(1 for e in events if e.camera_id == camera.pk),
            "hits": sum(e.hit_count for e in events if e.camera_id == camera.pk),
        }
        for camera in cameras
    }
