"""What the run log shows of refused requests: one line each (403, 401, CSRF), never a traceback."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from django.test import Client

from cameras.tests.factories import CameraFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def console() -> Iterator[io.StringIO]:
    """What the configured console handler (the run log) writes, for the duration of the test."""
    [handler] = [h for h in logging.getLogger("django").handlers if h.get_name() == "console"]
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def _request_lines(log: str) -> list[str]:
    """Every line but those of other loggers (axes' login lines): a traceback's lines are kept too."""
    return [line for line in log.splitlines() if line.strip() and " axes." not in line]


def test_a_permission_denied_in_a_view_is_one_line_without_a_traceback(client, make_user, console):
    camera = CameraFactory(name="Gate")
    client.force_login(make_user("nobody"))  # logged in, no role: may not view cameras

    response = client.get(f"/cameras/{camera.slug}/latest.jpg")

    assert response.status_code == 403
    [line] = _request_lines(console.getvalue())
    assert line.endswith(f"WARNING django.request: Forbidden (Permission denied): /cameras/{camera.slug}/latest.jpg")


def test_api_refusals_and_csrf_failures_are_one_line_each(client, make_user, console):
    client.force_login(make_user("vera", "Viewers"))
    assert client.post("/api/cameras/", {}, content_type="application/json").status_code == 403
    assert Client().get("/api/cameras/").status_code == 401
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/accounts/login/", {"username": "x", "password": "y"}).status_code == 403

    lines = _request_lines(console.getvalue())

    assert len(lines) == 3, lines
    assert lines[0].endswith("Forbidden: /api/cameras/") and lines[1].endswith("Unauthorized: /api/cameras/")
    assert lines[2].endswith("Forbidden (CSRF cookie not set.): /accounts/login/")


def test_an_unhealthy_probe_is_said_once_when_it_changes_not_as_an_error_per_probe(client, console, monkeypatch):
    from system import services

    monkeypatch.setattr(services, "_last_failing", None)
    first, second = client.get("/healthz"), client.get("/healthz")  # no workers run in this test: not ok
    assert first.status_code == second.status_code == 503

    lines = _request_lines(console.getvalue())
    assert not [line for line in lines if "Service Unavailable" in line]  # the answer is not a server error
    said = [line for line in lines if "health: not ok (" in line]
    assert len(said) == 1 and " WARNING system.services: health: not ok (" in said[0] and "workers." in said[0]
