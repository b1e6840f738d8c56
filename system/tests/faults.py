"""Helpers of the fault tests: a known set of frames through the real pipeline, and exact tallies."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from django.utils import timezone

from cameras.frames import Frame
from cameras.handoff import frame_submit
from cameras.models import Camera
from cameras.tests.factories import make_camera
from detection.models import CountSample
from detection.tests.frames import photo
from events.models import Event, ThreatRule


def people_cameras(count: int) -> list[Camera]:
    """Cameras whose every frame (bus.jpg, people) fires one rule: one event each, one hit per frame."""
    ThreatRule.objects.get_or_create(
        name="People seen", defaults={"labels": ["person"], "severity": "high", "cooldown_seconds": 3600}
    )
    return [make_camera("file:///dev/null", name=f"Fault cam {n}", motion_gate=False) for n in range(count)]


def frames_submit(cameras: list[Camera], per_camera: int, *, start_second: int = 0) -> int:
    """Queue ``per_camera`` distinct frames of each camera for detection; returns how many."""
    base = timezone.now().replace(microsecond=0) - timedelta(minutes=5)
    image = photo("bus.jpg").image
    for n in range(per_camera):
        for camera in cameras:
            frame = Frame(image=image, captured_at=base + timedelta(seconds=start_second + n))
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
