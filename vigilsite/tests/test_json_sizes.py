"""Every free text and JSON value has a realistic size and shape, however it arrives: the API answers
400 naming the field, the admin form and ``full_clean`` give a field error (core/bounds.py)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import models

from core.bounds import NAME_MAX_LENGTH, NAMES_MAX_ITEMS, POLYGON_MAX_POINTS, TEXT_MAX_LENGTH
from detection.models import DetectionModel
from flow.models import CountingLine, CountingZone
from notifications.models import NotificationChannel
from vigilsite.tests.test_bounds import vigil_models

SIZED = [
    pytest.param(field, id=f"{model._meta.label}.{field.name}")
    for model in vigil_models()
    for field in model._meta.concrete_fields
    if isinstance(field, models.JSONField | models.TextField)
]
# Too large in every shape a JSON field might take: a long list, a large object, a long string.
HUGE_JSON = [["x"] * 200_000, {f"k{i}": 1 for i in range(200_000)}, "x" * 2_000_000]


def test_the_walk_finds_the_json_and_text_fields():
    assert len(SIZED) >= 20


@pytest.mark.parametrize("field", SIZED)
def test_every_json_and_text_field_refuses_an_unrealistic_size(field):
    values = ["x" * (TEXT_MAX_LENGTH + 1)] if isinstance(field, models.TextField) else HUGE_JSON
    for value in values:
        with pytest.raises(ValidationError):
            field.run_validators(value)


RULE = {"name": "Night square", "labels": ["person"], "severity": "high", "zone": [[0, 0.5], [1, 0.5], [1, 1]]}
CAMERA = {"name": "Probe", "latitude": "52.1", "longitude": "4.1", "source_url": "rtsp://127.0.0.1:8554/cam"}
MANY_CLASSES = {f"c{i}": "person" for i in range(201)}
SQUARE = [[0.1, 0.1], [0.9, 0.1], [0.9, 0.9], [0.1, 0.9]]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/cameras/", {**CAMERA, "tags": ["t"] * 100_000}, "tags"),
        ("/api/cameras/", {**CAMERA, "tags": ["x" * (NAME_MAX_LENGTH + 1)]}, "tags"),
        ("/api/cameras/", {**CAMERA, "description": "d" * (TEXT_MAX_LENGTH + 1)}, "description"),
        ("/api/rules/", {**RULE, "zone": SQUARE * 25_000}, "zone"),
        ("/api/rules/", {**RULE, "zone": [[0.5, 0.5]] * (POLYGON_MAX_POINTS + 1)}, "zone"),
        ("/api/rules/", {**RULE, "zone": [[0, 0], [0, 0], [0, 0]]}, "zone"),
        ("/api/rules/", {**RULE, "zone": [[0, 0], [0.5, 0.5], [1, 1]]}, "zone"),  # on one line
        ("/api/rules/", {**RULE, "zone": [[True, False], [1, 0], [1, 1]]}, "zone"),
        ("/api/rules/", {**RULE, "labels": [f"l{i}" for i in range(100_000)]}, "labels"),
        ("/api/rules/", {**RULE, "labels": ["p" * 10_000]}, "labels"),
        ("/api/rules/", {**RULE, "recommended_actions": "a" * (TEXT_MAX_LENGTH + 1)}, "recommended_actions"),
    ],
    ids=[
        "100k tags", "long tag", "long description", "100k zone points", "101 zone points", "zero-area zone",
        "flat zone", "boolean point", "100k labels", "10k-character label", "long recommended actions",
    ],
)  # fmt: skip
def test_the_api_refuses_unrealistic_json_and_text_naming_the_field(admin_client, path, body, field):
    response = admin_client.post(path, body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert list(response.json()) == [field]


@pytest.mark.django_db
def test_the_api_keeps_realistic_values(admin_client):
    rule = admin_client.post(
        "/api/rules/", {**RULE, "zone": SQUARE, "labels": [f"l{i}" for i in range(NAMES_MAX_ITEMS)]},
        content_type="application/json",
    )  # fmt: skip
    camera = admin_client.post(
        "/api/cameras/", {**CAMERA, "tags": ["entrance"], "description": "d" * TEXT_MAX_LENGTH},
        content_type="application/json",
    )  # fmt: skip
    assert rule.status_code == 201 and camera.status_code == 201


@pytest.mark.parametrize(
    ("instance", "field"),
    [
        (DetectionModel(name="m", weights="yolo11n.pt", label_map=MANY_CLASSES), "label_map"),
        (DetectionModel(name="m", weights="yolo11n.pt", label_map={"car": "v" * 51}), "label_map"),
        (DetectionModel(name="m", weights="yolo11n.pt", keep_labels=["person"] * 101), "keep_labels"),
        (NotificationChannel(name="c", kind="email", recipients="a@example.org", districts=["d"] * 101), "districts"),
        (CountingZone(name="z", polygon=[[0.2, 0.2], [0.2, 0.2], [0.2, 0.2]]), "polygon"),
        (CountingLine(name="l", start=[True, False], end=[1, 1]), "start"),
    ],
    ids=["201-class label map", "long mapped label", "101 kept labels", "101 districts", "zero-area polygon",
         "boolean line point"],
)  # fmt: skip
def test_full_clean_refuses_them_with_a_field_error(instance, field):
    with pytest.raises(ValidationError) as caught:
        instance.clean_fields()
    assert field in caught.value.message_dict
