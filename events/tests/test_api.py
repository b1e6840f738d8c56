"""The events API: one shape for map and systems, GeoJSON, catch-up filters and the workflow."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cameras.tests.factories import CameraFactory
from events.models import Event, EventAction
from events.services import event_open_system

pytestmark = pytest.mark.django_db


def _open(name: str, severity: str = "high") -> Event:
    camera = CameraFactory(name=name, latitude="52.3700", longitude="4.8900")
    title = f"{name} offline"
    return event_open_system(camera=camera, label="camera_offline", title=title, detail="", severity=severity)


@pytest.fixture
def viewer(client, make_user):
    client.force_login(make_user("vera", "Viewers"))
    return client


@pytest.fixture
def operator(client, make_user):
    client.force_login(make_user("olga", "Operators"))
    return client


def test_events_come_as_geojson_points(viewer):
    event = _open("Quay")
    body = viewer.get("/api/events/?format=geojson").json()
    assert body["type"] == "FeatureCollection"
    [feature] = body["features"]
    assert feature["id"] == event.pk
    assert feature["geometry"] == {"type": "Point", "coordinates": [4.89, 52.37]}
    assert feature["properties"]["title"] == "Quay offline"
    assert feature["properties"]["actions"] == ["acknowledge", "dispatch", "resolve", "false_alarm", "note"]
    assert "next" in body


def test_changed_since_returns_only_what_changed(viewer):
    old, recent = _open("Old"), _open("Recent")
    Event.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(hours=2))
    since = (timezone.now() - timedelta(minutes=5)).isoformat()
    ids = [e["id"] for e in viewer.get("/api/events/", {"changed_since": since}).json()["results"]]
    assert ids == [recent.pk]


def test_filters_by_severity_and_open(viewer):
    high, low = _open("High", "high"), _open("Low", "low")
    Event.objects.filter(pk=low.pk).update(status=Event.Status.RESOLVED)

    def ids(query: str) -> list[int]:
        return [e["id"] for e in viewer.get(f"/api/events/?{query}").json()["results"]]

    assert ids("severity=high&severity=low") == [low.pk, high.pk]
    assert ids("is_open=true") == [high.pk]
    assert viewer.get("/api/events/?severity=extreme").status_code == 400


def test_pages_follow_a_cursor(viewer):
    events = [_open(f"Cam {i}") for i in range(5)]
    first = viewer.get("/api/events/?page_size=3").json()
    second = viewer.get(first["next"]).json()
    assert [e["id"] for e in first["results"] + second["results"]] == [e.pk for e in reversed(events)]
    assert second["next"] is None


def test_an_operator_acknowledges_and_the_history_shows_it(operator):
    event = _open("Quay")
    response = operator.post(f"/api/events/{event.pk}/acknowledge/", {}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["status"] == "acknowledged"
    assert response.json()["assignee"] == "olga"
    history = operator.get(f"/api/events/{event.pk}/history/").json()
    assert [(h["action"], h["user"], h["to_status"]) for h in history] == [("acknowledge", "olga", "acknowledged")]


def test_an_illegal_transition_is_a_clear_400(operator):
    event = _open("Quay")
    response = operator.post(f"/api/events/{event.pk}/resolve/", {}, content_type="application/json")
    assert response.status_code == 400
    assert "say why in a note" in response.json()["detail"]
    resolved = operator.post(f"/api/events/{event.pk}/resolve/", {"note": "Fixed"}, content_type="application/json")
    assert resolved.json()["status"] == "resolved"
    again = operator.post(f"/api/events/{event.pk}/false-alarm/", {"note": "x"}, content_type="application/json")
    assert again.status_code == 400 and "is resolved" in again.json()["detail"]


def test_viewers_cannot_act_on_events(viewer):
    event = _open("Quay")
    for action in ("acknowledge", "dispatch", "resolve", "false-alarm", "reopen"):
        response = viewer.post(f"/api/events/{event.pk}/{action}/", {"note": "n"}, content_type="application/json")
        assert response.status_code == 403, action
    event.refresh_from_db()
    assert event.status == "new" and not EventAction.objects.exists()


def test_the_broadcast_payload_is_the_api_shape(viewer, make_user):
    """The hand-built payload is what DRF's serializer makes of the declared fields, in every state."""
    from rest_framework import serializers

    from events.api.serializers import EventSerializer
    from events.payloads import event_payload

    event = _open("Quay")
    assert viewer.get(f"/api/events/{event.pk}/").json() == event_payload(Event.objects.get(pk=event.pk))
    fresh = Event.objects.get(pk=event.pk)
    worked = Event.objects.get(pk=event.pk)
    worked.assignee, worked.status = make_user("otto", "Operators"), Event.Status.RESOLVED
    worked.resolved_at = worked.escalated_at = worked.last_seen
    worked.resolution_note, worked.annotated_snapshot = "gone \u00e9", "events/x.jpg"
    for shown in (fresh, worked):
        generic = serializers.ModelSerializer.to_representation(EventSerializer(), shown)
        assert event_payload(shown) == generic
        assert set(generic) == set(EventSerializer.Meta.fields)


def test_filters_by_bounding_box_and_district_and_orders(viewer):
    inside = _open("Dam")
    Event.objects.filter(pk=inside.pk).update(peak_count=2)
    far = event_open_system(
        camera=CameraFactory(name="Utrecht", latitude="52.09", longitude="5.12", district="U"),
        label="camera_offline", title="Utrecht offline", detail="", severity="high",
    )  # fmt: skip
    Event.objects.filter(pk=far.pk).update(peak_count=9)

    def ids(query: str) -> list[int]:
        response = viewer.get(f"/api/events/?{query}")
        assert response.status_code == 200, response.json()
        return [item["id"] for item in response.json()["results"]]

    assert ids("bbox=4.85,52.35,4.95,52.40") == [inside.pk]
    assert ids("district=U") == [far.pk]
    assert ids("ordering=-peak_count") == [far.pk, inside.pk]
    assert ids("ordering=peak_count") == [inside.pk, far.pk]


@pytest.mark.parametrize(
    ("bbox", "message"),
    [
        ("4.85,52.35,4.95", "Give four numbers"),
        ("a,b,c,d", "Give four numbers"),
        ("4.85,52.35,4.95,95", "within ±90"),
        ("4.95,52.35,4.85,52.40", "inside out"),
    ],
)
def test_a_bad_bounding_box_is_a_clear_400(viewer, bbox, message):
    response = viewer.get(f"/api/events/?bbox={bbox}")
    assert response.status_code == 400 and message in response.json()["bbox"][0]


def test_filtering_by_status_keeps_the_query_plain(viewer):
    # django-filter's default SELECT DISTINCT made PostgreSQL sort every match instead of walking
    # the ordering index (bench/api.py: 11 ms became 170 ms with a million events).
    _open("Quay")
    with CaptureQueriesContext(connection) as queries:
        listed = viewer.get("/api/events/", {"status": ["new", "acknowledged"], "severity": "high"})

    assert len(listed.json()["results"]) == 1
    assert not [q["sql"] for q in queries if "events_event" in q["sql"] and "DISTINCT" in q["sql"]]


def test_a_dispatch_to_a_name_with_a_line_break_is_refused(operator):
    event = _open("Quay")
    response = operator.post(f"/api/events/{event.pk}/dispatch/", {"dispatched_to": "Unit 7\nBcc: all@example.com"},
                             content_type="application/json")  # fmt: skip
    assert response.status_code == 400 and "line breaks" in str(response.json()["dispatched_to"])
    event.refresh_from_db()
    assert event.status == "new" and not EventAction.objects.exists()
