from __future__ import annotations

from pathlib import Path

import pytest

from cameras.tests.factories import CameraFactory
from detection.detector import WeightsUnavailable, detector_for, model_for_camera
from detection.models import DetectionModel
from detection.pipeline import frames_analyse
from detection.tests.frames import photo

pytestmark = pytest.mark.django_db


def test_the_migration_registers_an_offline_default_and_a_coco_model(offline_model, coco_model):
    assert DetectionModel.objects.get(is_default=True) == offline_model
    assert offline_model.label_map == {"Normal": "person", "Fall": "person_down"}
    assert coco_model.weights == "yolo11n.pt"


@pytest.mark.parametrize(("name", "at_least"), [("bus.jpg", 3), ("zidane.jpg", 2)])
def test_the_offline_default_model_finds_people_in_real_photos(offline_model, name, at_least):
    [detections] = detector_for(offline_model).detect([photo(name).image])

    people = [d for d in detections if d.label == "person"]
    assert len(people) >= at_least
    for d in people:
        x1, y1, x2, y2 = d.box
        assert 0 <= x1 < x2 <= 1 and 0 <= y1 < y2 <= 1  # normalised, not pixels
        assert d.class_name == "Normal" and d.confidence >= offline_model.confidence
    offline_model.refresh_from_db()
    assert offline_model.classes == ["Normal", "Fall"] and offline_model.last_error == ""


def test_frames_of_several_photos_run_as_one_batch_in_order(offline_model):
    bus, zidane = photo("bus.jpg"), photo("zidane.jpg")
    detector = detector_for(offline_model)

    batched = detector.detect([bus.image, zidane.image])

    assert [len(x) for x in batched] == [len(detector.detect([bus.image])[0]), len(detector.detect([zidane.image])[0])]


def test_keep_labels_drops_other_labels(offline_model):
    offline_model.keep_labels = ["person_down"]
    offline_model.save()

    [detections] = detector_for(offline_model).detect([photo("bus.jpg").image])

    assert detections == []  # the upright people of bus.jpg are "person", not kept


def test_the_model_is_loaded_once_per_process_and_again_after_an_edit(offline_model):
    first = detector_for(offline_model)
    assert detector_for(DetectionModel.objects.get(pk=offline_model.pk)) is first

    offline_model.confidence = 0.6
    offline_model.save()

    reloaded = detector_for(offline_model)
    assert reloaded is not first and reloaded.options["conf"] == 0.6


def test_missing_coco_weights_give_a_clear_error_on_the_model_and_the_camera(coco_model, settings, tmp_path):
    # This machine has no internet, as an air-gapped city; downloads are switched off so the
    # test does not depend on that.
    settings.DETECTION_DOWNLOAD = False
    settings.DETECTION_MODEL_DIR = tmp_path
    camera = CameraFactory(detection_model=coco_model, motion_gate=False)

    with pytest.raises(WeightsUnavailable, match=r"weights yolo11n\.pt not available offline: upload them"):
        detector_for(coco_model)
    [outcome] = frames_analyse([(camera, photo("bus.jpg"))])

    assert "not available offline" in outcome.error and outcome.detections is None
    coco_model.refresh_from_db()
    camera.refresh_from_db()
    assert "yolo11n.pt not available offline" in coco_model.last_error
    assert str(tmp_path) in coco_model.last_error
    assert camera.detection_error == coco_model.last_error
    assert not camera.count_samples.exists()


def test_weights_dropped_in_the_model_folder_are_found_offline(offline_model, coco_model, settings, tmp_path):
    from detection.detector import weights_path

    settings.DETECTION_DOWNLOAD = False
    settings.DETECTION_MODEL_DIR = tmp_path
    (tmp_path / "yolo11n.pt").write_bytes(Path(weights_path(offline_model)).read_bytes())

    assert weights_path(coco_model) == str(tmp_path / "yolo11n.pt")


def test_a_camera_uses_its_own_model_else_the_configured_one_else_the_default(offline_model, coco_model, settings):
    camera = CameraFactory()
    assert model_for_camera(camera) == offline_model
    settings.DETECTION_MODEL = coco_model.name
    assert model_for_camera(camera) == coco_model
    camera.detection_model = offline_model
    assert model_for_camera(camera) == offline_model


def test_the_camera_api_shows_and_sets_detection_settings(admin_client, coco_model):
    camera = CameraFactory(detection_error="weights missing")

    response = admin_client.patch(
        f"/api/cameras/{camera.pk}/",
        {"detection_model": coco_model.pk, "motion_gate": False, "motion_threshold": 2.5, "detection_error": ""},
        content_type="application/json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["detection_model"], body["motion_gate"], body["motion_threshold"]) == (coco_model.pk, False, 2.5)
    assert body["detection_error"] == "weights missing"  # read-only: set by the workers only
    bad = admin_client.patch(f"/api/cameras/{camera.pk}/", {"motion_threshold": 150}, content_type="application/json")
    assert bad.status_code == 400 and "motion_threshold" in bad.json()


def test_a_model_that_failed_is_not_retried_on_every_batch_but_at_once_after_an_edit(
    offline_model, coco_model, settings, tmp_path
):
    from detection.detector import weights_path

    settings.DETECTION_DOWNLOAD = False
    settings.DETECTION_MODEL_DIR = tmp_path
    with pytest.raises(WeightsUnavailable):
        detector_for(coco_model)
    (tmp_path / "yolo11n.pt").write_bytes(Path(weights_path(offline_model)).read_bytes())

    with pytest.raises(WeightsUnavailable):  # within the retry window: the failure is remembered
        detector_for(coco_model)
    coco_model.save()  # an admin edit (e.g. after uploading weights) retries at once

    assert detector_for(coco_model).names
    coco_model.refresh_from_db()
    assert coco_model.last_error == ""
