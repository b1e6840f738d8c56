"""Counting lines in the admin: Administrators draw them, others only look; crossings are read only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from accounts.roles import ADMINISTRATORS, OPERATORS, VIEWERS
from cameras.tests.factories import CameraFactory
from flow.models import Area, CountingLine, Crossing, Occupancy

pytestmark = pytest.mark.django_db


def _login(client, make_user, role):
    user = make_user(role.lower(), role, staff=True)
    client.force_login(user)


def test_an_administrator_adds_a_line_and_bad_points_are_refused_with_the_reason(client, make_user):
    _login(client, make_user, ADMINISTRATORS)
    camera = CameraFactory()
    form = {"camera": camera.pk, "name": "Entrance", "points": "[[0.1, 1.4], [0.9, 0.6]]", "in_side": "right",
            "band_px": "4", "door": "", "enabled": "on"}  # fmt: skip
    refused = client.post("/admin/flow/countingline/add/", form)
    assert refused.status_code == 200 and "between 0 and 1" in refused.content.decode()
    for points, reason in [("[[0.1, 0.6]]", "two points"), ("[[0.5, 0.5], [0.5, 0.5]]", "must differ"),
                           ("0.1, 0.6", "as JSON")]:  # fmt: skip
        refused = client.post("/admin/flow/countingline/add/", form | {"points": points})
        assert refused.status_code == 200 and reason in refused.content.decode()
    assert not CountingLine.objects.exists()

    done = client.post("/admin/flow/countingline/add/", form | {"points": "[[0.1, 0.6], [0.9, 0.6]]"})
    assert done.status_code == 302
    line = CountingLine.objects.get()
    assert (line.start, line.end, line.in_side, line.door) == ([0.1, 0.6], [0.9, 0.6], "right", [])


def test_lines_and_zones_are_drawn_over_the_cameras_latest_frame(admin_client):
    from cameras import frame_store
    from cameras.models import Camera
    from detection.tests.frames import photo

    camera = CameraFactory(name="Hall", slug="hall")
    frame_store.latest_frame_save(camera.pk, photo("bus.jpg"))
    Camera.objects.filter(pk=camera.pk).update(last_frame_at=camera.created_at)
    line = CountingLine.objects.create(camera=camera, name="Door", start=[0.2, 0.7], end=[0.8, 0.7])
    page = admin_client.get(f"/admin/flow/countingline/{line.pk}/change/").content.decode()
    assert 'data-mode="line"' in page and 'value="hall"' in page and "events/zone_editor.js" in page
    assert "[[0.2, 0.7], [0.8, 0.7]]" in page  # the stored line, ready to be redrawn
    zone_page = admin_client.get("/admin/flow/countingzone/add/").content.decode()
    assert 'data-mode="zone"' in zone_page and 'value="hall"' in zone_page


@pytest.mark.parametrize("role", [VIEWERS, OPERATORS])
def test_viewers_and_operators_see_lines_and_crossings_but_change_nothing(client, make_user, role):
    _login(client, make_user, role)
    camera = CameraFactory()
    line = CountingLine.objects.create(camera=camera, name="Entrance", start=[0.1, 0.6], end=[0.9, 0.6])
    Crossing.objects.create(camera=camera, line=line, at=datetime(2026, 11, 22, 8, tzinfo=UTC), track_id=4,
                            label="person", direction="in")  # fmt: skip
    assert client.get("/admin/flow/countingline/").status_code == 200
    crossings = client.get("/admin/flow/crossing/").content.decode()
    assert "1 crossing" in crossings and "Entrance" in crossings
    assert client.get("/admin/flow/countingline/add/").status_code == 403
    client.post(f"/admin/flow/countingline/{line.pk}/change/", {"name": "Moved", "camera": camera.pk,
                                                                "start": "[0, 0]", "end": "[1, 1]"})  # fmt: skip
    line.refresh_from_db()
    assert line.name == "Entrance"


def test_nobody_edits_a_crossing(admin_client):
    camera = CameraFactory()
    line = CountingLine.objects.create(camera=camera, name="Entrance", start=[0.1, 0.6], end=[0.9, 0.6])
    crossing = Crossing.objects.create(camera=camera, line=line, at=datetime(2026, 11, 22, 8, tzinfo=UTC),
                                       track_id=4, label="person", direction="in")  # fmt: skip
    assert admin_client.get("/admin/flow/crossing/add/").status_code == 403
    admin_client.post(f"/admin/flow/crossing/{crossing.pk}/change/", {"direction": "out"})
    crossing.refresh_from_db()
    assert crossing.direction == "in"


def test_a_correction_past_the_largest_venue_or_with_a_line_break_is_refused_with_a_field_error(client, make_user):
    _login(client, make_user, ADMINISTRATORS)
    occupancy = Occupancy.objects.create(area=Area.objects.create(name="Hall"), label="person",
                                         period_start=timezone.now())  # fmt: skip
    url = f"/admin/flow/occupancy/{occupancy.pk}/correct/"

    page = client.post(url, {"value": 2**40, "note": "counted\nby hand"})

    assert page.status_code == 200  # the form again, with its errors: no 500
    errors = page.context["form"].errors
    assert "less than or equal to 1000000" in str(errors["value"]) and "line breaks" in str(errors["note"])
    occupancy.refresh_from_db()
    assert occupancy.current == 0 and not occupancy.corrections.exists()


def test_the_door_area_editor_says_what_an_empty_door_means(admin_client):
    page = admin_client.get("/admin/flow/countingline/add/").content.decode()
    assert 'data-empty="No door area: people first seen within half their height past the line count."' in page
