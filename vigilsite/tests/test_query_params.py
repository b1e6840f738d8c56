"""Query parameters: integers of ASCII digits, moments in a safe range, a clear 400 (never a 500).

The requests of issue 21 that answered 500, each as it was reported, and the shared readers
behind every view, filter set, serializer and admin list that reads the query string.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory
from django_filters.rest_framework import DjangoFilterBackend

from cameras.tests.factories import CameraFactory
from core.query_params import (
    BadParameter,
    QueryDateTimeField,
    QueryFilterBackend,
    QueryIntegerField,
    QueryModelChoiceField,
    check_moment,
    parse_instant,
    parse_integer,
    parse_moment,
)
from events.services import event_open_system
from vigilsite.admin_query import SafeChangeListMixin
from vigilsite.api_urls import registry

# Each reported request, and the parameter its 400 must name.
REFUSED = [
    ("/flow/?camera=%C2%B2", "camera"),
    ("/flow/export.csv?camera=%C2%B2&start=2026-12-01&end=2026-12-02", "camera"),
    ("/api/counts/?camera={camera}&since=0001-01-01T00:00:00Z&until=0001-01-01T00:10:00Z", "since"),
    ("/api/events/?changed_since=0001-01-01T00:00:00%2B14:00", "changed_since"),
    ("/api/events/?seen_since=0001-01-01T00:00:00%2B01:00", "seen_since"),
    ("/api/events/?seen_before=9999-12-31T23:59:59-12:00", "seen_before"),
    ("/api/events/?changed_since=9999-12-31T23:59:59-00:01", "changed_since"),
    ("/admin/events/event/export.csv?first_seen__year=abc", "first_seen__year"),
    ("/admin/events/event/export.csv?camera__id__exact=%C2%B2", "camera__id__exact"),
]
# Admin lists answer as Django does for an invalid filter: back to the unfiltered list, saying why.
REDIRECTED = [
    ("/admin/events/event/?first_seen__year=9999&first_seen__month=12&first_seen__day=31", "first_seen__year"),
    ("/admin/events/event/?first_seen__gte=0001-01-01+00:00:00%2B14:00", "first_seen__gte"),
]


@pytest.fixture
def root_client(db) -> tuple[Client, dict[str, int]]:
    camera = CameraFactory(source_url="http://10.0.0.8/snapshot.jpg", name="Market", district="Oost")
    event_open_system(camera=camera, label="fault", title="Fault", detail="", severity="high")
    user = get_user_model().objects.create_superuser("root", password="a-long-passphrase-1")
    client = Client()
    client.force_login(user)
    return client, {"camera": camera.pk}


@pytest.mark.parametrize(("url", "name"), REFUSED)
def test_it_refuses_each_reported_request_with_a_400_naming_the_parameter(root_client, url, name):
    client, ids = root_client
    response = client.get(url.format(**ids))
    assert response.status_code == 400
    assert name in response.content.decode()


@pytest.mark.parametrize(("url", "name"), REDIRECTED)
def test_admin_lists_send_a_bad_filter_back_to_the_unfiltered_list_saying_why(root_client, url, name):
    client, _ = root_client
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == "/admin/events/event/?e=1"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert f"Filter ignored: {name}" in page.content.decode()


def test_admin_lists_still_filter_by_a_good_date(root_client):
    client, _ = root_client
    today = datetime.now(UTC)
    response = client.get(
        f"/admin/events/event/?status=all&first_seen__year={today.year}&first_seen__month={today.month}"
    )
    assert response.status_code == 200
    assert "Fault" in response.content.decode()


def test_change_pages_answer_an_empty_to_field(root_client):
    # Django checks only a non-empty ``_to_field``; an empty one then named no field (a 500).
    client, ids = root_client
    assert client.get(f"/admin/cameras/camera/{ids['camera']}/change/?_to_field=").status_code == 200


def test_the_admin_autocomplete_search_drops_nul_characters(root_client):
    # PostgreSQL refuses NUL in any text: the search behind the relation widgets answered 500.
    client, _ = root_client
    query = {"app_label": "events", "model_name": "event", "field_name": "camera", "term": "Mar\x00ket"}
    response = client.get("/admin/autocomplete/", query)
    assert response.status_code == 200
    assert [row["text"] for row in response.json()["results"]] == ["Market"]


@pytest.mark.parametrize("position", ["0001-01-01 00:00:00+14:00", "²", str(10**30)])
def test_a_forged_event_cursor_is_refused_as_invalid(root_client, position):
    client, _ = root_client
    cursor = base64.b64encode(f"p={position}".encode()).decode()
    response = client.get("/api/events/", {"cursor": cursor})
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid cursor"}


@pytest.mark.parametrize("value", ["²", "٣", "\uff19", "1e3", "0x10", "1_000", "", " ", "1.0", "\x00", "9" * 20])
def test_it_reads_integers_written_with_ascii_digits_only(value):
    with pytest.raises(BadParameter, match=r"^camera: "):
        parse_integer("camera", value)


def test_it_reads_integers_within_bounds():
    assert parse_integer("camera", " 42 ") == 42
    assert parse_integer("offset", "-7") == -7
    assert parse_integer("big", str(2**63 - 1)) == 2**63 - 1
    with pytest.raises(BadParameter):
        parse_integer("big", str(2**63))
    with pytest.raises(BadParameter, match="from 1 to 12"):
        parse_integer("month", "13", minimum=1, maximum=12)


@pytest.mark.parametrize(
    "value",
    ["0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59-12:00", "9999-12-31",
     "1899-12-31T23:59:59Z", "9001-01-01T00:00:00Z", "2026-02-30", "2026-12-01T00:00:00+99:00", "soon", "\x00"],
)  # fmt: skip
def test_it_refuses_moments_outside_the_safe_range_or_malformed(value):
    with pytest.raises(BadParameter, match=r"^start: (give an ISO 8601 date and time|must not contain NUL)"):
        parse_moment("start", value)


def test_it_reads_moments_as_aware_datetimes():
    assert parse_moment("start", "2026-12-01T08:00:00+01:00") == datetime(2026, 12, 1, 7, tzinfo=UTC)
    local_midnight = parse_moment("start", "2026-12-01")
    assert local_midnight.tzinfo is not None and (local_midnight.hour, local_midnight.minute) == (0, 0)
    assert check_moment("until", datetime(9000, 12, 31, 12, tzinfo=UTC)).year == 9000
    with pytest.raises(BadParameter):  # 0001-01-01 at +14:00 is in year 0 in UTC: it cannot even be converted
        check_moment("until", datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))))


def test_it_reads_an_instant_as_epoch_milliseconds_or_iso():
    assert parse_instant("since", "1796000000250") == datetime.fromtimestamp(1796000000.25, tz=UTC)
    assert parse_instant("since", " 0 ") == datetime(1970, 1, 1, tzinfo=UTC)
    assert parse_instant("since", "2026-12-01T08:00:00.5+01:00") == datetime(2026, 12, 1, 7, 0, 0, 500000, tzinfo=UTC)
    for value in ["-5", "+5", "1.5", "1e12", "١٢٣", "²", "99999999999999999999", "9999999999999999", "soon", "1\x00"]:
        with pytest.raises(BadParameter, match=r"^since: "):
            parse_instant("since", value)


def test_every_registered_model_admin_refuses_bad_filters_cleanly(db):
    # Vigil's admin site gives every ModelAdmin the safe change list, Django's own and future ones too.
    request = RequestFactory().get("/admin/")
    for model, model_admin in admin.site._registry.items():
        assert issubclass(model_admin.get_changelist(request), SafeChangeListMixin), model


def test_every_api_filter_reads_integers_keys_and_moments_through_the_shared_readers(db):
    checked = 0
    for _, viewset, _ in registry:
        view = viewset(action="list", request=None, format_kwarg=None, kwargs={})
        backends = [b for b in view.filter_backends if issubclass(b, DjangoFilterBackend)]
        assert all(issubclass(b, QueryFilterBackend) for b in backends), viewset
        filterset = backends[0]().get_filterset_class(view, view.get_queryset()) if backends else None
        for name, declared in filterset.base_filters.items() if filterset else []:
            field = declared.field_class
            if issubclass(field, forms.DateTimeField):
                assert issubclass(field, QueryDateTimeField), (viewset, name)
            if issubclass(field, forms.ModelChoiceField):
                assert issubclass(field, QueryModelChoiceField), (viewset, name)
            if issubclass(field, forms.IntegerField | forms.DecimalField) and not name.endswith("__isnull"):
                assert issubclass(field, QueryIntegerField), (viewset, name)
            checked += 1
    assert checked > 10  # the filters were really found
