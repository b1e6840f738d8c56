"""End to end through real processes: beat schedules a camera, a capture worker grabs frames,
a detect worker runs the real model, and counts and an event with evidence land in the database."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from django.conf import settings

from cameras.tests.factories import CameraFactory
from detection.models import CountSample
from events.models import Event, ThreatRule
from vigilsite.testing import wait_until


@pytest.mark.slow
def test_a_scheduled_camera_produces_counts_and_an_event_with_an_annotated_snapshot(
    celery_workers, celery_beat, offline_model, media_dir
):
    celery_workers("capture", queue="capture", concurrency=2, capture_timeout=10, VIGIL_SOURCE_FOLDERS=str(media_dir))
    celery_workers("detect", queue="detect", pool="prefork", concurrency=1)
    ThreatRule.objects.create(name="Crowd", labels=["person"], min_count=8, min_confidence=0.3, severity="high")
    camera = CameraFactory(source_url=(media_dir / "concourse.mp4").as_uri(), name="Concourse", capture_interval=2)
    celery_beat()

    wait_until(lambda: CountSample.objects.filter(camera=camera).count() >= 3, 150, "no count samples arrived")
    wait_until(lambda: Event.objects.filter(camera=camera, rule__name="Crowd").exists(), 60, "no crowd event opened")

    samples = CountSample.objects.filter(camera=camera)
    assert any(s.counts.get("person", 0) >= 8 for s in samples)
    assert all(s.inference_ms for s in samples if not s.unchanged)
    event = Event.objects.get(camera=camera, rule__name="Crowd")  # one event, updated, not one per frame
    path = Path(settings.MEDIA_ROOT) / event.annotated_snapshot.name
    image = cv2.imdecode(np.frombuffer(path.read_bytes(), np.uint8), cv2.IMREAD_COLOR)
    assert image is not None and image.shape[:2] == (480, 854)
    assert event.peak_count >= 8 and len([d for d in event.detections if d["matched"]]) >= 8
    camera.refresh_from_db()
    assert camera.status == "online" and camera.detection_error == ""
