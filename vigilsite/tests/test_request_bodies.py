"""A body the server cannot read (nested too deeply, too big) is the client's 400/413, never a 500."""

from __future__ import annotations

import json

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from cameras.tests.factories import CameraFactory
from events.services import event_open_system
from vigilsite.request_errors import BodyErrorMiddleware

NESTED = "[" * 5000


@pytest.fixture
def operator_client(db, make_user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(make_user("olga", "Operators", staff=True))
    return client


def test_the_api_refuses_json_nested_too_deeply_with_a_json_400(operator_client):
    camera = CameraFactory(source_url="rtsp://10.0.0.7/stream", name="Gate")
    event = event_open_system(camera=camera, label="fault", title="Fault", detail="", severity="high")
    response = operator_client.post(f"/api/events/{event.pk}/acknowledge/", NESTED, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


def test_a_too_big_api_body_is_a_json_413(admin_client):
    body = json.dumps({"name": "Big", "labels": ["person"], "recommended_actions": "x" * 3_000_000})
    response = admin_client.post("/api/rules/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {"detail": "Request body too large."}


def test_a_too_big_form_body_is_a_400_page(admin_client):
    response = admin_client.post(reverse("admin:events_threatrule_add"), {"name": "x" * 3_000_000})
    assert response.status_code == 400


def _nested_view(request):
    return json.loads(request.body)


@pytest.mark.parametrize("path", ["/api/anything/", "/admin/anything/"])
def test_a_recursion_error_left_by_any_reader_is_a_400(path):
    request = RequestFactory().post(path, NESTED, content_type="application/json")
    middleware = BodyErrorMiddleware(_nested_view)
    try:
        _nested_view(request)
    except RecursionError as error:
        response = middleware.process_exception(request, error)
    assert response.status_code == 400
    if path.startswith("/api/"):
        assert json.loads(response.content) == {"detail": "Bad request."}
