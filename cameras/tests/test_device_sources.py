"""A device camera names a real V4L index: saving refuses others, and a reader never lets a library error out."""

import pytest
from django.core.exceptions import ValidationError

from cameras import sources
from cameras.models import Camera
from cameras.readers import CaptureError, grab_frame
from cameras.services import camera_capture, camera_test_connection
from cameras.tests.factories import CameraFactory

HUGE = "device://99999999999999999999999"


@pytest.mark.parametrize("url", [HUGE, "device://64", "device://²", "device://-1", "device://0x1", "device://"])
def test_it_refuses_a_device_index_outside_0_to_63_when_saved(url):
    with pytest.raises(ValidationError, match="index 0 to 63"):
        sources.validate_source_url(url)


@pytest.mark.parametrize("url", ["device://0", "device://63"])
def test_it_accepts_a_device_index_in_range(url):
    sources.validate_source_url(url)


@pytest.mark.django_db
def test_the_api_refuses_a_huge_device_index_with_a_field_error(admin_client):
    response = admin_client.post(
        "/api/cameras/", {"name": "Probe", "latitude": "52.1", "longitude": "4.1", "source_url": HUGE},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 400
    assert "index 0 to 63" in response.json()["source_url"][0]


def test_a_reader_turns_a_library_error_into_a_capture_error():
    with pytest.raises(CaptureError, match="cannot be read: A device URL names"):
        grab_frame(HUGE, timeout=2)


@pytest.mark.django_db
def test_a_stored_huge_device_index_is_reported_by_test_connection_and_capture():
    camera = CameraFactory(source_url=HUGE)  # saved before the check existed (create() skips validation)
    ok, message = camera_test_connection(camera=camera)
    assert not ok and "cannot be read" in message
    camera_capture(camera_id=camera.pk, force=True)
    camera = Camera.objects.get(pk=camera.pk)
    assert "cannot be read" in camera.last_error and camera.consecutive_failures == 1
