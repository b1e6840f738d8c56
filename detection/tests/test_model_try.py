"""The admin's "test on a sample image" page, with the real offline model."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from detection.backends import cpu_precision
from detection.tests.frames import photo

pytestmark = pytest.mark.django_db


def _try_url(model) -> str:
    return reverse("admin:detection_detectionmodel_try", args=[model.pk])


def test_the_model_runs_on_a_sample_photo_and_shows_the_annotated_result(admin_client, offline_model):
    response = admin_client.post(_try_url(offline_model), {"sample": "photo:bus.jpg"})

    assert response.status_code == 200
    trial = response.context["trial"]
    assert trial is not None and len(trial.detections) >= 3  # bus.jpg shows four people
    assert {d.label for d in trial.detections} == {"person"}
    assert trial.annotated_jpeg[:3] == b"\xff\xd8\xff" and 'src="data:image/jpeg;base64,' in response.text
    assert (trial.width, trial.height) == (810, 1080)
    assert trial.runtime.startswith(f"openvino {cpu_precision()}") and f"Runtime: {trial.runtime}" in response.text


def test_an_uploaded_picture_wins_and_a_corrupt_one_is_refused_clearly(admin_client, offline_model):
    good = SimpleUploadedFile("me.jpg", photo("zidane.jpg").jpeg, content_type="image/jpeg")
    response = admin_client.post(_try_url(offline_model), {"sample": "photo:bus.jpg", "image": good})
    assert response.context["trial"].width == 1280  # zidane.jpg, not the sample

    bad = SimpleUploadedFile("bad.jpg", b"\xff\xd8\xff" + b"garbage", content_type="image/jpeg")
    response = admin_client.post(_try_url(offline_model), {"image": bad})
    assert response.context["trial"] is None
    assert "This picture cannot be used: the JPEG image is truncated" in response.text

    response = admin_client.post(_try_url(offline_model), {})
    assert "Choose a sample picture or upload one." in response.text


def test_a_model_without_weights_says_why_it_cannot_run(admin_client, coco_model, settings):
    settings.DETECTION_DOWNLOAD = False
    response = admin_client.post(_try_url(coco_model), {"sample": "photo:bus.jpg"})
    assert response.status_code == 200 and "not available offline" in response.text


def test_the_list_action_leads_to_the_test_page_and_operators_may_not_use_it(admin_client, client, make_user,
                                                                           offline_model):  # fmt: skip
    listing = reverse("admin:detection_detectionmodel_changelist")
    response = admin_client.post(listing, {"action": "try_on_sample", "_selected_action": [offline_model.pk]})
    assert response.status_code == 302 and response["Location"] == _try_url(offline_model)
    page = admin_client.get(reverse("admin:detection_detectionmodel_change", args=[offline_model.pk]))
    assert _try_url(offline_model) in page.text

    client.force_login(make_user("olga", "Operators", staff=True))
    assert client.post(_try_url(offline_model), {"sample": "photo:bus.jpg"}).status_code == 403
