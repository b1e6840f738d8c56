"""The events CSV export is safe to open in a spreadsheet: typed-in text never runs as a formula."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cameras.tests.factories import CameraFactory
from events.models import Event, ThreatRule

pytestmark = pytest.mark.django_db

FORMULAS = ['=HYPERLINK("http://127.0.0.1/?"&A1)', "+1+2", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]


def _rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.parametrize("formula", FORMULAS)
def test_it_writes_formula_like_camera_rule_and_note_text_as_text(client, make_user, formula):
    # West of Greenwich: the longitude is negative and must stay a number the spreadsheet can use.
    camera = CameraFactory(name=f"{formula} cam", longitude=Decimal("-74.006"))
    rule = ThreatRule.objects.create(name=f"{formula} rule", labels=["person"])
    now = timezone.now()
    Event.objects.create(
        camera=camera, rule=rule, label="person", title="Crowd", severity="high", status="resolved",
        latitude=camera.latitude, longitude=camera.longitude, first_seen=now, last_seen=now,
        resolved_at=now, resolution_note=f"{formula} note",
    )  # fmt: skip
    client.force_login(make_user("vera", "Viewers", staff=True))

    [row] = _rows(client.get(reverse("admin:events_event_export") + "?status=all"))

    assert row["camera"] == f"'{formula} cam"
    assert row["rule"] == f"'{formula} rule"
    assert row["resolution_note"] == f"'{formula} note"
    assert row["longitude"] == "-74.006000" and row["title"] == "Crowd"


def test_the_selected_events_export_is_escaped_too(client, make_user):
    camera = CameraFactory(name="=1+1")
    now = timezone.now()
    event = Event.objects.create(
        camera=camera, label="person", title="@cmd", latitude=camera.latitude, longitude=camera.longitude,
        first_seen=now, last_seen=now,
    )  # fmt: skip
    client.force_login(make_user("vera", "Viewers", staff=True))

    response = client.post(
        reverse("admin:events_event_changelist"), {"action": "export_csv", "_selected_action": [event.pk]}
    )

    [row] = _rows(response)
    assert (row["camera"], row["title"]) == ("'=1+1", "'@cmd")
