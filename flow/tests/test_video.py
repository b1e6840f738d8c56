"""What ``video_analyse`` says when it cannot count."""

from __future__ import annotations

import pytest
from django.utils import timezone

from cameras.tests.factories import CameraFactory
from detection.detector import WeightsUnavailable
from flow.models import CountingLine
from flow.video import NoCountingLines, video_analyse

pytestmark = pytest.mark.django_db


def test_a_camera_without_lines_is_refused_with_the_reason(offline_model, media_dir):
    camera = CameraFactory(name="Hall")
    CountingLine.objects.create(camera=camera, name="Off", start=[0, 0.5], end=[1, 0.5], enabled=False)
    with pytest.raises(NoCountingLines, match="Hall has no enabled counting line"):
        video_analyse(camera, media_dir / "concourse.mp4", start=timezone.now())


def test_missing_weights_offline_say_where_to_put_them(coco_model, settings, tmp_path, media_dir):
    settings.DETECTION_DOWNLOAD = False
    settings.DETECTION_MODEL_DIR = tmp_path
    camera = CameraFactory(detection_model=coco_model)
    CountingLine.objects.create(camera=camera, name="Door", start=[0, 0.5], end=[1, 0.5])
    with pytest.raises(WeightsUnavailable, match=r"yolo11n\.pt not available offline"):
        video_analyse(camera, media_dir / "concourse.mp4", start=timezone.now())
