"""Tracking per camera: its tracker settings, its confidence for tracking, and the region around its lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from cameras.tests.factories import CameraFactory
from core.geometry import box_overlap
from detection.tests.frames import photo
from flow.models import CountingLine
from flow.tracking import REGION_MARGIN, TrackingDetector, ground_point, lines_region, person_height, tracker_file

pytestmark = pytest.mark.django_db


def test_the_tracker_file_is_written_from_the_cameras_settings(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.FLOW_TRACKER = ""
    camera = CameraFactory(tracker="botsort", track_high_thresh=0.3, track_low_thresh=0.05,
                         new_track_thresh=0.35, track_buffer=90, match_thresh=0.7)  # fmt: skip
    values = json.loads(Path(tracker_file(camera)).read_text())
    assert values["tracker_type"] == "botsort" and values["gmc_method"]  # over the shipped BoT-SORT defaults
    assert (values["track_high_thresh"], values["track_low_thresh"], values["new_track_thresh"]) == (0.3, 0.05, 0.35)
    assert (values["track_buffer"], values["match_thresh"]) == (90, 0.7)
    other = CameraFactory()
    assert tracker_file(other) != tracker_file(camera)
    assert tracker_file(CameraFactory()) == tracker_file(other)  # the same settings share a file


def test_a_site_tracker_file_replaces_the_cameras_settings(settings, tmp_path):
    custom = tmp_path / "site.yaml"
    custom.write_text("tracker_type: bytetrack\n")
    settings.FLOW_TRACKER = str(custom)
    assert tracker_file(CameraFactory(track_buffer=5)) == str(custom)


def test_the_second_round_threshold_cannot_exceed_the_first():
    camera = CameraFactory(track_high_thresh=0.2, track_low_thresh=0.3)
    with pytest.raises(ValidationError, match="must not exceed"):
        camera.full_clean()


def test_tracking_uses_the_cameras_tracking_confidence_and_shows_only_confident_boxes(offline_model):
    offline_model.confidence = 0.6  # what people are shown
    camera = CameraFactory(track_confidence=0.05)
    tracker = TrackingDetector(offline_model, camera)
    assert tracker.options["conf"] == 0.05
    tracked = []
    for _ in range(3):  # the tracker confirms new tracks on their second frame
        tracked = tracker.track(photo("bus.jpg").image)
    assert any(d.confidence < 0.6 for d, _ in tracked)  # weaker boxes reach the tracker ...
    assert all(d.confidence >= 0.6 for d in tracker.shown(tracked))  # ... but are not shown
    assert tracker.shown(tracked)


def test_the_region_leaves_room_for_whole_people_around_the_lines_and_their_doors():
    camera = CameraFactory()
    line = CountingLine.objects.create(camera=camera, name="Door", start=[0.4, 0.5], end=[0.6, 0.5],
                                       door=[[0.4, 0.5], [0.6, 0.5], [0.6, 0.7], [0.4, 0.7]])  # fmt: skip
    people = 0.2  # tall, on this picture
    side = REGION_MARGIN + people / 2
    assert lines_region([line], people) == pytest.approx(
        (0.4 - side, 0.5 - REGION_MARGIN - 1.2 * people, 0.6 + side, 0.7 + side)  # their bodies above the line
    )
    assert lines_region([line], 0.6) is None  # people that tall fill the picture: track all of it
    assert lines_region([line], None) is None  # nobody seen near the lines yet: all of it
    assert lines_region([], 0.2) is None


def test_how_tall_people_are_is_measured_near_the_lines_only():
    from core.vision import Detection

    camera = CameraFactory()
    line = CountingLine.objects.create(camera=camera, name="Door", start=[0.4, 0.5], end=[0.6, 0.5])
    near = [Detection("person", 0.9, (0.45, 0.5 - h, 0.5, 0.52)) for h in (0.10, 0.11, 0.12, 0.13)]
    far_and_big = [Detection("person", 0.9, (0.0, 0.1, 0.2, 0.99))]  # close to the camera, far from the line
    assert person_height([line], near + far_and_big) == pytest.approx(0.13 + 0.02, abs=1e-6)
    assert person_height([line], far_and_big) is None


def test_boxes_found_in_the_region_are_placed_in_the_whole_picture(offline_model):
    image = photo("bus.jpg").image  # 810 x 1080: people standing in front of a bus
    whole = TrackingDetector(offline_model)
    part = TrackingDetector(offline_model)
    part.region = (0.0, 0.3, 0.5, 1.0)  # the left half, lower part
    for _ in range(3):
        everyone, left = whole.track(image), part.track(image)
    assert left and len(left) < len(everyone)
    for detection, _ in left:
        x1, y1, x2, _ = detection.box
        assert x1 >= 0.0 and x2 <= 0.5 + 1e-6 and y1 >= 0.3 - 1e-6
        # The same person, found in the whole picture, has nearly the same box.
        assert max(box_overlap(detection.box, other.box) for other, _ in everyone) > 0.7


def test_the_ground_point_is_between_the_feet_above_the_boxs_bottom_unless_the_box_is_cut_by_the_edge():
    from core.vision import Detection

    standing = Detection("person", 0.9, (0.4, 0.2, 0.5, 0.7))
    assert ground_point(standing) == pytest.approx((0.45, 0.65))
    coming_into_view = Detection("person", 0.9, (0.4, 0.6, 0.5, 1.0))
    assert ground_point(coming_into_view) == pytest.approx((0.45, 1.0))  # feet at or below the edge: unseen


def test_a_person_the_model_sees_down_while_walking_over_a_line_crosses_as_a_person(settings):
    from core.vision import Detection
    from flow.tracking import FlowCounter

    settings.FLOW_COUNT_AS = {"person_down": "person"}
    camera = CameraFactory()
    line = CountingLine.objects.create(camera=camera, name="Door", start=[0.1, 0.5], end=[0.9, 0.5])
    counter = FlowCounter.for_camera(camera.pk)
    found = counter.update([], at=0.0, size=(1000, 1000))
    for i, y in enumerate([0.40, 0.44, 0.48, 0.52, 0.56, 0.60, 0.64, 0.68]):
        box = (0.45, y - 0.3, 0.55, y)
        found += counter.update([(Detection("person_down", 0.6, box), 7)], at=2.0 + i / 10, size=(1000, 1000))
    assert [(c.line, c.label, c.direction) for c in found] == [(line.pk, "person", "in")]


def test_workers_writing_the_same_tracker_file_at_once_never_leave_half_a_file(settings, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    settings.DATA_DIR = tmp_path
    settings.FLOW_TRACKER = ""
    camera = CameraFactory(track_buffer=77)
    with ThreadPoolExecutor(8) as pool:
        paths = set(pool.map(lambda _: tracker_file(camera), range(32)))
    assert len(paths) == 1
    assert json.loads(Path(paths.pop()).read_text())["track_buffer"] == 77
    assert not list((tmp_path / "trackers").glob("*.part"))
