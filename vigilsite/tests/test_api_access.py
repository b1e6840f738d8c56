"""API access for other systems: tokens made in the admin, expiry, per-token throttling, JSON errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from cameras.tests.factories import make_camera
from events.models import Event
from events.services import event_open_system

pytestmark = pytest.mark.django_db


def _system(make_user, name: str, role: str = "Viewers") -> Token:
    return Token.objects.create(user=make_user(name, role))


def _with(token: Token) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}")


def test_an_administrator_makes_a_token_that_is_shown_once(client, make_user):
    client.force_login(make_user("ada", "Administrators", staff=True))
    system = make_user("dispatch-system", "Viewers")

    made = client.post(reverse("admin:accounts_apitoken_add"), {"user": system.pk})

    token = Token.objects.get(user=system)
    assert made.status_code == 200 and token.key in made.text  # the one time it is shown
    listing = client.get(reverse("admin:accounts_apitoken_changelist"))
    assert token.key[:6] in listing.text and token.key not in listing.text
    assert _with(token).get("/api/events/").status_code == 200

    client.post(reverse("admin:accounts_apitoken_delete", args=[system.pk]), {"post": "yes"})
    revoked = _with(token).get("/api/events/")
    assert revoked.status_code == 401 and revoked.json() == {"detail": "Invalid token."}

    # The secret is kept nowhere else: not in the action log, not in a message cookie.
    logged = list(LogEntry.objects.values_list("object_id", "object_repr"))
    assert logged == [(str(system.pk), "API token of dispatch-system")] * 2
    assert token.key not in client.get(reverse("admin:index")).text
    assert all(token.key not in cookie.value for cookie in client.cookies.values())


def test_operators_may_not_make_tokens(client, make_user):
    client.force_login(make_user("olga", "Operators", staff=True))
    assert client.get(reverse("admin:accounts_apitoken_changelist")).status_code == 403


def test_a_token_acts_with_its_users_role(make_user):
    camera = make_camera("file:///dev/null")
    event = event_open_system(camera=camera, label="x", title="x", detail="", severity="low")
    viewer, operator = _with(_system(make_user, "board")), _with(_system(make_user, "dispatch", "Operators"))

    refused = viewer.post(f"/api/events/{event.pk}/acknowledge/", {}, content_type="application/json")
    done = operator.post(f"/api/events/{event.pk}/acknowledge/", {}, content_type="application/json")

    assert refused.status_code == 403 and done.status_code == 200
    assert Event.objects.get(pk=event.pk).assignee.username == "dispatch"


def test_an_expired_token_is_refused_with_a_clear_message(make_user, settings):
    settings.API_TOKEN_TTL_DAYS = 30
    token = _system(make_user, "old-board")
    Token.objects.filter(pk=token.pk).update(created=token.created - timedelta(days=31))

    response = _with(token).get("/api/events/")

    assert response.status_code == 401
    assert "Token expired on" in response.json()["detail"] and "ask an administrator" in response.json()["detail"]
    settings.API_TOKEN_TTL_DAYS = 0
    assert _with(token).get("/api/events/").status_code == 200  # 0: tokens do not expire


def test_each_token_is_throttled_on_its_own_and_sessions_are_not(client, make_user, settings):
    settings.API_THROTTLE_RATE = "3/min"
    busy, quiet = _with(_system(make_user, "busy")), _with(_system(make_user, "quiet"))

    answers = [busy.get("/api/cameras/").status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    limited = busy.get("/api/cameras/")
    assert "throttled" in limited.json()["detail"].lower() and int(limited["Retry-After"]) > 0
    assert quiet.get("/api/cameras/").status_code == 200
    client.force_login(make_user("vera", "Viewers"))
    assert [client.get("/api/cameras/").status_code for _ in range(5)] == [200] * 5


def test_api_errors_are_json_not_html(client, make_user):
    client.force_login(make_user("vera", "Viewers"))

    missing_path = client.get("/api/no-such-thing/")
    missing_event = client.get("/api/events/999999/")

    assert missing_path.status_code == 404 and missing_path.json() == {"detail": "Not found."}
    assert missing_event.status_code == 404 and missing_event["Content-Type"] == "application/json"
    assert "<html" in client.get("/no-such-page/").text.lower()  # pages elsewhere stay HTML


def test_the_api_still_answers_when_the_throttle_counter_is_unreachable(make_user, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}  # fmt: skip  # nothing listens there
    settings.API_THROTTLE_RATE = "1/min"
    board = _with(_system(make_user, "board"))
    assert [board.get("/api/cameras/").status_code for _ in range(3)] == [200, 200, 200]
