"""The edge client pushes a real clip to a running Vigil (pytest-django's live server)."""

import subprocess
import sys

import pytest

from cameras.models import Camera
from cameras.services import camera_push_token_rotate
from cameras.tests.factories import CameraFactory
from vigilsite.testing import BASE_DIR


@pytest.mark.django_db(transaction=True)
def test_it_pushes_frames_that_vigil_accepts(live_server, media_dir):
    camera = CameraFactory(source_url="device://0", capture_mode=Camera.CaptureMode.PUSH, capture_interval=1)
    token = camera_push_token_rotate(camera=camera)
    result = subprocess.run(
        [sys.executable, str(BASE_DIR / "edge" / "vigil_edge.py"), "--vigil", live_server.url,
         "--camera", str(camera.pk), "--source", str(media_dir / "office.mp4"), "--interval", "1.1",
         "--max-frames", "2"],
        env={"VIGIL_PUSH_TOKEN": token, "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("accepted") == 2
    camera.refresh_from_db()
    assert camera.status == Camera.Status.ONLINE
    assert (camera.frame_width, camera.frame_height) == (1280, 720)


@pytest.mark.django_db(transaction=True)
def test_it_stops_on_a_wrong_token(live_server, media_dir):
    camera = CameraFactory(source_url="device://0", capture_mode=Camera.CaptureMode.PUSH)
    camera_push_token_rotate(camera=camera)
    result = subprocess.run(
        [sys.executable, str(BASE_DIR / "edge" / "vigil_edge.py"), "--vigil", live_server.url,
         "--camera", str(camera.pk), "--source", str(media_dir / "office.mp4"), "--token", "wrong"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert "refused the camera (401)" in result.stderr
