"""The motion gate on real footage: a still scene skips inference, a changed one does not."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cameras.frames import Frame
from cameras.tests.factories import CameraFactory
from detection import motion
from detection.models import CountSample
from detection.pipeline import frames_analyse
from detection.tests.frames import clip_frames

pytestmark = pytest.mark.django_db


def _same_picture_later(frame: Frame, seconds: int) -> Frame:
    return Frame(image=frame.image.copy(), captured_at=frame.captured_at + timedelta(seconds=seconds))


def test_an_unchanged_picture_is_recorded_as_unchanged_without_inference(offline_model, media_dir):
    camera = CameraFactory(motion_gate=True, motion_threshold=0.5)
    [(_, crowd)] = clip_frames(media_dir / "concourse.mp4", step=1, limit=1)

    first, second = frames_analyse([(camera, crowd), (camera, _same_picture_later(crowd, 5))])

    assert first.unchanged is False and first.detections
    assert second.unchanged is True and second.detections is None and second.recorded
    samples = list(CountSample.objects.filter(camera=camera).order_by("captured_at"))
    assert [s.unchanged for s in samples] == [False, True]
    assert samples[1].counts == samples[0].counts  # the scene did not change, neither did the counts
    assert samples[1].inference_ms is None


def test_a_moving_crowd_passes_the_gate_and_an_empty_office_does_not(offline_model, media_dir):
    camera = CameraFactory(motion_gate=True)
    concourse = [f for _, f in clip_frames(media_dir / "concourse.mp4", step=25, limit=4)]
    office = CameraFactory(motion_gate=True)
    empty = [f for _, f in clip_frames(media_dir / "office.mp4", step=1, limit=4)]  # before anyone walks in

    crowd_outcomes = frames_analyse([(camera, f) for f in concourse])
    office_outcomes = frames_analyse([(office, f) for f in empty])

    assert [o.unchanged for o in crowd_outcomes] == [False] * 4
    assert [o.unchanged for o in office_outcomes] == [False, True, True, True]


def test_the_gate_can_be_switched_off_per_camera(offline_model, media_dir):
    camera = CameraFactory(motion_gate=False)
    [(_, crowd)] = clip_frames(media_dir / "concourse.mp4", step=1, limit=1)

    outcomes = frames_analyse([(camera, crowd), (camera, _same_picture_later(crowd, 5))])

    assert [o.unchanged for o in outcomes] == [False, False]
    assert all(o.detections for o in outcomes)


def test_slow_changes_add_up_against_the_last_processed_frame(media_dir, redis_url):
    [(_, base)] = clip_frames(media_dir / "office.mp4", step=1, limit=1)
    image = base.image.copy()
    assert motion.frame_unchanged(camera_id=999, image=image, threshold=1.0) is False  # first frame: reference

    # Darken a growing block a little at a time: each step alone is below the threshold,
    # but the reference stays the last processed frame, so the change adds up and passes.
    results = []
    for step in range(1, 8):
        changed = image.copy()
        changed[: 40 * step, : 60 * step] //= 3
        results.append(motion.frame_unchanged(camera_id=999, image=changed, threshold=1.0))
    assert results[0] is True and False in results
