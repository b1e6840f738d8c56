"""People flow in a real browser (chromium) on real daphne and Redis: drawing a line, live counters."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cameras import frame_store
from cameras.models import Camera
from cameras.tests.factories import CameraFactory
from conftest import browser_log_in
from core.broadcast import broadcasts_flush
from detection.tests.frames import photo
from flow import crossing
from flow.live import counters_publish
from flow.models import CountingLine
from flow.services import crossings_record

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_an_administrator_redraws_a_counting_line_over_the_latest_frame(browser, asgi_server, make_user,
                                                                          artifacts_dir):  # fmt: skip
    camera = CameraFactory(name="Square", slug="square")
    frame_store.latest_frame_save(camera.pk, photo("bus.jpg"))
    Camera.objects.filter(pk=camera.pk).update(last_frame_at=timezone.now())
    line = CountingLine.objects.create(camera=camera, name="Door", start=[0.1, 0.2], end=[0.3, 0.2])
    admin = make_user("root", "Administrators", staff=True)
    page = browser_log_in(
        browser, asgi_server, admin, f"/admin/flow/countingline/{line.pk}/change/", login_url="/admin/login/"
    )

    editor = page.locator("[data-zone-editor][data-mode=line]")  # the line's; the door area has its own
    frame = editor.locator("img[data-frame]")
    page.wait_for_function("() => document.querySelector('[data-mode=line] [data-frame]').naturalWidth > 0")
    frame.scroll_into_view_if_needed()
    box = frame.bounding_box()
    for x, y in [(0.15, 0.75), (0.85, 0.7)]:  # a new line: the first click starts over
        page.mouse.click(box["x"] + x * box["width"], box["y"] + y * box["height"])
    expect(editor.locator("circle")).to_have_count(2)
    page.select_option("select[name=in_side]", "left")
    arrow = editor.locator("[data-arrow]").get_attribute("points")
    assert arrow and len(arrow.split()) == 5  # the arrow towards the in side is drawn
    page.screenshot(path=str(artifacts_dir / "flow-line-editor.png"))
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    line.refresh_from_db()
    assert line.in_side == "left"
    for got, want in zip([line.start, line.end], [(0.15, 0.75), (0.85, 0.7)], strict=True):
        assert abs(got[0] - want[0]) < 0.01 and abs(got[1] - want[1]) < 0.01, (line.start, line.end)
    page.close()


def test_the_flow_dashboard_counts_live(browser, asgi_server, make_user, artifacts_dir):
    camera = CameraFactory(name="Gate")
    line = CountingLine.objects.create(camera=camera, name="Gate", start=[0.1, 0.5], end=[0.9, 0.5])
    viewer = make_user("vera", "Viewers")
    page = browser_log_in(browser, asgi_server, viewer, "/flow/")
    card = page.locator(f'.counter[data-camera="{camera.pk}"]')
    expect(card.locator('[data-field="current"]')).to_have_text("0")
    page.wait_for_timeout(1000)  # the WebSocket opens

    found = [(crossing.Crossing(line.pk, i, "person", crossing.IN, 0), timezone.now()) for i in (1, 2, 3)]
    crossings_record(lines={line.pk: line}, found=found)
    counters_publish(camera)
    broadcasts_flush()
    expect(card.locator('[data-field="current"]')).to_have_text("3")  # pushed, not reloaded
    expect(card.locator('[data-field="entry"]')).to_have_text("3")
    page.screenshot(path=str(artifacts_dir / "flow-dashboard.png"), full_page=True)
    page.close()


def test_the_line_editor_draws_over_the_camera_chosen_in_the_form_and_warns_of_a_snapshot_camera(
    browser, asgi_server, make_user
):
    square = CameraFactory(name="Square", slug="square", capture_mode="stream")
    gate = CameraFactory(name="Gate", slug="gate")  # a snapshot camera
    dark = CameraFactory(name="Dark", slug="dark")  # no frame yet
    for camera in (square, gate):
        frame_store.latest_frame_save(camera.pk, photo("bus.jpg"))
    Camera.objects.filter(pk__in=[square.pk, gate.pk]).update(last_frame_at=timezone.now())
    admin = make_user("root", "Administrators", staff=True)
    page = browser_log_in(browser, asgi_server, admin, "/admin/flow/countingline/add/", login_url="/admin/login/")
    editor = page.locator("[data-zone-editor][data-mode=line]")
    frame = editor.locator("img[data-frame]")
    # No camera chosen yet: no picture of some other camera, and the editor says what to do.
    expect(editor.locator("[data-camera-note]")).to_contain_text("Choose the camera above")
    assert frame.get_attribute("src") is None

    def choose(camera) -> None:  # through the admin's autocomplete box, as a user does
        page.click("#id_camera + .select2")
        page.fill(".select2-search__field", camera.name)
        page.click(f".select2-results__option:text-is('{camera.name}')")

    choose(gate)
    page.wait_for_function("() => document.querySelector('[data-mode=line] [data-frame]').src.includes('/gate/')")
    choose(dark)
    expect(editor.locator("[data-camera-note]")).to_contain_text("has no frame yet")
    page.wait_for_function("() => !document.querySelector('[data-mode=line] [data-frame]').hasAttribute('src')")
    choose(gate)
    page.wait_for_function("() => document.querySelector('[data-mode=line] [data-frame]').naturalWidth > 0")
    assert "/cameras/gate/latest.jpg" in frame.get_attribute("src")
    box = frame.bounding_box()
    for x, y in [(0.2, 0.7), (0.8, 0.7)]:
        page.mouse.click(box["x"] + x * box["width"], box["y"] + y * box["height"])
    page.fill("input[name=name]", "Gate line")
    page.click("input[name=_save]")
    # Saved, with the reason it will not count: the gate is a snapshot camera.
    expect(page.locator(".messagelist .warning")).to_contain_text("counts only when the camera is in stream mode")
    assert CountingLine.objects.get(name="Gate line").camera == gate
    page.close()
