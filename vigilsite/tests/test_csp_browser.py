"""The Content-Security-Policy blocks nothing Vigil's own pages need (a real browser, real daphne)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cameras.tests.factories import CameraFactory
from conftest import browser_log_in
from events.services import event_open_system

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

# Every violation the page meets, whether or not the browser also prints it to the console.
_WATCH = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`));
"""


def test_no_page_meets_a_content_security_policy_violation(browser, asgi_server, make_user):
    admin = make_user("root", "Administrators", staff=True)
    admin.is_superuser = True
    admin.save()
    camera = CameraFactory(name="Gate")
    event = event_open_system(camera=camera, label="camera_offline", title="Gate offline", detail="", severity="high")
    page = browser_log_in(browser, asgi_server, admin, "/")
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(_WATCH)
    pages = {
        "/": "body[data-connection=live]",
        "/flow/": "body",
        "/admin/": "#content",
        f"/admin/cameras/camera/{camera.pk}/change/": "#camera-map .leaflet-marker-icon",
        "/admin/events/event/": "#result_list",
        f"/admin/events/event/{event.pk}/change/": "#content",
        "/api/docs/": ".swagger-ui .info",
        f"/cameras/{camera.pk}/live/": ".live-off",  # recording off: the page says what live view needs
        f"/cameras/{camera.pk}/timeline/": ".timeline",
    }
    seen = {}
    for path, ready in pages.items():
        page.goto(f"{asgi_server.url}{path}")
        expect(page.locator(ready).first).to_be_attached(timeout=20_000)
        if path == "/":
            # A camera without a frame yet: the popup says so (an error listener, not onerror=).
            page.evaluate(f"window.vigilMap.cameras.get({camera.pk}).marker.openPopup()")
            expect(page.locator(".camera-popup")).to_contain_text("No frame yet.")
            expect(page.locator(".camera-popup a.camera-live")).to_have_attribute("href", f"/cameras/{camera.pk}/live/")
        seen[path] = page.evaluate("window.cspViolations")

    assert {path: found for path, found in seen.items() if found} == {}
    assert [text for text in console if "Content Security Policy" in text] == []
    # A header feature the browser does not know is a console error on every page, hiding the real ones.
    assert [text for text in console if "Permissions-Policy" in text] == []
