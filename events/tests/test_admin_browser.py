"""The threat-handling panel in a real browser (chromium) on real daphne, Redis and the real pipeline."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from cameras import frame_store
from cameras.models import Camera
from cameras.tests.factories import CameraFactory
from conftest import browser_log_in
from detection.tests.frames import photo
from events.models import Event, EventAction, ThreatRule
from events.tests.scenes import crowd_event

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _admin_log_in(browser, server, user, next_url: str) -> Page:
    return browser_log_in(browser, server, user, next_url, login_url="/admin/login/")


def test_an_operator_reads_the_recommended_actions_and_dispatches_with_a_note(
    browser, asgi_server, make_user, offline_model, artifacts_dir
):
    event = crowd_event()
    operator = make_user("olga", "Operators", staff=True)
    page = _admin_log_in(browser, asgi_server, operator, f"/admin/events/event/{event.pk}/change/")

    expect(page.locator("#recommended-actions")).to_contain_text("Keep the platform clear.")
    assert page.locator(".event-snapshot img").evaluate("img => img.complete && img.naturalWidth > 0")
    expect(page.locator(".event-detections tbody tr")).to_have_count(len(event.detections))
    page.wait_for_function("window.vigilEventPerimeter !== undefined")
    assert page.evaluate("window.vigilEventPerimeter.getRadius()") == 120

    # A note is required to resolve: the browser stops the empty form, the server would refuse it too.
    page.locator("#workflow summary", has_text="Resolve").click()
    page.locator('#workflow form[data-action="resolve"] button').click()
    assert Event.objects.get(pk=event.pk).status == Event.Status.NEW

    page.locator("#workflow summary", has_text="Dispatch").click()
    dispatch = page.locator('#workflow form[data-action="dispatch"]')
    dispatch.locator("input[name=dispatched_to]").fill("Unit 12")
    dispatch.locator("textarea[name=note]").fill("Warden asked to clear the platform")
    page.screenshot(path=str(artifacts_dir / "admin-event-before-dispatch.png"), full_page=True)
    dispatch.get_by_role("button", name="Dispatch").click()

    expect(page.locator(".messagelist")).to_contain_text(f"Event #{event.pk}: dispatch — now dispatched.")
    expect(page.locator(".event-head")).to_contain_text("Dispatched")
    expect(page.locator(".event-head")).to_contain_text("assigned to olga")
    expect(page.locator("#actions-group")).to_contain_text("Warden asked to clear the platform")
    expect(page.locator("#workflow summary", has_text="Dispatch")).to_have_count(0)
    page.screenshot(path=str(artifacts_dir / "admin-event-dispatched.png"), full_page=True)

    step = EventAction.objects.get(event=event)
    assert (step.action, step.user, step.dispatched_to) == ("dispatch", operator, "Unit 12")
    assert step.note == "Warden asked to clear the platform"
    assert Event.objects.get(pk=event.pk).status == Event.Status.DISPATCHED
    page.close()


def test_the_event_list_announces_new_events_and_refreshes_with_its_filters(
    browser, asgi_server, make_user, offline_model, artifacts_dir
):
    operator = make_user("olga", "Operators", staff=True)
    listing = "/admin/events/event/?severity__exact=critical"
    page = _admin_log_in(browser, asgi_server, operator, listing)
    expect(page.locator("#live-banner")).to_have_attribute("data-connection", "live", timeout=20_000)
    expect(page.locator("#live-banner")).to_be_hidden()

    event = crowd_event()

    banner = page.locator("#live-banner")
    expect(banner).to_be_visible(timeout=15_000)
    expect(banner).to_contain_text("1 new event — click to refresh the list")
    page.screenshot(path=str(artifacts_dir / "admin-list-new-event-banner.png"))
    banner.get_by_role("button").click()

    expect(page.locator("#result_list")).to_contain_text(event.title)
    assert page.url == f"{asgi_server.url}{listing}"
    expect(page.locator("#live-banner")).to_be_hidden()
    page.close()


def test_an_administrator_draws_a_rule_zone_over_the_cameras_latest_frame(browser, asgi_server, make_user):
    camera = CameraFactory(name="Square", slug="square")
    frame_store.latest_frame_save(camera.pk, photo("bus.jpg"))
    Camera.objects.filter(pk=camera.pk).update(last_frame_at=timezone.now())
    admin = make_user("root", staff=True)
    admin.is_superuser = True
    admin.save()
    page = _admin_log_in(browser, asgi_server, admin, "/admin/events/threatrule/add/")

    frame = page.locator("[data-zone-editor] img[data-frame]")
    page.wait_for_function("() => document.querySelector('[data-frame]').naturalWidth > 0")
    corners = [(0.2, 0.5), (0.8, 0.5), (0.8, 0.95), (0.2, 0.95)]

    def click(x: float, y: float) -> None:
        frame.scroll_into_view_if_needed()
        box = frame.bounding_box()
        page.mouse.click(box["x"] + x * box["width"], box["y"] + y * box["height"])

    for x, y in corners:
        click(x, y)
    page.get_by_role("button", name="Undo last point").click()
    click(*corners[-1])
    expect(page.locator("[data-zone-editor] circle")).to_have_count(4)

    page.fill("input[name=name]", "Square, bottom half")
    page.fill("input[name=labels]", "person")  # words separated by commas
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    zone = ThreatRule.objects.get(name="Square, bottom half").zone
    assert len(zone) == 4
    for (x, y), (want_x, want_y) in zip(zone, corners, strict=True):
        assert abs(x - want_x) < 0.01 and abs(y - want_y) < 0.01, (zone, corners)
    page.close()


def test_the_event_list_says_the_session_ended_and_stops_reconnecting(browser, asgi_server, make_user):
    from django.contrib.sessions.models import Session

    page = _admin_log_in(browser, asgi_server, make_user("olga", "Operators", staff=True), "/admin/events/event/")
    banner = page.locator("#live-banner")
    expect(banner).to_have_attribute("data-connection", "live", timeout=20_000)
    reconnects = []
    page.on("websocket", lambda socket: reconnects.append(socket.url))

    Session.objects.all().delete()  # logged out elsewhere, or by an administrator

    expect(banner).to_have_attribute("data-connection", "logged-out", timeout=15_000)
    expect(banner).to_contain_text("Your session has ended")
    page.wait_for_timeout(3000)  # an absence cannot be waited for: the old client retried after 1 s
    assert reconnects == []
    banner.get_by_role("button").click()
    expect(page).to_have_url(f"{asgi_server.url}/accounts/login/?next=/admin/events/event/")
    page.close()


def _right_edges_fit(page: Page, selector: str, width: int) -> list[str]:
    """The cells of ``selector`` that end beyond ``width`` px, in a scrolled-away part of their table, or
    whose text spills over their neighbours."""
    return page.evaluate(
        """([selector, width]) => [...document.querySelectorAll(selector)].filter((cell) => {
             const box = cell.getBoundingClientRect(), results = cell.closest('.results');
             return box.right > width || (results && results.scrollWidth > results.clientWidth)
               || cell.scrollWidth > cell.clientWidth + 1;
           }).map((cell) => cell.className || cell.textContent.trim())""",
        [selector, width],
    )


def test_the_work_queue_the_camera_list_and_the_dashboard_fit_a_1366_px_screen(browser, asgi_server, make_user):
    from events.services import event_open_system

    long_name = "Central Station Concourse North Entrance Platform 4 (east stairs)"
    error = "Connection refused by rtsp://10.0.0.5:554/stream1 after 3 attempts; retrying"
    camera = CameraFactory(name=long_name, last_error=error)
    for label in ("camera_offline", "camera_stalled", "camera_moved"):  # three open events of the camera
        event_open_system(camera=camera, label=label, title=f"{long_name}: {label}", detail="", severity="high")
    operator = make_user("olga", "Operators", staff=True)
    page = browser_log_in(browser, asgi_server, operator, "/admin/events/event/", login_url="/admin/login/",
                          width=1366, height=768)  # fmt: skip
    headers = page.locator("#result_list thead th")
    expect(headers.last).to_contain_text("Assignee", ignore_case=True)
    assert _right_edges_fit(page, "#result_list th, #result_list td", 1366) == []
    assert page.locator("#result_list td.field-seen time").count() == 6  # first and last seen, one column

    page.goto(f"{asgi_server.url}/admin/cameras/camera/")
    expect(page.locator("#result_list td.field-last_error")).to_contain_text("Connection refused")
    assert _right_edges_fit(page, "#result_list th, #result_list td", 1366) == []

    page.goto(f"{asgi_server.url}/admin/dashboard/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    row = page.locator(f'#dashboard tr[data-camera="{camera.slug}"] [data-events-24h]')
    expect(row).to_have_text("3")
    # It refreshes itself (every 30 s; called here at once): a new event shows without a reload.
    event_open_system(camera=camera, label="camera_blurred", title="Blurred", detail="", severity="medium")
    page.evaluate("window.vigilDashboardRefresh()")
    expect(row).to_have_text("4")
    expect(page.locator("#dash-updated")).to_contain_text("Updated")
    page.close()


def test_an_operator_snoozes_a_false_alarm_rule_from_the_event_page(browser, asgi_server, make_user, offline_model):
    from events.models import RuleSnooze

    event = crowd_event()
    operator = make_user("olga", "Operators", staff=True)
    page = _admin_log_in(browser, asgi_server, operator, f"/admin/events/event/{event.pk}/change/")
    page.locator("#relief summary").click()
    page.select_option("#relief select[name=minutes]", "60")
    page.fill("#relief textarea[name=note]", "People on an advertising poster")
    page.click("#relief button[type=submit]")
    expect(page.locator(".messagelist")).to_contain_text("will open no event on “Bus stop” until")
    expect(page.locator("#relief .snoozed")).to_contain_text("is snoozed on this camera until")
    expect(page.locator("body")).to_contain_text("People on an advertising poster")  # in the history
    snooze = RuleSnooze.objects.get()
    assert (snooze.user, snooze.event) == (operator, event)
    page.close()
