"""Events made by the real pipeline for tests that need a real one (snapshot, detections, rule)."""

from __future__ import annotations

import numpy as np
from django.conf import settings
from django.utils import timezone

from cameras.frames import Frame
from cameras.models import Camera
from cameras.services import camera_frame_accept, camera_record_failure
from cameras.tests.factories import CameraFactory
from core.broadcast import broadcasts_flush
from detection.pipeline import frames_analyse
from detection.tests.frames import photo
from events.models import Event, ThreatRule


def crowd_event(*, camera_name: str = "Bus stop", rule_name: str = "People at the stop") -> Event:
    """The offline model sees the people on bus.jpg; the rule opens a critical event with a 120 m perimeter.

    Needs the ``offline_model`` fixture.
    """
    camera = CameraFactory(name=camera_name, motion_gate=False, heading=90)
    ThreatRule.objects.get_or_create(
        name=rule_name,
        defaults={
            "labels": ["person"],
            "severity": "critical",
            "danger_radius_m": 120,
            "recommended_actions": "Call the stop's warden.\nKeep the platform clear.",
        },
    )
    frames_analyse([(camera, photo("bus.jpg"))])
    broadcasts_flush()
    return Event.objects.get(camera=camera)


def offline_event(*, camera_name: str = "Quay", error: str = "HTTP 503") -> Event:
    """A camera whose captures fail until it is offline: the system event Vigil opens for it."""
    camera = CameraFactory(name=camera_name, status=Camera.Status.ONLINE, detect=False)
    for _ in range(settings.CAMERA_OFFLINE_AFTER_FAILURES):
        camera_record_failure(camera=camera, error=error, started_at=timezone.now())
    broadcasts_flush()
    return Event.objects.get(camera=camera, label="camera_offline")


def back_online(event: Event) -> Event:
    """The offline camera's first good frame: Vigil resolves its system event (a step in the history)."""
    frame = Frame(image=np.zeros((48, 64, 3), dtype=np.uint8))
    camera_frame_accept(camera=Camera.objects.get(pk=event.camera_id), frame=frame, latency_ms=None, submit=False)
    broadcasts_flush()
    return Event.objects.get(pk=event.pk)


def lying_photo() -> bytes:
    """bus.jpg turned a quarter to the left, as JPEG: people lying on the ground, clear of the edges.

    The offline model's ``Fall`` box on it: 0.59 confident, 1.9 times wider than tall, 15 % of the picture.
    """
    import cv2
    from django.conf import settings

    image = cv2.imread(str(settings.ULTRALYTICS_ASSETS / "bus.jpg"))
    return cv2.imencode(".jpg", cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE))[1].tobytes()
