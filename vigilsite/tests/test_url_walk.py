"""Every URL pattern of the project, walked: nothing answers an anonymous visitor except the login
page and the health verdict; each role reaches exactly the admin pages its permissions allow.

The walk reads the URL resolver, so a page or endpoint added later is checked without editing
this file.
"""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db

# Sample values for the patterns' parameters: enough to reach the view (refusal comes first).
SAMPLES = {"pk": "1", "id": "1", "object_id": "1", "content_type_id": "1", "slug": "gate", "kind": "annotated",
           "format": "json", "app_label": "events", "url": "anything/"}  # fmt: skip
# What an anonymous visitor may open: the login forms, logging out, and the health verdict (no details).
PUBLIC = {"/accounts/login/", "/admin/login/", "/accounts/logout/", "/admin/logout/", "/healthz"}
LOGIN_PAGES = ("/accounts/login/", "/admin/login/")


def _walk(resolver=None, prefix: str = ""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


def _concrete(pattern: str) -> str:
    """A URL the pattern matches, with sample parameter values."""
    url = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: SAMPLES[m.group(1)], pattern)  # regex groups
    url = re.sub(r"<drf_format_suffix:\w+>", ".json", url)
    url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: SAMPLES[m.group(1)], url)  # path converters
    url = url.replace("^", "").replace("$", "").replace("\\.", ".").replace("/?", "/")
    return "/" + url


URLS = sorted({_concrete(p) for p in _walk()})


def test_the_walk_covers_pages_api_and_admin():
    assert {"/", "/map/", "/flow/", "/api/events/", "/admin/notifications/notificationchannel/"} <= set(URLS)
    assert len(URLS) > 100


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_are_refused_at_every_url(method):
    client = Client()
    answered = {}
    for url in URLS:
        if url in PUBLIC:
            continue
        response = getattr(client, method)(url)
        # 405: the URL takes other methods only (e.g. frame ingestion is POST); it answers nothing else.
        refused = response.status_code in (401, 403, 405) or (
            response.status_code == 302 and response["Location"].startswith(LOGIN_PAGES)
        )
        if not refused:
            answered[url] = response.status_code
    assert answered == {}, f"answered an anonymous {method.upper()}: {answered}"


def test_the_health_verdict_shows_no_details_to_anonymous_visitors():
    body = Client().get("/healthz").json()

    def leaves(value):
        if isinstance(value, dict):
            for key, item in value.items():
                yield from ([(key, item)] if not isinstance(item, dict) else leaves(item))

    # Up or down per component, nothing else: no error texts, hosts or worker names.
    assert {key for key, _ in leaves(body)} == {"status", "ok"}
    assert all(isinstance(item, bool) or item in ("ok", "error") for _, item in leaves(body))


@pytest.mark.parametrize("role", ["Viewers", "Operators", "Administrators"])
def test_each_role_reaches_exactly_the_admin_pages_its_permissions_allow(client, make_user, role):
    user = make_user(f"someone-{role.lower()}", role, staff=True)
    client.force_login(user)
    wrong = []
    for model in admin.site._registry:
        opts = model._meta
        name = f"admin:{opts.app_label}_{opts.model_name}"

        def may(verb: str, opts=opts) -> bool:
            return user.has_perm(f"{opts.app_label}.{verb}_{opts.model_name}")

        listing = client.get(reverse(f"{name}_changelist")).status_code
        if listing != (200 if may("view") or may("change") else 403):
            wrong.append(f"{opts.label} list: {listing}")
        add = client.get(reverse(f"{name}_add")).status_code
        addable = may("add") and opts.label not in {"notifications.Notification"}  # owed by events, never typed
        if add != (200 if addable else 403):
            wrong.append(f"{opts.label} add: {add}")
    assert wrong == [], f"{role}: {wrong}"


@pytest.mark.django_db(transaction=True)
def test_every_websocket_route_refuses_anonymous_visitors():
    from asgiref.sync import async_to_sync
    from channels.testing import WebsocketCommunicator

    from vigilsite.asgi import application
    from vigilsite.routing import websocket_urlpatterns

    async def refusal(path: str):
        communicator = WebsocketCommunicator(application, path, headers=[(b"origin", b"http://localhost")])
        connected, code = await communicator.connect(timeout=5)
        await communicator.disconnect()
        return None if connected else code

    paths = ["/" + _concrete(str(route.pattern)).lstrip("/") for route in websocket_urlpatterns]
    assert paths and {path: async_to_sync(refusal)(path) for path in paths} == dict.fromkeys(paths, 4401)
