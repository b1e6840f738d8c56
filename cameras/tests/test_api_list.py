"""The camera list and the live map's markers (``/api/cameras/map/``): the cameras in a box, page by page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cameras.tests.factories import CameraFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(client, make_user):
    client.force_login(make_user("vera", "Viewers"))
    return client


def test_it_lists_only_the_cameras_inside_the_bounding_box(viewer):
    dam = CameraFactory(name="Dam", latitude="52.3731", longitude="4.8926")
    CameraFactory(name="Utrecht", latitude="52.0907", longitude="5.1214")
    CameraFactory(name="West of the box", latitude="52.3731", longitude="4.8400")
    response = viewer.get("/api/cameras/?bbox=4.85,52.35,4.95,52.40")
    assert response.status_code == 200
    assert [camera["id"] for camera in response.json()] == [dam.pk]


def test_a_camera_on_the_edge_of_the_box_is_inside(viewer):
    corner = CameraFactory(name="Corner", latitude="52.350000", longitude="4.950000")
    assert [c["id"] for c in viewer.get("/api/cameras/?bbox=4.85,52.35,4.95,52.40").json()] == [corner.pk]


@pytest.mark.parametrize(
    ("bbox", "message"),
    [
        ("4.85,52.35,4.95", "Give four numbers"),
        ("a,b,c,d", "Give four numbers"),
        ("nan,52.35,4.95,52.40", "Give four numbers"),
        ("inf,52.35,4.95,52.40", "Give four numbers"),
        ("1e999,52.35,4.95,52.40", "Give four numbers"),
        ("٣,52.35,4.95,52.40", "Give four numbers"),
        ("1_0,52.35,4.95,52.40", "Give four numbers"),
        ("4.85,52.35,4.95,95", "within ±90"),
        ("-181,52.35,4.95,52.40", "within ±180"),
        ("4.95,52.35,4.85,52.40", "inside out"),
        ("4.85,52.35,4.85,52.40", "inside out"),
        ("4.85,52.35,4.95,52.35", "inside out"),
    ],
)
def test_a_bad_bounding_box_is_a_clear_400(viewer, bbox, message):
    response = viewer.get("/api/cameras/", {"bbox": bbox})
    assert response.status_code == 400
    assert message in response.json()["bbox"][0]


def test_the_list_stays_one_answer_and_the_markers_come_in_pages(viewer):
    cameras = [CameraFactory(latitude="52.37", longitude="4.89") for _ in range(5)]
    assert len(viewer.get("/api/cameras/").json()) == 5  # one answer, as clients have always read it
    seen, url = [], "/api/cameras/map/?page_size=2&bbox=4.85,52.35,4.95,52.40"
    while url:
        page = viewer.get(url).json()
        assert len(page["results"]) <= 2
        seen += [camera["id"] for camera in page["results"]]
        url = page["next"]
    assert seen == [camera.pk for camera in cameras]


def test_the_markers_keep_to_the_bounding_box(viewer):
    dam = CameraFactory(name="Dam", latitude="52.3731", longitude="4.8926")
    CameraFactory(name="Utrecht", latitude="52.0907", longitude="5.1214")
    body = viewer.get("/api/cameras/map/?bbox=4.85,52.35,4.95,52.40").json()
    assert [camera["id"] for camera in body["results"]] == [dam.pk]
    response = viewer.get("/api/cameras/map/", {"bbox": "4.95,52.35,4.85,52.40"})
    assert response.status_code == 400 and "inside out" in response.json()["bbox"][0]


@pytest.mark.parametrize("size", ["0", "²", "-1", "1e3"])
def test_a_bad_page_size_is_a_clear_400(viewer, size):
    response = viewer.get("/api/cameras/map/", {"page_size": size})
    assert response.status_code == 400 and "page_size" in response.json()


def test_the_markers_have_only_what_a_marker_needs_in_one_query(viewer):
    CameraFactory.create_batch(3, latitude="52.37", longitude="4.89", heading=90)
    with CaptureQueriesContext(connection) as queries:
        body = viewer.get("/api/cameras/map/?format=geojson").json()
    camera_queries = [q for q in queries.captured_queries if "cameras_camera" in q["sql"]]
    assert len(camera_queries) == 1
    assert "cameras_countsample" not in camera_queries[0]["sql"]
    feature = body["features"][0]
    assert feature["properties"].keys() == {"id", "name", "latitude", "longitude", "heading", "status"}
    assert feature["geometry"]["type"] == "Point"
