"""Every API operation against every role: who may read, who may act, who may manage.

One row per operation; the columns are anonymous, logged in without a role, Viewers, Operators,
Administrators. A refused write must also leave the database as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.test import Client

from accounts.services import api_token_issue
from cameras.models import Camera
from cameras.tests.factories import CameraFactory
from events.models import Event, ThreatRule
from events.services import event_open_system
from events.workflow import event_transition

pytestmark = pytest.mark.django_db

# (name, group); None: not logged in, "": a user in no group.
ROLES = [("anonymous", None), ("no role", ""), ("viewer", "Viewers"), ("operator", "Operators"),
         ("administrator", "Administrators")]  # fmt: skip
READ = [401, 403, 200, 200, 200]
WORK = [401, 403, 403, 200, 200]
MANAGE_ONLY = [401, 403, 403, 403]
CAMERA = {"name": "New gate", "latitude": 52.36, "longitude": 4.9, "source_url": "http://10.0.0.9/snapshot.jpg"}
RULE = {"name": "Crowd", "labels": ["person"], "severity": "high", "min_count": 5}


@dataclass
class Operation:
    method: str
    path: str  # {camera}, {event}, {closed}, {rule}, {model} are filled in per test
    expected: list[int]
    body: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


OPERATIONS = [
    Operation("get", "/api/", [401, 200, 200, 200, 200]),
    Operation("get", "/api/schema/", [401, 200, 200, 200, 200]),
    Operation("get", "/api/cameras/", READ),
    Operation("get", "/api/cameras/?format=geojson", READ),
    Operation("get", "/api/cameras/{camera}/", READ),
    Operation("post", "/api/cameras/", [*MANAGE_ONLY, 201], CAMERA),
    Operation("patch", "/api/cameras/{camera}/", [*MANAGE_ONLY, 200], {"district": "Zuid"}),
    # Moving the camera to another address: its stored password must be retyped or cleared explicitly.
    Operation("put", "/api/cameras/{camera}/", [*MANAGE_ONLY, 200], {**CAMERA, "password": ""}),
    Operation("delete", "/api/cameras/{camera}/", [*MANAGE_ONLY, 204]),
    Operation("get", "/api/events/", READ),
    Operation("get", "/api/events/?format=geojson&bbox=4,52,5,53&status=new", READ),
    Operation("get", "/api/events/{event}/", READ),
    Operation("get", "/api/events/{event}/history/", READ),
    # The camera records nothing: who may read events is told there is no clip yet; the others are refused.
    Operation("get", "/api/events/{event}/clip/", [401, 403, 404, 404, 404]),
    Operation("get", "/api/cameras/{camera}/recordings/", READ),
    Operation("get", "/api/cameras/{camera}/stills/", READ),
    Operation("post", "/api/events/{event}/acknowledge/", WORK),
    Operation("post", "/api/events/{event}/dispatch/", WORK, {"dispatched_to": "Unit 12"}),
    Operation("post", "/api/events/{event}/resolve/", WORK, {"note": "Crowd left"}),
    Operation("post", "/api/events/{event}/false-alarm/", WORK, {"note": "A poster"}),
    Operation("post", "/api/events/{closed}/reopen/", WORK, {"note": "Back again"}),
    Operation("post", "/api/events/{event}/note/", WORK, {"note": "Called the site"}),
    Operation("delete", "/api/events/{event}/", [*MANAGE_ONLY, 405]),  # events are closed, never deleted here
    Operation("get", "/api/rules/", READ),
    Operation("get", "/api/rules/{rule}/", READ),
    Operation("post", "/api/rules/", [*MANAGE_ONLY, 201], {**RULE, "name": "Other crowd"}),
    Operation("patch", "/api/rules/{rule}/", [*MANAGE_ONLY, 200], {"min_count": 9}),
    Operation("put", "/api/rules/{rule}/", [*MANAGE_ONLY, 200], RULE),
    Operation("delete", "/api/rules/{rule}/", [*MANAGE_ONLY, 204]),
    Operation("get", "/api/models/", READ),
    Operation("get", "/api/models/{model}/", READ),
    # Models are added in the admin, by superusers only (weights are code): no role may add one.
    Operation("post", "/api/models/", [*MANAGE_ONLY, 403], {"name": "x"}),
    Operation("get", "/api/counts/?camera={camera}&bucket=hour", READ),
]


def _snapshot() -> tuple:
    """What a refused request must not change."""
    return (
        list(Camera.objects.order_by("pk").values_list("pk", "name", "district", "source_url")),
        list(Event.objects.order_by("pk").values_list("pk", "status", "updated_at")),
        list(ThreatRule.objects.order_by("pk").values_list("pk", "name", "min_count")),
    )


@pytest.mark.parametrize("operation", OPERATIONS, ids=str)
@pytest.mark.parametrize("column", range(len(ROLES)), ids=[name for name, _ in ROLES])
def test_each_role_gets_what_it_may(operation, column, make_user, offline_model, settings):
    settings.API_THROTTLE_RATE = "100000/min"
    camera = CameraFactory(source_url="rtsp://operator:s3cret@10.0.0.7/stream", name="Gate")
    event = event_open_system(camera=camera, label="camera_offline", title="Gate offline", detail="", severity="high")
    closed = event_open_system(camera=camera, label="stream_stalled", title="Gate stalled", detail="", severity="low")
    admin = make_user("setup-admin", "Administrators")
    event_transition(event=closed, action="resolve", user=admin, note="It came back")
    rule = ThreatRule.objects.create(**RULE)
    ids = {"camera": camera.pk, "event": event.pk, "closed": closed.pk, "rule": rule.pk, "model": offline_model.pk}

    client, group = Client(), ROLES[column][1]
    if group is not None:  # systems use tokens; the browser's session is tested with the map
        _, key = api_token_issue(user=make_user("someone", group or None))
        client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    before = _snapshot()

    path = operation.path.format(**ids)
    if operation.method == "get":
        response = client.get(path)
    else:
        response = getattr(client, operation.method)(path, operation.body, content_type="application/json")

    expected = operation.expected[column]
    assert response.status_code == expected, response.content[:300]
    if response.status_code >= 400:
        assert "html" not in response["Content-Type"] and b"detail" in response.content  # a message, no page
        assert _snapshot() == before
    assert b"s3cret" not in response.content
