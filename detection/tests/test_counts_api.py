"""``/api/counts/``: time series per camera or district, from the minute buckets the recording keeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cameras.tests.factories import CameraFactory
from detection.models import CountMinute, CountSample
from detection.services import count_sample_record, counts_raw_prune

pytestmark = pytest.mark.django_db

T = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.fixture
def viewer(client, make_user):
    client.force_login(make_user("vera", "Viewers"))
    return client


@pytest.fixture
def cameras():
    gate = CameraFactory(name="Gate", district="Noord")
    quay = CameraFactory(name="Quay", district="Noord")
    for camera, seconds, counts in [
        (gate, 5, {"person": 2}), (gate, 10, {"person": 4}), (gate, 1800, {}),
        (gate, 4500, {"person": 3, "vehicle": 1}), (quay, 20, {"person": 1}),
    ]:  # fmt: skip
        count_sample_record(camera=camera, captured_at=T + timedelta(seconds=seconds), counts=counts)
    return gate, quay


def _series(client, **query) -> list[tuple]:
    response = client.get("/api/counts/", {"since": T.isoformat(), "until": (T + timedelta(hours=2)).isoformat(),
                                           **query})  # fmt: skip
    assert response.status_code == 200, response.json()
    return [(p["start"][11:16], p["label"], p["samples"], p["mean"], p["peak"]) for p in response.json()["series"]]


def test_a_cameras_hours_with_zeros_where_nothing_was_seen(viewer, cameras):
    gate, _ = cameras

    assert _series(viewer, camera=gate.pk, bucket="hour") == [
        ("10:00", "person", 3, 2.0, 4),
        ("10:00", "vehicle", 3, 0.0, 0),
        ("11:00", "person", 1, 3.0, 3),
        ("11:00", "vehicle", 1, 1.0, 1),
    ]
    assert _series(viewer, camera=gate.pk, bucket="hour", label="person") == [
        ("10:00", "person", 3, 2.0, 4),
        ("11:00", "person", 1, 3.0, 3),
    ]


def test_days_and_hours_are_the_sites_local_ones(viewer, settings):
    settings.TIME_ZONE = "Europe/Amsterdam"  # summer time ends on 25 October 2026 at 01:00 UTC
    camera = CameraFactory()
    for moment in ["2026-10-24T21:30Z", "2026-10-24T22:30Z", "2026-10-25T22:30Z", "2026-10-25T23:30Z"]:
        count_sample_record(camera=camera, captured_at=datetime.fromisoformat(moment), counts={"person": 1})
    query = {"camera": camera.pk, "since": "2026-10-24T00:00Z", "until": "2026-10-27T00:00Z"}

    days = viewer.get("/api/counts/", {**query, "bucket": "day"}).json()["series"]

    # 25 October is 25 hours long: its first and last minute are in the same bucket.
    assert [(p["start"], p["samples"]) for p in days] == [
        ("2026-10-24T00:00:00+02:00", 1),
        ("2026-10-25T00:00:00+02:00", 2),
        ("2026-10-26T00:00:00+01:00", 1),
    ]
    settings.TIME_ZONE = "Asia/Kolkata"  # half an hour off UTC: its hours start at :30 UTC
    hours = viewer.get("/api/counts/", {**query, "bucket": "hour"}).json()["series"]
    assert [p["start"] for p in hours][:2] == ["2026-10-25T03:00:00+05:30", "2026-10-25T04:00:00+05:30"]


def test_the_series_outlives_the_raw_samples(viewer, cameras):
    gate, _ = cameras
    before = _series(viewer, camera=gate.pk, bucket="hour")

    counts_raw_prune(before=T + timedelta(hours=3))

    assert not CountSample.objects.exists() and CountMinute.objects.filter(camera=gate).count() == 3
    assert _series(viewer, camera=gate.pk, bucket="hour") == before
    assert _series(viewer, camera=gate.pk, bucket="minute", label="person")[:1] == [("10:00", "person", 2, 3.0, 4)]


def test_a_district_adds_up_its_cameras(viewer, cameras):
    window = {"since": T.isoformat(), "until": (T + timedelta(hours=2)).isoformat()}
    response = viewer.get("/api/counts/", {"district": "Noord", "bucket": "day", "label": "person", **window})
    body = response.json()
    assert body["cameras"] == 2 and body["district"] == "Noord"
    [point] = body["series"]
    # Gate: 4 frames, 9 people in all -> 2.25; Quay: 1 frame, 1 person -> 1.0.
    assert (point["samples"], point["mean"], point["peak"]) == (5, 3.25, 5)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({}, "non_field_errors", "Give either camera or district"),
        ({"camera": 1, "district": "Noord"}, "non_field_errors", "Give either camera or district"),
        ({"district": "Noord", "bucket": "minute", "since": "2026-10-01T00:00:00Z", "until": "2026-11-01T00:00:00Z"},
         "bucket", "too many"),
        ({"district": "Noord", "since": "2026-11-02T00:00:00Z", "until": "2026-11-01T00:00:00Z"}, "since", "before"),
        ({"district": "Noord", "bucket": "week"}, "bucket", "not a valid choice"),
        ({"camera": 999999}, "camera", "No camera 999999"),
    ],
)  # fmt: skip
def test_bad_queries_are_a_clear_400(viewer, query, field, message):
    response = viewer.get("/api/counts/", query)
    assert response.status_code == 400 and message in str(response.json()[field])


def test_counts_need_a_role(client, make_user):
    assert client.get("/api/counts/", {"district": "Noord"}).status_code == 401
    client.force_login(make_user("nobody"))
    assert client.get("/api/counts/", {"district": "Noord"}).status_code == 403
