"""Recording a real RTSP camera (ffmpeg pushing the concourse clip to an RTSP relay): segments written
as they are finished, one recorder per camera across workers, and the camera going away and coming back."""

from __future__ import annotations

import itertools
import json
import subprocess
from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from cameras.models import Camera
from cameras.tests.factories import CameraFactory
from cameras.tests.servers import RtspCamera
from recordings.models import Segment
from recordings.worker import RecorderWorker, recorder_workers
from vigilsite.testing import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def probe(path: Path) -> dict:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration:stream=codec_name", "-of", "json", str(path)],
        capture_output=True, text=True, check=True, timeout=30,
    )  # fmt: skip
    return json.loads(done.stdout)


def duration(path: Path) -> float:
    return float(probe(path)["format"]["duration"])


def test_a_camera_is_recorded_in_segments_by_one_worker_and_again_after_it_restarts(media_dir, settings, redis_url):
    settings.RECORDING_SEGMENT_SECONDS = 2
    rtsp = RtspCamera(media_dir / "concourse.mp4")
    first, second = RecorderWorker(name="recorder-a"), RecorderWorker(name="recorder-b")
    try:
        rtsp.start()
        camera = CameraFactory(
            source_url=rtsp.url, name="Concourse recorded", rtsp_transport="udp", recording="continuous"
        )
        CameraFactory(
            source_url="http://127.0.0.1:9/snapshot.jpg", name="Snapshots only", recording="continuous"
        )  # no video

        first.reconcile()
        second.reconcile()
        assert list(first.running) == [camera.pk] and second.running == {}  # never two recorders on one camera

        wait_until(lambda: Segment.objects.filter(camera=camera).count() >= 3, 90,
                   lambda: f"no segments: {first.running[camera.pk][0].last_error}")  # fmt: skip
        segments = list(Segment.objects.filter(camera=camera).order_by("started_at"))
        assert len({s.file.name for s in segments}) == len(segments)  # never one file for two segments
        for segment in segments:
            path = Path(default_storage.path(segment.file.name))
            info = probe(path)
            assert [s["codec_name"] for s in info["streams"]] == ["h264"]  # the camera's own video, copied
            assert segment.size == path.stat().st_size > 0
            assert abs(float(info["format"]["duration"]) - segment.duration) < 0.5
        for earlier, later in itertools.pairwise(segments):
            assert abs((later.started_at - earlier.ended_at).total_seconds()) < 1.0  # one after the other
        first.reconcile()
        [heartbeat] = [h for h in recorder_workers() if h["name"] == "recorder-a"]
        assert heartbeat["cameras"][str(camera.pk)]["segments"] >= 3

        recorder = first.running[camera.pk][0]
        rtsp.kill()  # the camera reboots
        wait_until(lambda: recorder.last_error, 60, "the recorder did not notice the camera went away")
        before = Segment.objects.filter(camera=camera).count()
        rtsp.start()
        wait_until(lambda: Segment.objects.filter(camera=camera).count() >= before + 2, 120,
                   lambda: f"not recording again: {recorder.last_error}")  # fmt: skip
        assert recorder.reconnects >= 1 and first.running[camera.pk][0] is recorder

        Camera.objects.filter(pk=camera.pk).update(recording="off")
        first.reconcile()
        assert first.running == {}
        second.reconcile()
        assert second.running == {}
    finally:
        first.release_all()
        second.release_all()
        rtsp.kill()
