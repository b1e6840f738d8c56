"""The live map in a real browser (chromium) against real daphne, Redis and the real pipeline."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from cameras.models import Camera
from cameras.services import camera_record_failure
from cameras.tests.factories import CameraFactory
from conftest import PASSWORD, browser_log_in
from core.broadcast import broadcasts_flush
from events.models import Event, EventAction
from events.services import event_open_system
from events.tests.scenes import crowd_event

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _log_in(browser, server, user, *, width: int = 1280, height: int = 800) -> Page:
    page = browser_log_in(browser, server, user, "/", width=width, height=height)
    expect(page.locator("body")).to_have_attribute("data-connection", "live", timeout=20_000)
    return page


def _log_in_context(context, server, user) -> Page:
    """Like ``_log_in``, in a browser context of the test's own (permissions, colour scheme, scripts)."""
    page = context.new_page()
    page.goto(f"{server.url}/accounts/login/?next=/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("[type=submit]")
    expect(page.locator("body")).to_have_attribute("data-connection", "live", timeout=20_000)
    return page


def _expect_event_pin(page: Page, event: Event, timeout: float = 10_000) -> None:
    """The event's own pin is drawn: shown out of its cluster first when markers near it are clustered
    (``zoomToShowLayer``, what a click on the feed does too)."""
    # Functions, not expressions: the page's CSP refuses the eval playwright polls an expression with.
    marker = "window.vigilMap.events.get(id).marker"
    page.wait_for_function(
        f"(id) => window.vigilMap.events.has(id) && window.vigilMap.eventLayer.hasLayer({marker})",
        arg=event.pk,
        timeout=timeout,
    )
    show = f"(id) => new Promise((done) => window.vigilMap.eventLayer.zoomToShowLayer({marker}, done))"
    page.evaluate(show, event.pk)
    expect(page.locator(f'.event-pin[data-event-id="{event.pk}"]')).to_be_visible()


def _crowd_event(offline_model) -> Event:
    return crowd_event()


def test_an_operator_sees_a_new_event_appear_and_acknowledges_it(
    browser, asgi_server, make_user, offline_model, artifacts_dir
):
    operator = make_user("olga", "Operators")
    operator.is_staff = True
    operator.save()
    page = _log_in(browser, asgi_server, operator)
    assert page.locator(".event-pin").count() == 0

    event = _crowd_event(offline_model)

    pin = page.locator(f'.event-pin[data-event-id="{event.pk}"]')
    expect(pin).to_be_visible(timeout=15_000)
    expect(pin).to_have_class("event-pin sev-critical flash")
    expect(page.locator(f"path.perimeter-{event.pk}")).to_be_visible()
    expect(page.locator(f'#feed li[data-event-id="{event.pk}"]')).to_contain_text("People at the stop")
    # The perimeter is the rule's radius in metres, drawn to the map's scale.
    radius = page.evaluate(f"window.vigilMap.events.get({event.pk}).perimeter.getRadius()")
    assert radius == 120

    pin.click()
    popup = page.locator(f'.event-popup[data-event-id="{event.pk}"]')
    expect(popup).to_contain_text("Keep the platform clear.")
    # The snapshot loads after the popup's text: wait for the picture itself (a broken one never gets a width).
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=popup.locator("img").element_handle(), timeout=10_000
    )
    admin_link = popup.locator("a", has_text="Open in admin")
    expect(admin_link).to_have_attribute("href", f"/admin/events/event/{event.pk}/change/")
    page.wait_for_timeout(300)  # let the popup finish fading in before the picture
    page.screenshot(path=str(artifacts_dir / "live-map-new-event.png"))

    popup.get_by_role("button", name="Acknowledge").click()
    expect(popup.locator("[data-role=status]")).to_have_text("acknowledged")
    expect(popup.get_by_role("button", name="Acknowledge")).to_have_count(0)
    page.screenshot(path=str(artifacts_dir / "live-map-acknowledged.png"))

    event.refresh_from_db()
    assert event.status == Event.Status.ACKNOWLEDGED
    step = EventAction.objects.get(event=event)
    assert (step.action, step.user) == ("acknowledge", operator)
    assert (step.from_status, step.to_status) == ("new", "acknowledged")

    page.goto(f"{asgi_server.url}/admin/events/event/{event.pk}/change/")
    expect(page.locator("body")).to_contain_text("Acknowledged")
    page.close()


def test_events_opened_while_the_socket_was_down_are_on_the_map_after_the_reconnect(browser, asgi_server, make_user):
    page = _log_in(browser, asgi_server, make_user("vera", "Viewers"))
    gate = CameraFactory(name="North gate", latitude="52.3701", longitude="4.8901")
    yard = CameraFactory(name="Depot yard", latitude="52.3720", longitude="4.8950")

    asgi_server.stop()
    expect(page.locator("body")).not_to_have_attribute("data-connection", "live", timeout=15_000)
    first = event_open_system(camera=gate, label="camera_offline", title="Gate offline", detail="", severity="high")
    second = event_open_system(camera=yard, label="camera_offline", title="Yard offline", detail="", severity="medium")
    broadcasts_flush()
    asgi_server.start()

    expect(page.locator("body")).to_have_attribute("data-connection", "live", timeout=45_000)
    for event in (first, second):
        _expect_event_pin(page, event)
        expect(page.locator(f'#feed li[data-event-id="{event.pk}"]')).to_be_visible()
    page.close()


def test_a_viewer_has_no_acknowledge_button_and_the_map_fits_a_phone(browser, asgi_server, make_user, artifacts_dir):
    camera = CameraFactory(name="Market square", heading=45)
    event = event_open_system(camera=camera, label="camera_offline", title="Market offline", detail="", severity="high")
    page = _log_in(browser, asgi_server, make_user("vic", "Viewers"), width=390, height=844)

    pin = page.locator(f'.camera-pin[data-camera-id="{camera.pk}"]')
    expect(pin).to_be_visible()
    expect(pin.locator(".cone")).to_have_attribute("transform", "rotate(45)")
    page.locator(f'#feed li[data-event-id="{event.pk}"]').click()
    popup = page.locator(f'.event-popup[data-event-id="{event.pk}"]')
    expect(popup).to_contain_text("Market offline")
    expect(popup.get_by_role("button", name="Acknowledge")).to_have_count(0)
    page.wait_for_timeout(300)
    # Nothing wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts_dir / "live-map-phone.png"), full_page=True)
    page.close()


def test_an_expired_session_says_so_instead_of_reconnecting_forever(browser, asgi_server, make_user):
    from django.contrib.sessions.models import Session

    page = _log_in(browser, asgi_server, make_user("vera", "Viewers"))
    Session.objects.all().delete()  # the session expires (or the user is logged out elsewhere)
    asgi_server.stop()
    asgi_server.start()

    expect(page.locator("body")).to_have_attribute("data-connection", "expired", timeout=30_000)
    expect(page.locator("#connection")).to_contain_text("Session expired")
    page.locator("#connection a").click()
    expect(page).to_have_url(f"{asgi_server.url}/accounts/login/?next=%2F")
    page.close()


def test_an_event_whose_broadcast_was_lost_still_reaches_the_map(browser, asgi_server, make_user):
    page = _log_in(browser, asgi_server, make_user("vera", "Viewers"))
    camera = CameraFactory(name="Harbour")
    now = timezone.now()
    # More changes than the catch-up once stopped at (5,000, newest first: the oldest were dropped for
    # good). Seen days ago, so they are fetched but not drawn: the browser's time goes to the paging.
    long_ago = now - timedelta(days=3)
    older = Event.objects.bulk_create(
        Event(camera=camera, label="person", title=f"Old {i}", severity="low", latitude=camera.latitude,
              longitude=camera.longitude, first_seen=long_ago, last_seen=long_ago)
        for i in range(5_050)
    )  # fmt: skip
    # Written straight to the table: no broadcast at all, as if Redis had dropped it.
    event = Event.objects.create(
        camera=camera, label="person", title="Lost message", severity="high",
        latitude=camera.latitude, longitude=camera.longitude, first_seen=now, last_seen=now,
    )  # fmt: skip
    expect(page.locator(f'.event-pin[data-event-id="{event.pk}"]')).to_be_visible(timeout=15_000)
    oldest = min(older, key=lambda e: (e.updated_at, e.pk)).pk
    page.wait_for_function("id => window.vigilMap.events.has(id)", arg=oldest, timeout=15_000)
    assert page.evaluate("window.vigilMap.events.size") == len(older) + 1
    page.close()


def test_a_notification_link_opens_its_event_even_when_older_than_the_maps_window(browser, asgi_server, make_user):
    camera = CameraFactory(name="Old quay")
    long_ago = timezone.now() - timedelta(days=3)
    event = Event.objects.create(
        camera=camera, label="person", title="Seen three days ago", severity="high",
        latitude=camera.latitude, longitude=camera.longitude, first_seen=long_ago, last_seen=long_ago,
    )  # fmt: skip
    page = _log_in(browser, asgi_server, make_user("vera", "Viewers"))
    expect(page.locator(f'.event-pin[data-event-id="{event.pk}"]')).to_have_count(0)  # outside the window

    page.goto(f"{asgi_server.url}/map/#event-{event.pk}")  # the link in an email or a webhook

    expect(page.locator(f'.event-popup[data-event-id="{event.pk}"]')).to_contain_text("Seen three days ago")
    page.close()


def test_a_user_who_loses_the_role_is_told_and_the_map_stops_reconnecting(browser, asgi_server, make_user):
    from django.contrib.auth.models import Group

    user = make_user("vera", "Viewers")
    page = _log_in(browser, asgi_server, user)
    reconnects = []
    page.on("websocket", lambda socket: reconnects.append(socket.url))

    user.groups.remove(Group.objects.get(name="Viewers"))

    expect(page.locator("body")).to_have_attribute("data-connection", "expired", timeout=15_000)
    expect(page.locator("#connection")).to_contain_text("your account may no longer view events")
    page.wait_for_timeout(3000)  # an absence cannot be waited for: the old map retried within 1 s
    assert reconnects == []
    page.close()


def test_the_demo_says_what_it_shows_until_the_user_closes_it(browser, asgi_server, make_user):
    CameraFactory(source_url="file:///demo/concourse.mp4", name="Central Station Concourse", tags=["demo"],
                capture_mode="stream")  # fmt: skip
    CameraFactory(source_url="file:///demo/street.mp4", name="Market Street", tags=["demo"])
    viewer = make_user("vera", "Viewers")
    page = _log_in(browser, asgi_server, viewer)
    note = page.locator("#demo-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("2 cameras looping recorded pictures")
    expect(note).to_contain_text("Central Station Concourse, continuous stream analysis")
    expect(note.locator("a", has_text="flow dashboard")).to_have_attribute("href", "/flow/")
    expect(note.locator("a", has_text="admin")).to_have_count(0)  # a viewer has no admin to go to
    page.click("#demo-note-close")
    expect(note).to_be_hidden()
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-connection", "live", timeout=20_000)
    expect(note).to_be_hidden()  # closed for good in this browser
    page.close()


def test_the_demo_note_is_gone_once_the_demo_cameras_are_switched_off(browser, asgi_server, make_user):
    CameraFactory(source_url="file:///demo/street.mp4", name="Market Street", tags=["demo"], enabled=False)
    CameraFactory(source_url="rtsp://10.0.0.5/live", name="Real camera", tags=["demolition site"])
    page = _log_in(browser, asgi_server, make_user("vic", "Viewers"))
    expect(page.locator("#feed-count")).to_be_visible()
    assert page.locator("#demo-note").count() == 0
    page.close()


def test_the_feed_puts_what_nobody_has_taken_first_then_the_most_severe(browser, asgi_server, make_user):
    cameras = [CameraFactory(name=f"Camera {i}") for i in range(4)]
    worked = event_open_system(camera=cameras[0], label="camera_offline", title="Acknowledged high", detail="",
                               severity="high")  # fmt: skip
    Event.objects.filter(pk=worked.pk).update(status=Event.Status.ACKNOWLEDGED)
    low = event_open_system(camera=cameras[1], label="camera_offline", title="New low", detail="", severity="low")
    critical = event_open_system(camera=cameras[2], label="camera_offline", title="New critical", detail="",
                                 severity="critical")  # fmt: skip
    # The newest of all, but resolved: last.
    closed = event_open_system(camera=cameras[3], label="camera_offline", title="Resolved critical", detail="",
                               severity="critical")  # fmt: skip
    Event.objects.filter(pk=closed.pk).update(status=Event.Status.RESOLVED)
    page = _log_in(browser, asgi_server, make_user("vera", "Viewers"))
    page.select_option("#filters select[name=status]", "all")
    rows = page.locator("#feed li")
    expect(rows).to_have_count(4)
    assert [int(i) for i in rows.evaluate_all("rows => rows.map(r => r.dataset.eventId)")] == [
        critical.pk, low.pk, worked.pk, closed.pk,
    ]  # fmt: skip

    # A new critical event goes on top at once, and its row flashes without growing over its neighbours.
    newest = event_open_system(camera=cameras[1], label="camera_stalled", title="Another critical", detail="",
                               severity="critical")  # fmt: skip
    broadcasts_flush()
    top = page.locator("#feed li").first
    expect(top).to_have_attribute("data-event-id", str(newest.pk), timeout=10_000)
    expect(top).to_have_class("sev-critical flash")
    assert page.evaluate("getComputedStyle(document.querySelector('#feed li.flash')).animationName") == "feed-flash"
    page.close()


def test_a_notification_link_to_a_resolved_event_survives_the_login_and_opens_its_popup(
    browser, asgi_server, make_user
):
    camera = CameraFactory(name="Harbour gate")
    event = event_open_system(camera=camera, label="camera_offline", title="Harbour gate offline", detail="",
                              severity="high")  # fmt: skip
    Event.objects.filter(pk=event.pk).update(status=Event.Status.RESOLVED)  # closed: outside the open filter
    user = make_user("vera", "Viewers")
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(f"{asgi_server.url}/map/#event-{event.pk}")  # as a logged-out user clicks the e-mail's link
    expect(page).to_have_url(f"{asgi_server.url}/accounts/login/?next=/map/#event-{event.pk}")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("[type=submit]")

    expect(page).to_have_url(f"{asgi_server.url}/map/#event-{event.pk}")
    popup = page.locator(f'.event-popup[data-event-id="{event.pk}"]')
    expect(popup).to_contain_text("Harbour gate offline", timeout=15_000)
    expect(popup.locator("[data-role=status]")).to_have_text("resolved")
    page.close()


@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_an_event_popup_stays_inside_the_map_and_clear_of_the_zoom_buttons(browser, asgi_server, make_user,
                                                                          offline_model, viewport):  # fmt: skip
    event = _crowd_event(offline_model)
    page = _log_in(browser, asgi_server, make_user("vera", "Viewers"), width=viewport[0], height=viewport[1])
    pin = page.locator(f'.event-pin[data-event-id="{event.pk}"]')
    expect(pin).to_be_visible()
    # The pin near the map's top edge, where a popup opening upwards had its top under the header.
    page.evaluate(
        """id => { const m = window.vigilMap.map, e = window.vigilMap.events.get(id);
                  const p = m.latLngToContainerPoint(e.marker.getLatLng());
                  m.panBy([0, p.y - 30], { animate: false }); }""",
        event.pk,
    )
    pin.click()
    popup = page.locator(".leaflet-popup").first
    image = popup.locator("img")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle(), timeout=10_000)
    # Once the picture is in and the map has panned (animated): inside the map, not under the header, and
    # clear of the zoom buttons.
    placed = """() => {
        const shown = document.querySelector('.leaflet-popup').getBoundingClientRect();
        const area = document.getElementById('map').getBoundingClientRect();
        const zoom = document.querySelector('.leaflet-control-zoom').getBoundingClientRect();
        const clear = shown.left >= zoom.right || shown.top >= zoom.bottom;
        return shown.top >= area.top && shown.bottom <= area.bottom + 1 && clear;
    }"""
    page.wait_for_function(placed, timeout=10_000)
    page.close()


def test_an_operator_works_the_feed_from_the_keyboard(browser, asgi_server, make_user):
    cameras = [CameraFactory(name=f"Gate {i}") for i in range(2)]
    first = event_open_system(camera=cameras[0], label="camera_offline", title="Gate 0 offline", detail="",
                              severity="critical")  # fmt: skip
    second = event_open_system(camera=cameras[1], label="camera_offline", title="Gate 1 offline", detail="",
                               severity="high")  # fmt: skip
    page = _log_in(browser, asgi_server, make_user("olga", "Operators"))
    expect(page.locator("#feed li")).to_have_count(2)

    page.keyboard.press("?")
    expect(page.locator("#shortcuts")).to_be_visible()
    expect(page.locator("#shortcuts")).to_contain_text("acknowledge the open event")
    page.keyboard.press("Escape")
    expect(page.locator("#shortcuts")).to_be_hidden()

    page.keyboard.press("j")  # the first row (the critical one), opened
    expect(page.locator(f'.event-popup[data-event-id="{first.pk}"]')).to_be_visible()
    # Times as the admin writes them: today's as hours and minutes.
    seen = page.locator(f'.event-popup[data-event-id="{first.pk}"] dt:text-is("First seen") + dd').inner_text()
    assert re.fullmatch(r"\d{2}:\d{2}", seen), seen
    page.keyboard.press("j")
    expect(page.locator(f'.event-popup[data-event-id="{second.pk}"]')).to_be_visible()
    page.keyboard.press("a")
    expect(page.locator(f'.event-popup[data-event-id="{second.pk}"] [data-role=status]')).to_have_text("acknowledged")
    second.refresh_from_db()
    assert second.status == Event.Status.ACKNOWLEDGED and EventAction.objects.get(event=second).user.username == "olga"
    first.refresh_from_db()
    assert first.status == Event.Status.NEW  # only the open one
    page.keyboard.press("k")
    expect(page.locator(f'.event-popup[data-event-id="{first.pk}"]')).to_be_visible()

    # The request never gets an answer (a dropped connection; made by the browser, as stopping the server
    # would also drop the socket): the popup says so and the button works again.
    acknowledge_url = f"**/api/events/{first.pk}/acknowledge/"
    page.route(acknowledge_url, lambda route: route.abort("connectionreset"))
    popup = page.locator(f'.event-popup[data-event-id="{first.pk}"]')
    popup.get_by_role("button", name="Acknowledge").click()
    expect(popup.get_by_role("alert")).to_contain_text("could not be sent")
    expect(popup.get_by_role("button", name="Acknowledge")).to_be_enabled()
    first.refresh_from_db()
    assert first.status == Event.Status.NEW
    page.unroute(acknowledge_url)
    popup.get_by_role("button", name="Acknowledge").click()
    expect(popup.locator("[data-role=status]")).to_have_text("acknowledged")
    page.close()


def test_each_severity_sounds_its_own_way_and_a_hidden_tab_gets_a_desktop_notification(browser, asgi_server, make_user):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.grant_permissions(["notifications"], origin=asgi_server.url)
    # What the page asks of the browser's audio and notifications, recorded (headless chromium has no
    # speakers or desktop to look at): the oscillators started, with their pitch, and the notifications.
    context.add_init_script("""
        window.heard = []; window.shown = [];
        const start = OscillatorNode.prototype.start;
        OscillatorNode.prototype.start = function (...args) {
            window.heard.push(this.frequency.value);
            return start.apply(this, args);
        };
        const Real = window.Notification;
        window.Notification = class extends Real {
            constructor(title, options) { super(title, options); window.shown.push(title); }
        };
        window.Notification.requestPermission = Real.requestPermission.bind(Real);
        Object.defineProperty(window.Notification, "permission", { get: () => Real.permission });
    """)
    user = make_user("olga", "Operators")
    page = _log_in_context(context, asgi_server, user)
    page.check("#sound-toggle")
    page.check("#desktop-toggle")
    page.evaluate("window.heard.length = 0")

    cameras = [CameraFactory(name=f"Gate {i}") for i in range(4)]
    for camera, severity in zip(cameras, ["medium", "high", "low"], strict=False):
        title = f"{severity} event"
        event_open_system(camera=camera, label="camera_offline", title=title, detail="", severity=severity)
        broadcasts_flush()
        expect(page.locator("#feed li", has_text=f"{severity} event")).to_be_visible()
    page.wait_for_timeout(300)
    assert page.evaluate("window.heard") == [520, 660, 660]  # medium once, high twice, low silent
    assert page.evaluate("window.shown") == []  # not critical, and the tab is in view

    # The tab hidden (the operator is in another window): a critical event is shown by the system too.
    page.evaluate("""Object.defineProperty(document, "hidden", { value: true, configurable: true });""")
    event_open_system(camera=cameras[3], label="camera_offline", title="Gate 3 offline", detail="", severity="critical")
    broadcasts_flush()
    page.wait_for_function("window.shown.length === 1", timeout=10_000)
    assert page.evaluate("window.shown") == ["Critical: Gate 3 offline"]
    assert page.evaluate("window.heard.slice(3)") == [880, 880, 880]
    context.close()


def test_the_map_follows_the_systems_dark_mode(browser, asgi_server, make_user):
    context = browser.new_context(color_scheme="dark", viewport={"width": 1280, "height": 800})
    user = make_user("vera", "Viewers")
    page = _log_in_context(context, asgi_server, user)
    colours = page.evaluate("""() => [document.body, document.querySelector('.panel')].map(
        (element) => getComputedStyle(element).backgroundColor)""")
    assert colours == ["rgb(13, 17, 23)", "rgb(22, 27, 34)"], colours  # dark page, dark event panel
    context.close()


def _seed_cameras(count: int) -> list[Camera]:
    """``count`` cameras on a grid of about 3 x 2.5 km around the Dam, in one insert."""
    side = int(count**0.5) + 1
    rows = [
        CameraFactory.build(
            name=f"Grid {i:04d}",
            slug=f"grid-{i:04d}",
            latitude=Decimal("52.3600") + Decimal(i // side) * Decimal("0.0012"),
            longitude=Decimal("4.8700") + Decimal(i % side) * Decimal("0.0024"),
            status=Camera.Status.ONLINE,
        )
        for i in range(count)
    ]
    return Camera.objects.bulk_create(rows)


def test_hundreds_of_cameras_are_clustered_loaded_by_view_and_kept_live(browser, asgi_server, make_user, settings):
    grid = _seed_cameras(300)
    page = _log_in(browser, asgi_server, make_user("olga", "Operators"))
    camera_requests: list[str] = []
    page.on("request", lambda request: camera_requests.append(request.url) if "/api/cameras/" in request.url else None)

    # Clusters, each saying how many cameras it holds; together they hold every camera of the grid.
    page.wait_for_function("() => window.vigilMap.cameras.size === 300")
    clusters = page.locator(".camera-cluster")
    expect(clusters.first).to_be_visible()
    in_clusters = sum(int(n) for n in clusters.evaluate_all("els => els.map(e => e.dataset.count)"))
    assert in_clusters + page.locator(".camera-pin").count() == 300
    assert page.locator(".camera-pin").count() < 300

    # Clicking the biggest cluster zooms in, and it splits into smaller clusters or single pins.
    counts = clusters.evaluate_all("els => els.map(e => Number(e.dataset.count))")
    biggest = max(counts)
    zoom = page.evaluate("window.vigilMap.map.getZoom()")
    clicked = clusters.nth(counts.index(biggest))
    clicked.evaluate("""icon => { window.clicked = window.vigilMap.cameraLayer._featureGroup.getLayers()
        .find((layer) => layer._icon && layer._icon.contains(icon)).getAllChildMarkers(); }""")
    clicked.click()
    page.wait_for_function("(zoom) => window.vigilMap.map.getZoom() > zoom", arg=zoom)
    # Every camera of that cluster is now shown on its own or in a smaller cluster.
    page.wait_for_function(
        """(biggest) => window.clicked.every((marker) => {
            const shown = window.vigilMap.cameraLayer.getVisibleParent(marker);
            return shown && (shown === marker || shown.getChildCount() < biggest);
        })""",
        arg=biggest,
    )
    expect(page.locator(".camera-pin, .camera-cluster").first).to_be_visible()

    # A camera outside everything loaded so far arrives when the map is panned to it, in one request.
    far = CameraFactory(name="Far away", latitude="52.5000", longitude="5.2000")
    assert page.evaluate(f"window.vigilMap.cameras.has({far.pk})") is False
    camera_requests.clear()
    page.evaluate("window.vigilMap.map.setView([52.5, 5.2], 16, { animate: false })")
    expect(page.locator(f'.camera-pin[data-camera-id="{far.pk}"]')).to_be_visible()
    assert len(camera_requests) == 1 and "/api/cameras/map/?" in camera_requests[0] and "bbox=" in camera_requests[0]
    # Back where the map started: that area is loaded already, nothing is asked again.
    south_west, north_east = (grid[0].latitude, grid[0].longitude), (grid[-1].latitude, grid[17].longitude)
    corners = [[float(v) for v in south_west], [float(v) for v in north_east]]
    page.evaluate(f"window.vigilMap.map.fitBounds({corners}, {{ padding: [40, 40], animate: false }})")
    page.wait_for_function("() => window.vigilMap.map.getZoom() < 16")
    expect(page.locator(".camera-cluster").first).to_be_visible()
    assert len(camera_requests) == 1

    # A camera going offline inside a cluster: its marker takes the status, its cluster the red ring.
    settings.CAMERA_OFFLINE_AFTER_FAILURES = 1
    camera = grid[150]
    cluster = "(id) => window.vigilMap.cameraLayer.getVisibleParent(window.vigilMap.cameras.get(id).marker)"
    assert page.evaluate(f"(id) => ({cluster})(id) instanceof L.MarkerCluster", camera.pk)
    camera_record_failure(camera=camera, error="connection refused", started_at=timezone.now())
    broadcasts_flush()
    page.wait_for_function("(id) => window.vigilMap.cameras.get(id).data.status === 'offline'", arg=camera.pk)
    page.wait_for_function(
        f"(id) => ({cluster})(id)._icon.querySelector('.camera-cluster.has-offline') !== null", arg=camera.pk
    )
    page.evaluate(f"window.vigilMap.map.setView([{camera.latitude}, {camera.longitude}], 17, {{ animate: false }})")
    expect(page.locator(f'.camera-pin.offline[data-camera-id="{camera.pk}"]')).to_be_visible()
    page.close()
