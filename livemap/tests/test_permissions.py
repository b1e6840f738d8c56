"""Who may see the live map: the page, its APIs and its WebSocket all ask for the viewing permission."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync

from events.tests.sockets import close_code_after_accept, site_headers

pytestmark = pytest.mark.django_db(transaction=True)

MAP_APIS = ["/api/events/", "/api/events/?format=geojson", "/api/cameras/?format=geojson"]


def _socket_refusal(client) -> int | None:
    """The code the socket is closed with after its handshake (it is accepted, so the browser sees the code)."""
    return async_to_sync(close_code_after_accept)(site_headers(client))


def test_anonymous_visitors_are_refused_everywhere(client):
    page = client.get("/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/login/")
    for url in MAP_APIS:
        assert client.get(url).status_code in (401, 403), url
    assert _socket_refusal(client) == 4401


def test_users_without_the_viewing_permission_are_refused_everywhere(client, make_user):
    client.force_login(make_user("nobody"))
    page = client.get("/map/")
    assert page.status_code == 403
    assert "no role yet" in page.text
    for url in MAP_APIS:
        response = client.get(url)
        assert response.status_code == 403, url
        assert response["Content-Type"].split(";")[0] in ("application/json", "application/geo+json")
        assert "detail" in response.json()
    assert _socket_refusal(client) == 4403


def test_viewers_get_the_map_without_the_operator_buttons(client, make_user):
    client.force_login(make_user("vera", "Viewers"))
    page = client.get("/")
    assert page.status_code == 200
    config = json.loads(page.text.split('<script id="vigil-config" type="application/json">')[1].split("</script>")[0])
    assert config["can_work_events"] is False and config["can_view_cameras"] is True
    assert "leaflet/leaflet.js" in page.text
    for url in MAP_APIS:
        assert client.get(url).status_code == 200, url
    assert _socket_refusal(client) is None


def test_the_map_loads_nothing_from_a_cdn_and_takes_its_tiles_from_settings(client, make_user, settings):
    client.force_login(make_user("olga", "Operators"))
    page = client.get("/")
    assert page.context["config"]["can_work_events"] is True
    assert page.context["config"]["tiles"]["url"] == settings.LEAFLET_CONFIG["TILES"][0][1]
    for marker in ("unpkg", "cdn.", "cdnjs", "jsdelivr", "googleapis"):
        assert marker not in page.text
    assert 'src="/static/leaflet/leaflet.js"' in page.text
