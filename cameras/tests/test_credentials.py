"""A camera's password is never returned by the API nor shown in the admin."""

import pytest
from django.urls import reverse

from cameras.models import Camera
from cameras.tests.factories import CameraFactory

PASSWORD = "pa55-w0rd-never-shown"


@pytest.fixture
def camera(db) -> Camera:
    return Camera.objects.create(
        name="Gate",
        latitude="52.1",
        longitude="4.1",
        source_url="rtsp://10.1.1.1/live",
        username="op",
        password=PASSWORD,
    )


# The Tracking fieldset as the browser posts it (the fields' defaults).
TRACKING = {
    "track_region": "lines", "tracker": "bytetrack", "track_confidence": "0.1", "track_high_thresh": "0.25",
    "track_low_thresh": "0.1", "new_track_thresh": "0.25", "track_buffer": "30", "match_thresh": "0.8",
}  # fmt: skip
RECORDING = {"recording": "off", "recording_retention_days": "7"}


def test_the_api_never_returns_the_password(admin_client, camera):
    listing = admin_client.get("/api/cameras/")
    detail = admin_client.get(f"/api/cameras/{camera.pk}/")
    assert listing.status_code == detail.status_code == 200
    assert PASSWORD not in listing.content.decode() + detail.content.decode()
    assert "password" not in detail.json()


def test_the_api_splits_credentials_given_in_the_url(admin_client):
    response = admin_client.post(
        "/api/cameras/",
        {"name": "Bridge", "latitude": "52.2", "longitude": "4.2", "source_url": f"rtsp://op:{PASSWORD}@10.2.2.2/live"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert PASSWORD not in response.content.decode()
    assert response.json()["source_url"] == "rtsp://10.2.2.2/live"
    assert Camera.objects.get(name="Bridge").password == PASSWORD


def test_credentials_saved_in_a_url_by_any_path_leave_the_url(admin_client):
    # Not through a form or the API (they split it too): code saving a camera directly.
    camera = CameraFactory(source_url="rtsp://operator:s3cret@10.0.0.7/stream")
    camera.refresh_from_db()
    assert (camera.source_url, camera.username, camera.password) == ("rtsp://10.0.0.7/stream", "operator", "s3cret")
    assert "s3cret" not in admin_client.get("/api/cameras/?format=geojson").text


def test_the_api_explains_a_bad_camera(admin_client):
    response = admin_client.post(
        "/api/cameras/",
        {"name": "Bad", "latitude": "123", "longitude": "4.2", "source_url": "ftp://x/y"},
        content_type="application/json",
    )
    assert response.status_code == 400
    errors = response.json()
    assert "latitude" in errors
    assert "Unsupported URL scheme 'ftp://'" in errors["source_url"][0]


def test_viewers_cannot_change_cameras(client, make_user, camera):
    client.force_login(make_user("viewer", "Viewers"))
    assert client.get("/api/cameras/").status_code == 200
    assert client.delete(f"/api/cameras/{camera.pk}/").status_code == 403


def test_users_without_a_role_cannot_read_cameras(client, make_user, camera):
    client.force_login(make_user("nobody"))
    response = client.get("/api/cameras/")
    assert response.status_code == 403
    assert camera.name not in response.content.decode()


def test_administrators_manage_cameras_and_never_see_credentials(client, make_user, camera):
    client.force_login(make_user("chief", "Administrators"))
    response = client.patch(
        f"/api/cameras/{camera.pk}/",
        {"username": "svc-cam", "password": "s3cret-pass"},
        content_type="application/json",
    )
    assert response.status_code == 200
    camera.refresh_from_db()
    assert (camera.username, camera.password) == ("svc-cam", "s3cret-pass")
    for body in (
        response.content,
        client.get("/api/cameras/").content,
        client.get("/api/cameras/?format=geojson").content,
    ):
        assert b"svc-cam" not in body and b"s3cret-pass" not in body


def test_the_admin_never_shows_the_password(admin_client, camera):
    listing = admin_client.get(reverse("admin:cameras_camera_changelist"))
    change = admin_client.get(reverse("admin:cameras_camera_change", args=[camera.pk]))
    assert listing.status_code == change.status_code == 200
    assert PASSWORD not in listing.content.decode()
    assert PASSWORD not in change.content.decode()


def test_saving_in_the_admin_with_a_blank_password_keeps_it(admin_client, camera):
    form = {
        "name": "Gate", "slug": camera.slug, "description": "", "enabled": "on", "latitude": "52.1",
        "longitude": "4.1", "address": "", "heading": "", "district": "North", "tags": "[]",
        "source_url": "rtsp://10.1.1.1/live", "username": "op", "password": "",
        "capture_mode": "interval", "capture_interval": "15", "rtsp_transport": "tcp",
        "detect": "on", "motion_gate": "on", "motion_threshold": "0.5", **TRACKING, **RECORDING,
    }  # fmt: skip
    response = admin_client.post(reverse("admin:cameras_camera_change", args=[camera.pk]), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    camera.refresh_from_db()
    assert camera.password == PASSWORD
    assert camera.district == "North"


def test_logs_never_carry_the_password(db, caplog, settings):
    import logging

    from cameras.services import camera_capture
    from cameras.tests.servers import refusing_url

    settings.CAPTURE_TIMEOUT_SECONDS = 2
    camera = Camera.objects.create(
        name="Logged", latitude="52.1", longitude="4.1", source_url=refusing_url(), username="op", password=PASSWORD
    )
    with caplog.at_level(logging.DEBUG):
        camera_capture(camera_id=camera.pk)
    assert "op:***@127.0.0.1" in caplog.text
    assert PASSWORD not in caplog.text
    camera.refresh_from_db()
    assert PASSWORD not in camera.last_error


def test_the_map_gets_each_cameras_newest_counts(client, make_user, camera):
    from datetime import timedelta

    from django.utils import timezone

    from detection.models import CountSample

    now = timezone.now()
    CountSample.objects.create(camera=camera, captured_at=now - timedelta(minutes=1), counts={"person": 9}, total=9)
    CountSample.objects.create(camera=camera, captured_at=now, counts={"person": 3, "vehicle": 1}, total=4)
    client.force_login(make_user("viewer", "Viewers"))

    [feature] = client.get("/api/cameras/?format=geojson").json()["features"]

    assert feature["properties"]["latest_counts"] == {"person": 3, "vehicle": 1}
    assert feature["properties"]["counted_at"] is not None
    assert feature["geometry"]["type"] == "Point"
    # The properties are the camera as the JSON answer gives it (one schema for both formats).
    assert feature["properties"].keys() == client.get(f"/api/cameras/{camera.pk}/").json().keys()


# --- Credentials in the query string (?usr=admin&pwd=…) ----------------------------------------

QUERY_SECRET = "qs-S3cr3t-77"
QUERY_URL = f"http://10.3.3.3/cgi-bin/snapshot.cgi?usr=admin&pwd={QUERY_SECRET}&channel=1"
QUERY_SHOWN = "http://10.3.3.3/cgi-bin/snapshot.cgi?usr=admin&pwd=***&channel=1"


@pytest.fixture
def query_camera(db) -> Camera:
    return Camera.objects.create(name="Foscam", latitude="52.1", longitude="4.1", source_url=QUERY_URL)


def test_viewers_never_get_a_credential_from_the_url_query(client, make_user, query_camera):
    client.force_login(make_user("watcher", "Viewers", staff=True))
    detail = client.get(f"/api/cameras/{query_camera.pk}/")
    pages = [
        detail,
        client.get("/api/cameras/"),
        client.get("/api/cameras/?format=geojson"),  # what the map's popups show
        client.get(reverse("admin:cameras_camera_changelist")),
        client.get(reverse("admin:cameras_camera_change", args=[query_camera.pk])),
    ]
    for page in pages:
        assert page.status_code == 200
        assert QUERY_SECRET not in page.content.decode()
    assert detail.json()["source_url"] == QUERY_SHOWN
    assert QUERY_SHOWN.replace("&", "&amp;") in pages[-1].content.decode()


def test_the_admin_shows_a_query_credential_masked_and_keeps_it_when_sent_back(admin_client, query_camera):
    page = admin_client.get(reverse("admin:cameras_camera_change", args=[query_camera.pk])).content.decode()
    assert QUERY_SECRET not in page and "pwd=***" in page
    form = {
        "name": "Foscam gate", "slug": query_camera.slug, "description": "", "enabled": "on", "latitude": "52.1",
        "longitude": "4.1", "address": "", "heading": "", "district": "", "tags": "[]",
        "source_url": QUERY_SHOWN, "username": "", "password": "",
        "capture_mode": "interval", "capture_interval": "15", "rtsp_transport": "tcp",
        "detect": "on", "motion_gate": "on", "motion_threshold": "0.5", **TRACKING, **RECORDING,
    }  # fmt: skip
    response = admin_client.post(reverse("admin:cameras_camera_change", args=[query_camera.pk]), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    query_camera.refresh_from_db()
    assert (query_camera.name, query_camera.source_url) == ("Foscam gate", QUERY_URL)
    form["source_url"] = QUERY_SHOWN.replace("pwd=***", "pwd=rotated-1")
    admin_client.post(reverse("admin:cameras_camera_change", args=[query_camera.pk]), form)
    query_camera.refresh_from_db()
    assert query_camera.source_url == QUERY_URL.replace(QUERY_SECRET, "rotated-1")


def test_the_api_keeps_a_query_credential_sent_back_masked(admin_client, query_camera):
    shown = admin_client.get(f"/api/cameras/{query_camera.pk}/").json()
    body = {key: shown[key] for key in ("name", "latitude", "longitude", "source_url")} | {"name": "Renamed"}
    response = admin_client.put(f"/api/cameras/{query_camera.pk}/", body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert QUERY_SECRET not in response.content.decode()
    query_camera.refresh_from_db()
    assert (query_camera.name, query_camera.source_url) == ("Renamed", QUERY_URL)


def test_capture_errors_and_logs_never_carry_a_query_credential(db, caplog, settings, tmp_path):
    import logging

    from cameras.services import camera_capture
    from cameras.tests.servers import http_camera, refusing_url

    settings.CAPTURE_TIMEOUT_SECONDS = 3
    with http_camera([], tmp_path) as base:
        urls = [f"{refusing_url()}?pwd={QUERY_SECRET}", f"{base}/missing.m3u8?token={QUERY_SECRET}",
                f"{base}/missing.jpg?auth={QUERY_SECRET}"]  # fmt: skip
        for n, url in enumerate(urls):
            camera = Camera.objects.create(name=f"Query {n}", latitude="52.1", longitude="4.1", source_url=url)
            with caplog.at_level(logging.DEBUG):
                camera_capture(camera_id=camera.pk)
            camera.refresh_from_db()
            assert camera.last_error and QUERY_SECRET not in camera.last_error
    assert QUERY_SECRET not in caplog.text


def test_errors_stored_before_masking_are_masked_by_the_migration(query_camera):
    import importlib

    from django.apps import apps

    Camera.objects.filter(pk=query_camera.pk).update(last_error=f"{QUERY_URL} answered HTTP 500")
    importlib.import_module("cameras.migrations.0009_mask_credentials_in_errors").mask_errors(apps, None)
    query_camera.refresh_from_db()
    assert query_camera.last_error == f"{QUERY_SHOWN} answered HTTP 500"


# --- Stored credentials stay with the address they were typed for --------------------------------

MOVED_SHOWN = "http://127.0.0.1:9999/cgi-bin/snapshot.cgi?usr=admin&pwd=***&channel=1"


@pytest.fixture
def secret_camera(db) -> Camera:
    return Camera.objects.create(
        name="Secret", latitude="52.1", longitude="4.1", source_url=QUERY_URL, username="camuser", password=PASSWORD
    )


def test_the_api_refuses_a_masked_credential_sent_to_another_host(admin_client, secret_camera):
    response = admin_client.patch(
        f"/api/cameras/{secret_camera.pk}/", {"source_url": MOVED_SHOWN}, content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert "address changed" in response.json()["source_url"][0]
    secret_camera.refresh_from_db()
    assert secret_camera.source_url == QUERY_URL


def test_the_api_refuses_a_host_change_that_keeps_the_stored_password(admin_client, secret_camera):
    moved = MOVED_SHOWN.replace("pwd=***", "pwd=new-one")
    url = f"/api/cameras/{secret_camera.pk}/"
    response = admin_client.patch(url, {"source_url": moved}, content_type="application/json")
    assert response.status_code == 400, response.content
    assert "address changed" in response.json()["password"][0]
    secret_camera.refresh_from_db()
    assert secret_camera.source_url == QUERY_URL
    retyped = admin_client.patch(url, {"source_url": moved, "password": "p2"}, content_type="application/json")
    assert retyped.status_code == 200, retyped.content
    secret_camera.refresh_from_db()
    assert (secret_camera.source_url, secret_camera.password) == (moved, "p2")


def test_the_api_keeps_stored_credentials_when_only_the_path_changes(admin_client, secret_camera):
    same_host = QUERY_SHOWN.replace("channel=1", "channel=2")
    response = admin_client.patch(
        f"/api/cameras/{secret_camera.pk}/", {"source_url": same_host}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    secret_camera.refresh_from_db()
    assert (secret_camera.source_url, secret_camera.password) == (QUERY_URL.replace("channel=1", "channel=2"), PASSWORD)


def test_the_admin_refuses_a_host_change_that_keeps_stored_credentials(admin_client, secret_camera):
    change = reverse("admin:cameras_camera_change", args=[secret_camera.pk])
    form = {
        "name": "Secret", "slug": secret_camera.slug, "description": "", "enabled": "on", "latitude": "52.1",
        "longitude": "4.1", "address": "", "heading": "", "district": "", "tags": "[]",
        "source_url": MOVED_SHOWN, "username": "camuser", "password": "",
        "capture_mode": "interval", "capture_interval": "15", "rtsp_transport": "tcp",
        "detect": "on", "motion_gate": "on", "motion_threshold": "0.5", **TRACKING, **RECORDING,
    }  # fmt: skip
    response = admin_client.post(change, form)
    assert response.status_code == 200
    assert "address changed" in response.context["adminform"].form.errors["source_url"][0]
    form["source_url"] = MOVED_SHOWN.replace("pwd=***", "pwd=new-one")
    response = admin_client.post(change, form)
    assert response.status_code == 200
    assert "address changed" in response.context["adminform"].form.errors["password"][0]
    secret_camera.refresh_from_db()
    assert (secret_camera.source_url, secret_camera.password) == (QUERY_URL, PASSWORD)
    form["password"] = "typed-for-the-new-host"
    assert admin_client.post(change, form).status_code == 302
    secret_camera.refresh_from_db()
    assert secret_camera.password == "typed-for-the-new-host" and QUERY_SECRET not in secret_camera.source_url
