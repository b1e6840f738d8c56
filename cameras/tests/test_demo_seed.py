"""The demo cameras need nothing downloaded."""

import pytest

from cameras.models import Camera
from cameras.services import camera_demo_seed


@pytest.mark.django_db
def test_it_uses_the_photos_shipped_with_ultralytics(settings):
    settings.DEMO_MEDIA = None
    created = camera_demo_seed()
    assert [c.source_url.rsplit("/", 1)[-1] for c in created] == ["bus.jpg", "zidane.jpg"]
    # Snapshot cameras of photos: they keep their frames around events, for their events' timelapses.
    assert all(c.recording == "events" and c.keeps_stills for c in created)
    lat0, lon0 = settings.DEMO_CENTER
    for camera in created:
        assert abs(float(camera.latitude) - lat0) < 0.01 and abs(float(camera.longitude) - lon0) < 0.01
    assert camera_demo_seed() == []  # only once


@pytest.mark.django_db
def test_it_loops_the_shared_clips_when_given(settings, media_dir):
    settings.DEMO_MEDIA = media_dir
    settings.SOURCE_FOLDERS = [*settings.SOURCE_FOLDERS, media_dir]
    created = camera_demo_seed()
    assert sorted(c.source_url.rsplit("/", 1)[-1] for c in created) == ["concourse.mp4", "office.mp4", "street.mp4"]
    assert Camera.objects.count() == 3
    # The concourse is tracked as a stream (its counting line counts), the others are snapshot cameras.
    modes = {c.source_url.rsplit("/", 1)[-1]: c.capture_mode for c in created}
    assert modes == {"concourse.mp4": "stream", "street.mp4": "interval", "office.mp4": "interval"}
