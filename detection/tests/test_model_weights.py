"""Weights are code: only holders of detection.manage_model_weights (superusers) set them; uploads are checked."""

from __future__ import annotations

import hashlib
import io
import pickle

import pytest
import torch
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.roles import ADMINISTRATORS
from detection.models import DetectionModel

pytestmark = pytest.mark.django_db

ONNX = b"\x08\x09\x12\x07pytorch" + bytes(64)  # ModelProto: ir_version 9, producer_name "pytorch", ...


def _torch_pt() -> bytes:
    buffer = io.BytesIO()
    torch.save({"model": torch.zeros(2)}, buffer)  # the zip layout torch.save writes
    return buffer.getvalue()


def _form(model: DetectionModel, **changes) -> dict:
    data = {
        "name": model.name, "weights": model.weights, "device": model.device, "image_size": model.image_size,
        "confidence": model.confidence, "iou": model.iou, "label_map": "{}", "keep_labels": "[]",
        "backend": model.backend, "precision": model.precision,
    }  # fmt: skip
    data.update(changes)
    return data


@pytest.fixture
def ada(client, make_user):
    """A non-superuser Administrator, logged in."""
    client.force_login(make_user("ada", ADMINISTRATORS, staff=True))


def test_no_role_holds_the_weights_permission(make_user):
    for role in ("Viewers", "Operators", ADMINISTRATORS):
        assert not make_user(f"someone-{role}", role).has_perm("detection.manage_model_weights")


def test_an_administrator_tunes_a_model_but_cannot_set_its_weights(client, ada, offline_model):
    upload = SimpleUploadedFile("evil.pt", _torch_pt())
    page = reverse("admin:detection_detectionmodel_change", args=[offline_model.pk])

    response = client.post(page, _form(offline_model, weights="/tmp/evil.pt", weights_file=upload, confidence="0.5"))

    assert response.status_code == 302
    model = DetectionModel.objects.get(pk=offline_model.pk)
    assert model.confidence == 0.5  # the rest of the model stays theirs to tune
    assert model.weights == offline_model.weights and not model.weights_file
    assert 'name="weights"' not in client.get(page).text and 'name="weights_file"' not in client.get(page).text


def test_an_administrator_cannot_add_a_model(client, ada):
    assert client.get(reverse("admin:detection_detectionmodel_add")).status_code == 403
    response = client.post(reverse("admin:detection_detectionmodel_add"),
                           _form(DetectionModel(name="Evil", weights="/tmp/evil.pt")))  # fmt: skip
    assert response.status_code == 403 and not DetectionModel.objects.filter(name="Evil").exists()


def test_a_superusers_upload_is_kept_with_its_sha256_shown_and_logged(admin_client, offline_model):
    data = _torch_pt()
    page = reverse("admin:detection_detectionmodel_change", args=[offline_model.pk])

    response = admin_client.post(page, _form(offline_model, weights_file=SimpleUploadedFile("mine.pt", data)))

    assert response.status_code == 302
    model = DetectionModel.objects.get(pk=offline_model.pk)
    digest = hashlib.sha256(data).hexdigest()
    assert model.weights_file.name.endswith(".pt") and model.weights_sha256 == digest
    assert digest in admin_client.get(page).text
    logged = LogEntry.objects.get(object_id=str(model.pk)).get_change_message()
    assert digest in logged and model.weights_file.name in logged


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("pickle.pt", pickle.dumps({"model": 1}), "not a PyTorch .pt file"),
        ("zip.pt", b"PK\x05\x06" + bytes(18), "not a PyTorch .pt file"),
        ("text.onnx", b"import os; os.system('id')", "not an ONNX model"),
        ("model.xml", b"<net/>", "not allowed"),
    ],
    ids=["plain-pickle-pt", "empty-zip-pt", "text-onnx", "xml"],
)
def test_an_upload_that_is_not_weights_is_refused(admin_client, offline_model, name, content, error):
    page = reverse("admin:detection_detectionmodel_change", args=[offline_model.pk])

    response = admin_client.post(page, _form(offline_model, weights_file=SimpleUploadedFile(name, content)))

    assert response.status_code == 200 and error in response.text
    assert not DetectionModel.objects.get(pk=offline_model.pk).weights_file


def test_an_upload_over_the_size_limit_is_refused(admin_client, offline_model, settings):
    settings.MODEL_UPLOAD_MAX_BYTES = 1024
    page = reverse("admin:detection_detectionmodel_change", args=[offline_model.pk])

    response = admin_client.post(page, _form(offline_model, weights_file=SimpleUploadedFile("big.onnx", ONNX * 20)))

    assert response.status_code == 200 and "larger than 1024 bytes" in response.text
    small = admin_client.post(page, _form(offline_model, weights_file=SimpleUploadedFile("small.onnx", ONNX)))
    assert small.status_code == 302
    assert DetectionModel.objects.get(pk=offline_model.pk).weights_sha256 == hashlib.sha256(ONNX).hexdigest()


@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_the_api_cannot_set_weights(client, make_user, offline_model, method):
    client.force_login(make_user("ada", ADMINISTRATORS))
    body = {"name": "Evil", "weights": "/tmp/evil.pt"}
    url = "/api/models/" if method == "post" else f"/api/models/{offline_model.pk}/"

    response = getattr(client, method)(url, body, content_type="application/json")

    assert response.status_code in (403, 405)
    assert DetectionModel.objects.get(pk=offline_model.pk).weights == offline_model.weights
    assert not DetectionModel.objects.filter(name="Evil").exists()


def test_a_file_stored_from_code_gets_its_sha256_too(offline_model):
    offline_model.weights_file.save("own.onnx", SimpleUploadedFile("own.onnx", ONNX))

    assert DetectionModel.objects.get(pk=offline_model.pk).weights_sha256 == hashlib.sha256(ONNX).hexdigest()
