"""The flow CSV export is safe to open in a spreadsheet: names typed by people never run as formulas."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.roles import VIEWERS
from cameras.tests.factories import CameraFactory
from flow import crossing
from flow.models import CountingLine, Occupancy, OccupancyMinute
from flow.services import crossings_record

pytestmark = pytest.mark.django_db


def _rows(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.parametrize("formula", ['=HYPERLINK("http://127.0.0.1/")', "+1", "-1+1", "@A1", "\t=1", "\r=1"])
def test_it_writes_formula_like_camera_and_line_names_as_text(client, make_user, formula):
    camera = CameraFactory(name=f"{formula} cam")
    line = CountingLine.objects.create(camera=camera, name=f"{formula} line", start=[0.1, 0.5], end=[0.9, 0.5])
    moment = timezone.now() - timedelta(minutes=2)
    crossings_record(lines={line.pk: line}, found=[(crossing.Crossing(line.pk, 1, "person", crossing.IN, 0), moment)])
    client.force_login(make_user("vera", VIEWERS))
    span = {"start": (moment - timedelta(hours=1)).isoformat(), "end": timezone.now().isoformat()}

    header, row = _rows(client.get("/flow/export.csv", span))

    assert header == ["minute", "camera", "line", "label", "entries", "exits"]
    assert row[1:] == [f"'{formula} cam", f"'{formula} line", "person", "1", "0"]


def test_the_occupancy_export_escapes_names_and_keeps_numbers(client, make_user):
    camera = CameraFactory(name="-Dam")
    CountingLine.objects.create(camera=camera, name="Door", start=[0.1, 0.5], end=[0.9, 0.5])
    occupancy = Occupancy.objects.create(camera=camera, label="person", period_start=timezone.now())
    minute = (timezone.now() - timedelta(minutes=3)).replace(second=0, microsecond=0)
    OccupancyMinute.objects.create(occupancy=occupancy, minute=minute, value=2, peak=3)
    client.force_login(make_user("vera", VIEWERS))
    span = {"start": (minute - timedelta(hours=1)).isoformat(), "end": timezone.now().isoformat(), "kind": "occupancy"}

    rows = _rows(client.get("/flow/export.csv", span))

    assert rows[1][1:] == ["camera", "'-Dam", "person", "2", "3"]
