"""The recorder in ``/healthz``: up while a recorder worker records the recorded cameras, down once it stops,
with how many cameras it records and how old the newest segment is."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cameras.tests.factories import CameraFactory
from cameras.tests.servers import RtspCamera
from recordings.models import Segment
from recordings.tests.segments import recorded
from recordings.worker import RecorderWorker
from system.selectors import health_report_forget
from vigilsite.testing import wait_until


def _recorder(client) -> dict:
    health_report_forget()  # the report is cached for a second
    return client.get(reverse("healthz")).json()["recorder"]


@pytest.mark.django_db
def test_no_recorded_camera_needs_no_recorder_and_one_does(client, admin_client, concourse_segments):
    CameraFactory(source_url="rtsp://127.0.0.1:9/live", name="Not recorded")
    # A JPEG camera is never recorded.
    CameraFactory(source_url="http://127.0.0.1:9/snapshot.jpg", name="Snapshots", recording="continuous")
    assert _recorder(admin_client) == {"ok": True, "cameras": 0, "recorded": 0, "last_segment_age_s": None,
                                       "workers": []}  # fmt: skip
    camera = CameraFactory(source_url="rtsp://127.0.0.1:9/other", name="Gate", recording="events")
    recorded(camera, concourse_segments[:2], ended_at=timezone.now() - timedelta(minutes=10))
    state = _recorder(admin_client)
    assert state["ok"] is False and state["cameras"] == 1 and state["workers"] == []
    assert 600 <= state["last_segment_age_s"] < 900  # the newest segment ended ten minutes ago
    assert _recorder(client) == {"ok": False}  # anonymous probes get the verdict only
    health_report_forget()
    assert client.get(reverse("healthz")).status_code == 503


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_running_recorder_is_up_with_its_cameras_and_down_once_stopped(admin_client, media_dir, settings):
    settings.RECORDING_SEGMENT_SECONDS = 2
    rtsp = RtspCamera(media_dir / "concourse.mp4")
    worker = RecorderWorker(name="recorder-health")
    thread = threading.Thread(target=worker.run, kwargs={"poll": 0.5}, daemon=True)
    try:
        rtsp.start()
        camera = CameraFactory(
            source_url=rtsp.url, name="Concourse recorded", rtsp_transport="udp", recording="continuous"
        )
        thread.start()
        wait_until(lambda: Segment.objects.filter(camera=camera).exists(), 90, "no segment recorded")
        wait_until(lambda: _recorder(admin_client)["recorded"] == 1, 30, lambda: str(_recorder(admin_client)))
        state = _recorder(admin_client)
        assert state["ok"] is True and state["cameras"] == 1 and state["workers"] == ["recorder-health"]
        assert state["last_segment_age_s"] is not None and state["last_segment_age_s"] >= 0
    finally:
        worker.stop()
        thread.join(timeout=60)
        rtsp.kill()
    assert not thread.is_alive()
    state = _recorder(admin_client)
    assert state["ok"] is False and state["workers"] == [] and state["recorded"] == 0
