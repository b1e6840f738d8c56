"""Every URL pattern of the project, walked: nothing answers an anonymous visitor except the login
page and the health verdict; each role reaches exactly the admin pages its permissions allow.

The walk reads the URL resolver, so a page or endpoint added later is checked without editing
this file.
"""

from __future__ import annotations

import re

import pytest
from django.apps import apps as django_apps
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.contrib.sessions.models import Session
from django.test import Client, RequestFactory
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

    from events.tests.sockets import SITE_HEADERS, close_code_after_accept
    from vigilsite.routing import websocket_urlpatterns

    paths = ["/" + _concrete(str(route.pattern)).lstrip("/") for route in websocket_urlpatterns]
    codes = {path: async_to_sync(close_code_after_accept)(SITE_HEADERS, path) for path in paths}
    assert paths and codes == dict.fromkeys(paths, 4401)  # accepted, then closed: the browser sees the code


# -- every admin action and every custom admin view, as each role ------------------------------------

# The custom views of the ModelAdmins (their get_urls() beyond Django's five) and the permission
# each needs on its model ("view" → app.view_model; a custom name → app.<name>_model or app.<name>).
# A new view fails test_every_custom_admin_view_declares_its_permission until it is listed here.
CUSTOM_VIEWS = {
    "events_event_export": "view",
    "events_event_workflow": "change",
    "events_event_snooze": "change",
    "notifications_notificationchannel_test": "change",
    "detection_detectionmodel_try": "change",
    "flow_occupancy_correct": "change",
    "auth_user_password_change": "change",
}
STANDARD_VIEWS = ("_changelist", "_add", "_history", "_delete", "_change")


def _needed(opts, name: str) -> str:
    """The Django permission an admin permission name stands for; fails if it names none."""
    for app_label, codename in ((opts.app_label, f"{name}_{opts.model_name}"), (opts.app_label, name)):
        if Permission.objects.filter(content_type__app_label=app_label, codename=codename).exists():
            return f"{app_label}.{codename}"
    raise AssertionError(f"{opts.label}: the admin permission {name!r} is no Django permission")


def _snapshot() -> dict:
    """Every row of every table (but sessions): what a refused action or view must not change."""
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values())
        for model in django_apps.get_models()
        if model is not Session
    }


@pytest.fixture
def city(make_user, django_user_model):
    """One row or more of the models the admin acts on, so that a wrongly allowed action shows."""
    from axes.models import AccessAttempt
    from django.utils import timezone

    from accounts.services import api_token_issue
    from cameras.models import Camera
    from cameras.services import camera_push_token_rotate
    from cameras.tests.factories import CameraFactory
    from events.models import ThreatRule
    from events.services import event_open_system
    from flow.models import Occupancy
    from notifications.models import Notification, NotificationChannel

    root = django_user_model.objects.create_superuser("root", password="x")
    camera = CameraFactory(name="Gate", capture_mode=Camera.CaptureMode.PUSH)
    camera_push_token_rotate(camera=camera)
    event = event_open_system(camera=camera, label="camera_offline", title="Gate offline", detail="", severity="high")
    ThreatRule.objects.create(name="Crowd", labels=["person"], min_count=10)
    channel = NotificationChannel.objects.create(name="Desk", kind="webhook", url="http://127.0.0.1:9/", secret="s")
    Notification.objects.create(channel=channel, event=event, reason="open", status="failed",
                                next_attempt_at=timezone.now())  # fmt: skip
    Occupancy.objects.create(camera=camera, label="person", period_start=timezone.now(), current=3)
    AccessAttempt.objects.create(username="someone", ip_address="127.0.0.1", user_agent="x", http_accept="x",
                                 path_info="/admin/login/", failures_since_start=1)  # fmt: skip
    api_token_issue(user=root)
    return root


def _request_as(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _actions(root):
    """(model admin, action name, the permissions it needs) for every action a superuser is offered."""
    for model_admin in admin.site._registry.values():
        for name, (func, _, _) in model_admin.get_actions(_request_as(root)).items():
            yield model_admin, name, [_needed(model_admin.opts, p) for p in getattr(func, "allowed_permissions", ())]


def test_every_admin_action_names_a_permission(city):
    actions = list(_actions(city))
    assert {name for _, name, _ in actions} >= {"rotate_push_token", "capture_now", "test_connection", "run_tasks"}
    assert [f"{a.opts.label}.{name}" for a, name, needs in actions if not needs] == []


@pytest.mark.parametrize("role", ["Viewers", "Operators", "Administrators"])
def test_every_admin_action_refused_to_a_role_changes_nothing(client, make_user, city, role):
    user = make_user(f"someone-{role.lower()}", role, staff=True)
    client.force_login(user)
    wrong, refused = [], []
    for model_admin, name, needs in _actions(city):
        offered = name in model_admin.get_actions(_request_as(user))
        if offered != user.has_perms(needs):
            wrong.append(f"{model_admin.opts.label}.{name} offered={offered}, needs {needs}")
        if offered:
            continue  # allowed: its own tests run it
        before = _snapshot()
        pks = list(model_admin.model._base_manager.values_list("pk", flat=True)) or ["0"]
        url = reverse(f"admin:{model_admin.opts.app_label}_{model_admin.opts.model_name}_changelist")
        response = client.post(url, {"action": name, "index": "0", "select_across": "1", "_selected_action": pks})
        if response.status_code >= 500 or _snapshot() != before:
            wrong.append(f"{model_admin.opts.label}.{name}: changed something ({response.status_code})")
        refused.append(name)
    assert wrong == [], f"{role}: {wrong}"
    if role != "Administrators":
        assert {"rotate_push_token", "capture_now", "test_connection"} <= set(refused)


def _custom_views():
    for model_admin in admin.site._registry.values():
        for pattern in model_admin.get_urls():
            standard = {f"{model_admin.opts.app_label}_{model_admin.opts.model_name}{s}" for s in STANDARD_VIEWS}
            if pattern.name and pattern.name not in standard:
                yield model_admin, pattern


def test_every_custom_admin_view_declares_its_permission():
    assert {pattern.name for _, pattern in _custom_views()} == set(CUSTOM_VIEWS)


@pytest.mark.parametrize("role", ["Viewers", "Operators", "Administrators"])
def test_every_custom_admin_view_refuses_a_role_without_its_permission(client, make_user, city, role):
    user = make_user(f"someone-{role.lower()}", role, staff=True)
    client.force_login(user)
    wrong = []
    for model_admin, pattern in _custom_views():
        opts, needs = model_admin.opts, _needed(model_admin.opts, CUSTOM_VIEWS[pattern.name])
        target = user if opts.model is type(user) else opts.model._base_manager.order_by("pk").last()
        assert target is not None, f"the city fixture has no {opts.label}"
        url = reverse(f"admin:{pattern.name}", args=[target.pk] if "object_id" in str(pattern.pattern) or
                      "<id>" in str(pattern.pattern) else [])  # fmt: skip
        for method in ("get", "post"):
            before = _snapshot()
            status = getattr(client, method)(url).status_code
            if user.has_perm(needs):
                if status not in (200, 302, 405):  # 302: done, back to the page; 405: POSTs only
                    wrong.append(f"{method.upper()} {url}: {status}, allowed by {needs}")
            elif status != 403 or _snapshot() != before:
                wrong.append(f"{method.upper()} {url}: {status}, needs {needs}")
    assert wrong == [], f"{role}: {wrong}"
