"""API access for other systems: tokens made in the admin, expiry, per-token throttling, JSON errors."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import api_token_issue
from cameras.tests.factories import CameraFactory
from events.models import Event
from events.services import event_open_system

pytestmark = pytest.mark.django_db


def _system(make_user, name: str, role: str = "Viewers") -> str:
    """A system's user in ``role`` and the key of its new token."""
    return api_token_issue(user=make_user(name, role))[1]


def _with(key: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


def _key_on(page: str) -> str:
    return re.search(r'id="api-token"[^>]*>([0-9a-f]{40})<', page).group(1)


def test_an_administrator_makes_a_token_that_is_shown_once(client, make_user):
    client.force_login(make_user("ada", "Administrators", staff=True))
    system = make_user("dispatch-system", "Viewers")

    made = client.post(reverse("admin:accounts_apitoken_add"), {"user": system.pk, "name": "dispatch"})

    key, token = _key_on(made.text), ApiToken.objects.get(user=system)
    assert made.status_code == 200 and "no-store" in made["Cache-Control"]  # the one time it is shown
    listing = client.get(reverse("admin:accounts_apitoken_changelist"))
    assert key[:8] in listing.text and key not in listing.text
    assert _with(key).get("/api/events/").status_code == 200

    client.post(reverse("admin:accounts_apitoken_delete", args=[token.pk]), {"post": "yes"})
    revoked = _with(key).get("/api/events/")
    assert revoked.status_code == 401 and revoked.json() == {"detail": "Invalid token."}

    # The secret is kept nowhere else: not in the action log, not in a message cookie.
    logged = list(LogEntry.objects.values_list("object_id", "object_repr"))
    assert logged == [(str(token.pk), f"API token {key[:8]}… of dispatch-system")] * 2
    assert key not in client.get(reverse("admin:index")).text
    assert all(key not in cookie.value for cookie in client.cookies.values())


def test_the_database_holds_no_usable_key(make_user):
    token, key = api_token_issue(user=make_user("board", "Viewers"))

    stored = " ".join(str(value) for value in ApiToken.objects.values_list().get(pk=token.pk))

    assert key not in stored and key[8:] not in stored
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert _with(token.key_hash).get("/api/events/").status_code == 401  # the digest is no key


def test_every_admin_url_names_a_token_by_its_id_not_its_key(client, make_user):
    client.force_login(make_user("ada", "Administrators", staff=True))
    made = client.post(reverse("admin:accounts_apitoken_add"), {"user": make_user("board", "Viewers").pk})
    key, token = _key_on(made.text), ApiToken.objects.get()

    pages = [reverse(f"admin:accounts_apitoken_{page}", args=[token.pk]) for page in ("change", "history", "delete")]
    answers = [client.get(page) for page in pages]

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert all(key not in answer.text and key[:12] not in answer.text for answer in answers)
    assert all(f"/accounts/apitoken/{token.pk}/" in page for page in pages)


def test_the_last_use_of_a_token_is_recorded(make_user):
    token, key = api_token_issue(user=make_user("board", "Viewers"))

    _with(key).get("/api/events/")

    token.refresh_from_db()
    assert token.last_used is not None


def test_operators_may_not_make_tokens(client, make_user):
    client.force_login(make_user("olga", "Operators", staff=True))
    assert client.get(reverse("admin:accounts_apitoken_changelist")).status_code == 403


def test_a_token_acts_with_its_users_role(make_user):
    camera = CameraFactory()
    event = event_open_system(camera=camera, label="x", title="x", detail="", severity="low")
    viewer, operator = _with(_system(make_user, "board")), _with(_system(make_user, "dispatch", "Operators"))

    refused = viewer.post(f"/api/events/{event.pk}/acknowledge/", {}, content_type="application/json")
    done = operator.post(f"/api/events/{event.pk}/acknowledge/", {}, content_type="application/json")

    assert refused.status_code == 403 and done.status_code == 200
    assert Event.objects.get(pk=event.pk).assignee.username == "dispatch"


def test_an_expired_token_is_refused_with_a_clear_message(make_user, settings):
    settings.API_TOKEN_TTL_DAYS = 30
    key = _system(make_user, "old-board")
    ApiToken.objects.update(created=timezone.now() - timedelta(days=31))

    response = _with(key).get("/api/events/")

    assert response.status_code == 401
    assert "Token expired on" in response.json()["detail"] and "ask an administrator" in response.json()["detail"]
    settings.API_TOKEN_TTL_DAYS = 0
    assert _with(key).get("/api/events/").status_code == 200  # 0: tokens do not expire


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


# What the schemathesis run found, pinned so each stays fixed whatever the fuzzer's seed.


def test_an_id_that_is_not_a_number_is_not_found_not_a_server_error(client, make_user):
    client.force_login(make_user("olga", "Operators"))

    history = client.get("/api/events/false/history/")
    note = client.post("/api/events/false/note/", {"note": "x"}, content_type="application/json")

    assert (history.status_code, note.status_code) == (404, 404)
    assert history.json() == {"detail": "Not found."}


def test_the_api_takes_json_bodies_only(client, make_user):
    client.force_login(make_user("ada", "Administrators"))
    camera = CameraFactory()

    form = client.patch(f"/api/cameras/{camera.pk}/", "tags=null", content_type="application/x-www-form-urlencoded")

    assert form.status_code == 415 and "Unsupported media type" in form.json()["detail"]


def test_camera_tags_must_be_a_list_of_short_words(client, make_user):
    client.force_login(make_user("ada", "Administrators"))
    camera = CameraFactory()

    answers = [
        client.patch(f"/api/cameras/{camera.pk}/", {"tags": tags}, content_type="application/json")
        for tags in (None, {"a": 1}, [""], ["x" * 51], ["entrance", "night"])
    ]

    assert [answer.status_code for answer in answers] == [400, 400, 400, 400, 200]
    assert "list of short tags" in answers[1].json()["tags"][0]
    camera.refresh_from_db()
    assert camera.tags == ["entrance", "night"]


def test_rule_hours_are_local_times_without_an_offset(client, make_user):
    client.force_login(make_user("ada", "Administrators"))
    rule = {"name": "Night", "labels": ["person"], "severity": "high", "active_until": "06:00"}

    offset = client.post("/api/rules/", {**rule, "active_from": "22:00+02:00"}, content_type="application/json")
    local = client.post("/api/rules/", {**rule, "active_from": "22:00"}, content_type="application/json")

    assert offset.status_code == 400 and "without an offset" in offset.json()["active_from"][0]
    assert local.status_code == 201 and local.json()["active_from"] == "22:00:00"


def test_geojson_is_offered_for_map_objects_only(client, make_user):
    client.force_login(make_user("ada", "Administrators"))
    camera = CameraFactory()

    one = client.get(f"/api/cameras/{camera.pk}/?format=geojson")
    rules = client.get("/api/rules/?format=geojson")
    write = client.patch(f"/api/cameras/{camera.pk}/?format=geojson", {}, content_type="application/json")

    assert one["Content-Type"] == "application/geo+json" and one.json()["type"] == "Feature"
    assert rules.status_code == 404 and rules["Content-Type"] == "application/json"
    assert write.status_code == 404


def test_the_schema_describes_errors_and_geojson(client, make_user):
    client.force_login(make_user("vera", "Viewers"))

    schema = client.get("/api/schema/?format=json").json()

    cameras = schema["paths"]["/api/cameras/"]["get"]["responses"]
    assert {"200", "400", "401", "403", "404", "429"} <= cameras.keys()
    geo = cameras["200"]["content"]["application/geo+json"]["schema"]
    assert geo["properties"]["features"]["items"]["properties"]["properties"] == {"$ref": "#/components/schemas/Camera"}
    history = schema["paths"]["/api/events/{id}/history/"]["get"]["responses"]["200"]["content"]["application/json"]
    assert history["schema"]["type"] == "array"  # one event's history comes whole, not in pages
