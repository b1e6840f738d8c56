"""Camera validation: every bad input gets a clear message."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from cameras.models import Camera


def _camera(settings, **fields) -> Camera:
    values = {
        "name": "Test camera",
        "latitude": Decimal("52.37"),
        "longitude": Decimal("4.89"),
        "source_url": (settings.ULTRALYTICS_ASSETS / "bus.jpg").as_uri(),
    }
    values.update(fields)
    return Camera(**values)


def _errors(camera: Camera) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        camera.full_clean()
    return caught.value.message_dict


@pytest.mark.django_db
def test_it_accepts_a_photo_under_the_source_folders(settings):
    _camera(settings).full_clean()


@pytest.mark.django_db
@pytest.mark.parametrize("latitude", ["90.5", "-91"])
def test_it_rejects_latitude_out_of_range(settings, latitude):
    assert "latitude" in _errors(_camera(settings, latitude=Decimal(latitude)))


@pytest.mark.django_db
@pytest.mark.parametrize("longitude", ["180.1", "-200"])
def test_it_rejects_longitude_out_of_range(settings, longitude):
    assert "longitude" in _errors(_camera(settings, longitude=Decimal(longitude)))


@pytest.mark.django_db
def test_it_rejects_an_interval_below_one_second(settings):
    assert "capture_interval" in _errors(_camera(settings, capture_interval=0))


@pytest.mark.django_db
def test_it_rejects_an_unknown_scheme(settings):
    message = _errors(_camera(settings, source_url="gopher://cam.example.org/feed"))["source_url"][0]
    assert "Unsupported URL scheme 'gopher://'" in message
    assert "rtsp://" in message


@pytest.mark.django_db
def test_it_rejects_a_file_outside_the_source_folders(settings, tmp_path):
    outside = tmp_path / "secret.jpg"
    outside.write_bytes(b"not really")
    message = _errors(_camera(settings, source_url=outside.as_uri()))["source_url"][0]
    assert "Local files must be under the configured media folders" in message


@pytest.mark.django_db
def test_it_rejects_a_path_escaping_the_source_folders(settings):
    escaping = f"file://{settings.ULTRALYTICS_ASSETS}/../../../../../etc/passwd"
    assert "Local files must be under" in _errors(_camera(settings, source_url=escaping))["source_url"][0]


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["169.254.169.254", "[fd00:ec2::254]"])
def test_it_refuses_cloud_metadata_addresses(settings, host):
    message = _errors(_camera(settings, source_url=f"http://{host}/latest/meta-data/"))["source_url"][0]
    assert "metadata" in message


@pytest.mark.django_db
def test_it_moves_credentials_out_of_the_url(settings):
    camera = _camera(settings, source_url="rtsp://operator:s3cr%40t@10.0.0.5:554/stream1")
    camera.full_clean()
    assert camera.source_url == "rtsp://10.0.0.5:554/stream1"
    assert (camera.username, camera.password) == ("operator", "s3cr@t")
    assert camera.masked_source_url == "rtsp://operator:***@10.0.0.5:554/stream1"
    assert camera.connection_url == "rtsp://operator:s3cr%40t@10.0.0.5:554/stream1"


@pytest.mark.django_db
def test_a_disabled_camera_reports_disabled(settings):
    camera = _camera(settings, enabled=False)
    camera.save()
    assert camera.status == Camera.Status.DISABLED
    assert camera.slug == "test-camera"
