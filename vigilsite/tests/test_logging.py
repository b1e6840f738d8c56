"""What the run log shows of refused requests: one line each (403, 401, CSRF), never a traceback."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from django.test import Client

from cameras.tests.factories import make_camera

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
    camera = make_camera("file:///dev/null", name="Gate")
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
