"""The camera form in a real browser (chromium) on real daphne."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cameras.tests.factories import CameraFactory
from conftest import browser_log_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_the_position_map_sits_under_the_place_fields_and_sets_them(browser, asgi_server, make_user):
    camera = CameraFactory(name="Quay")
    admin = make_user("root", "Administrators", staff=True)
    page = browser_log_in(browser, asgi_server, admin, f"/admin/cameras/camera/{camera.pk}/change/",
                          login_url="/admin/login/")  # fmt: skip
    expect(page.locator("#camera-map .leaflet-marker-icon")).to_be_visible()
    # The section after the one holding the latitude is the map, not the source or detection settings.
    next_section = "document.getElementById('id_latitude').closest('fieldset').nextElementSibling"
    assert page.evaluate(f"() => !!{next_section}.querySelector('#camera-map')")
    before = page.input_value("#id_latitude")
    page.locator("#camera-map").scroll_into_view_if_needed()
    box = page.locator("#camera-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.2)
    assert page.input_value("#id_latitude") != before  # the click set the position
    page.close()
