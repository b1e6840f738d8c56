"""The flow dashboard, its CSV export and occupancy corrections in the admin: who may, and what they show."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.roles import OPERATORS, VIEWERS
from cameras.tests.factories import CameraFactory
from detection.services import count_sample_record
from flow import crossing
from flow.models import CountingLine, Occupancy, OccupancyCorrection
from flow.services import crossings_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def gate():
    camera = CameraFactory(name="Station gate")
    line = CountingLine.objects.create(camera=camera, name="Gate", start=[0.1, 0.5], end=[0.9, 0.5])
    now = timezone.now()
    found = [(crossing.Crossing(line.pk, i, "person", crossing.IN if i < 4 else crossing.OUT, 0),
              now - timedelta(minutes=i)) for i in range(5)]  # fmt: skip
    crossings_record(lines={line.pk: line}, found=found)
    count_sample_record(camera=camera, captured_at=now - timedelta(minutes=2), counts={"person": 3})
    return line


def _login(client, make_user, role, username=None):
    user = make_user(username or role.lower(), role)
    client.force_login(user)
    return user


def test_the_dashboard_needs_a_login_and_a_role(client, make_user, gate):
    assert client.get("/flow/").status_code == 302
    assert client.get("/flow/export.csv").status_code == 302
    client.force_login(make_user("nobody"))
    assert client.get("/flow/").status_code == 403
    assert client.get("/flow/export.csv?start=2026-11-22&end=2026-11-23").status_code == 403


def test_a_viewer_sees_counters_and_charts_drawn_by_the_server(client, make_user, gate):
    _login(client, make_user, VIEWERS)
    page = client.get(f"/flow/?camera={gate.camera_id}&range=hour").content.decode()
    assert "Station gate" in page
    # The exit came first (someone already inside at the start): never below zero, so 4, not 3.
    assert '<span class="big" data-field="current">4</span>' in page
    assert "4 in, 1 out in the last hour" in page
    assert page.count("<rect") >= 5  # one bar per minute with a crossing
    assert "entries: 1</title>" in page and "exits: 1</title>" in page
    assert "Occupancy: Station gate" in page
    assert "cdn" not in page.lower()
    assert client.get("/flow/?range=day").status_code == 200


def test_the_csv_export_has_every_minute_of_the_range(client, make_user, gate):
    _login(client, make_user, VIEWERS)
    start = (timezone.now() - timedelta(hours=1)).isoformat()
    end = (timezone.now() + timedelta(minutes=1)).isoformat()
    response = client.get("/flow/export.csv", {"start": start, "end": end, "camera": gate.camera_id})
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["minute", "camera", "line", "label", "entries", "exits"]
    assert sum(int(r[4]) for r in rows[1:]) == 4 and sum(int(r[5]) for r in rows[1:]) == 1
    occupancy = client.get("/flow/export.csv", {"start": start, "end": end, "kind": "occupancy"})
    rows = list(csv.reader(io.StringIO(b"".join(occupancy.streaming_content).decode())))
    assert rows[0] == ["minute", "scope", "name", "label", "value", "peak"]
    assert {r[1] for r in rows[1:]} == {"camera"} and max(int(r[5]) for r in rows[1:]) == 4


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "yesterday", "end": "2026-11-22"}, "start: give an ISO 8601 date and time"),
        ({"start": "2026-11-22"}, "Give start and end"),
        ({"start": "2026-11-22T10:00", "end": "2026-11-22T09:00"}, "end after start"),
        ({"start": "2026-01-01", "end": "2026-11-22"}, "At most 93 days"),
        ({"start": "2026-11-21", "end": "2026-11-22", "kind": "faces"}, "kind is crossings or occupancy"),
    ],
)
def test_a_bad_export_request_says_why(client, make_user, gate, query, message):
    _login(client, make_user, VIEWERS)
    response = client.get("/flow/export.csv", query)
    assert response.status_code == 400 and message in response.content.decode()


def test_an_operator_corrects_an_occupancy_in_the_admin_and_a_viewer_cannot(client, make_user, gate):
    occupancy = Occupancy.objects.get(camera=gate.camera, label="person")
    viewer = make_user("viewer", VIEWERS, staff=True)
    client.force_login(viewer)
    assert client.post(f"/admin/flow/occupancy/{occupancy.pk}/correct/", {"value": 0}).status_code == 403
    client.logout()

    operator = make_user("operator", OPERATORS, staff=True)
    client.force_login(operator)
    refused = client.post(f"/admin/flow/occupancy/{occupancy.pk}/correct/", {"value": -2})
    assert refused.status_code == 200 and "greater than or equal to 0" in refused.content.decode()
    done = client.post(f"/admin/flow/occupancy/{occupancy.pk}/correct/", {"value": 7, "note": "headcount"})
    assert done.status_code == 302
    occupancy.refresh_from_db()
    correction = OccupancyCorrection.objects.get()
    assert (occupancy.current, correction.previous, correction.user, correction.note) == (7, 4, operator, "headcount")
    assert "headcount" in client.get(f"/admin/flow/occupancy/{occupancy.pk}/change/").content.decode()
