"""The live view in a real browser (chromium on real daphne): a real RTSP camera recorded by a real recorder,
played by hls.js from the live playlist, moving, under the site's Content-Security-Policy."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from cameras.tests.factories import CameraFactory
from cameras.tests.servers import RtspCamera
from conftest import AsgiServer, browser_log_in
from core.redis import redis_client
from core.vision import Detection
from detection.recent import KEY, recent_detections_record
from recordings.models import Segment
from recordings.tests.segments import detection_event, recorded
from recordings.worker import RecorderWorker
from vigilsite.testing import wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

_WATCH = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`));
"""


@pytest.fixture
def video_server(redis_url, transactional_db):
    server = AsgiServer(redis_url, VIGIL_RECORDING_SEGMENT_SECONDS="2")
    server.start()
    yield server
    server.stop()


def test_the_live_view_shows_the_camera_moving(browser, video_server, make_user, media_dir, settings, artifacts_dir):
    settings.RECORDING_SEGMENT_SECONDS = 2
    rtsp = RtspCamera(media_dir / "concourse.mp4")
    worker = RecorderWorker(name="recorder-browser")
    try:
        rtsp.start()
        camera = CameraFactory(source_url=rtsp.url, name="Concourse", rtsp_transport="udp", recording="continuous")
        worker.reconcile()
        wait_until(lambda: Segment.objects.filter(camera=camera).count() >= 2, 90,
                   lambda: f"no segments: {worker.running[camera.pk][0].last_error}")  # fmt: skip
        viewer = make_user("vera", "Viewers")
        page = browser_log_in(browser, video_server, viewer, "/")
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        page.add_init_script(_WATCH)
        page.goto(f"{video_server.url}/cameras/{camera.pk}/live/")

        video = page.locator("video.live-video")
        # Functions, not strings: the page's Content-Security-Policy forbids evaluating strings.
        page.wait_for_function("() => document.querySelector('video.live-video').currentTime > 0", timeout=30_000)
        started = video.evaluate("v => v.currentTime")
        # Within 5 s of playing: the picture changes and the clock goes on.
        page.wait_for_function("t => document.querySelector('video.live-video').currentTime > t", arg=started + 0.5,
                               timeout=5000)  # fmt: skip
        first = video.screenshot()
        page.wait_for_function("t => document.querySelector('video.live-video').currentTime > t",
                               arg=video.evaluate("v => v.currentTime") + 1.0, timeout=5000)  # fmt: skip
        second = video.screenshot()
        assert first != second
        assert video.evaluate("v => !v.paused && !v.ended")

        # How far behind the camera: the wall clock minus the playing frame's recorded time (PROGRAM-DATE-TIME).
        behind = page.evaluate("() => (Date.now() - window.vigilLive.playingDate.getTime()) / 1000")
        edge = page.evaluate("() => window.vigilLive.latency")
        measured = {"behind_camera_s": behind, "behind_live_edge_s": edge, "segment_s": 2,
                    "measured_at": timezone.now().isoformat()}  # fmt: skip
        (artifacts_dir / "live-latency.json").write_text(json.dumps(measured))
        page.screenshot(path=str(artifacts_dir / "live-view.png"), full_page=True)
        assert page.evaluate("window.cspViolations") == []
        assert [text for text in console if "Content Security Policy" in text] == []
        page.close()
    finally:
        worker.release_all()
        rtsp.kill()


def test_a_click_on_the_timeline_plays_the_recording_from_there(browser, video_server, make_user, concourse_segments,
                                                              artifacts_dir):  # fmt: skip
    camera = CameraFactory(source_url="rtsp://127.0.0.1:8554/live", name="Concourse", recording="continuous")
    segments = recorded(camera, concourse_segments[:6], ended_at=timezone.now() - timedelta(minutes=1))
    detection_event(camera, first_seen=segments[4].started_at, last_seen=segments[5].started_at)
    start = timezone.localtime(segments[0].started_at).replace(second=0, microsecond=0)
    page = browser_log_in(browser, video_server, make_user("vera", "Viewers"), "/")
    page.add_init_script(_WATCH)
    page.goto(f"{video_server.url}/cameras/{camera.pk}/timeline/?day={start:%Y-%m-%d}&start={start:%H:%M}&minutes=10")

    page.locator(".timeline-event").click()  # from the event's pre-roll (10 s, before the recording began)
    video = page.locator("video.timeline-video")
    page.wait_for_function("() => document.querySelector('video.timeline-video').currentTime > 0.5", timeout=15_000)
    # The span, clicked at its end: the recording plays from its last segment, a few seconds in.
    box = page.locator(".timeline-span").bounding_box()
    page.mouse.click(box["x"] + box["width"] - 0.5, box["y"] + box["height"] / 2)
    page.wait_for_function("() => document.querySelector('video.timeline-video').duration < 6", timeout=15_000)
    played = video.evaluate("v => v.currentTime")
    page.wait_for_function("t => document.querySelector('video.timeline-video').currentTime > t", arg=played + 0.3,
                           timeout=15_000)  # fmt: skip
    page.screenshot(path=str(artifacts_dir / "camera-timeline.png"), full_page=True)
    assert page.evaluate("window.cspViolations") == []
    page.close()


_PAINTED = """() => {
  const canvas = document.querySelector("canvas.live-overlay");
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i]) painted++;
  return painted;
}"""
# Where the box's left edge is (in the letterboxed picture) and where it would be had the overlay ignored it.
_EDGES = """() => {
  const video = document.querySelector("video.live-video"), canvas = document.querySelector("canvas.live-overlay");
  const scale = Math.min(canvas.width / video.videoWidth, canvas.height / video.videoHeight);
  const w = video.videoWidth * scale, h = video.videoHeight * scale;
  const left = (canvas.width - w) / 2, top = (canvas.height - h) / 2;
  const alpha = (x, y) => canvas.getContext("2d").getImageData(Math.round(x), Math.round(y), 1, 1).data[3];
  return {edge: alpha(left + 0.25 * w, top + 0.6 * h), unboxed: alpha(0.25 * canvas.width, top + 0.6 * h),
          shown: Number(canvas.dataset.shown), boxes: Number(canvas.dataset.boxes),
          playing: window.vigilLive.playingDate.getTime(), letterbox: left};
}"""
BOX = Detection("person", 0.9, (0.25, 0.25, 0.75, 0.75), "person")


class RingWriter(threading.Thread):
    """Writes the camera's ring as the stream worker does, a frame every 100 ms at the wall clock's time."""

    def __init__(self, camera_id: int) -> None:
        super().__init__(daemon=True)
        self.camera_id, self.stopping, self.newest = camera_id, threading.Event(), None

    def run(self) -> None:
        while not self.stopping.wait(0.1):
            self.newest = timezone.now()
            recent_detections_record(camera_id=self.camera_id, captured_at=self.newest, detections=[BOX], track_ids=[1])


def test_the_overlay_draws_the_detections_of_the_moment_the_video_shows(browser, video_server, make_user, media_dir,
                                                                       settings, artifacts_dir):  # fmt: skip
    settings.RECORDING_SEGMENT_SECONDS = 2
    rtsp = RtspCamera(media_dir / "concourse.mp4")
    worker = RecorderWorker(name="recorder-overlay")
    writer = None
    try:
        rtsp.start()
        camera = CameraFactory(source_url=rtsp.url, name="Concourse", rtsp_transport="udp", recording="continuous",
                               capture_mode="stream")  # fmt: skip
        redis_client().delete(KEY.format(camera.pk))
        long_ago = timezone.now() - timedelta(minutes=2)
        for n in range(20):  # only detections from long before the picture
            recent_detections_record(camera_id=camera.pk, captured_at=long_ago + timedelta(seconds=n / 10),
                                     detections=[BOX])  # fmt: skip
        worker.reconcile()
        wait_until(lambda: Segment.objects.filter(camera=camera).count() >= 2, 90,
                   lambda: f"no segments: {worker.running[camera.pk][0].last_error}")  # fmt: skip
        page = browser_log_in(browser, video_server, make_user("vera", "Viewers"), "/")
        page.add_init_script(_WATCH)
        page.goto(f"{video_server.url}/cameras/{camera.pk}/live/")
        toggle = page.locator("input.live-show-detections")
        assert toggle.is_checked()  # on by default
        page.wait_for_function(
            "() => window.vigilLive && window.vigilLive.playingDate"
            " && document.querySelector('video.live-video').currentTime > 0.5",
            timeout=30_000,
        )
        # Pillarboxed: the element is wider than the picture, as a tall window or a full screen would make it.
        page.evaluate("() => { document.querySelector('video.live-video').style.height = '300px'; }")
        page.wait_for_timeout(2500)  # two polls: the old entries are fetched, and never drawn
        assert page.evaluate(_PAINTED) == 0
        assert page.locator("canvas.live-overlay").get_attribute("data-shown") == ""

        writer = RingWriter(camera.pk)
        writer.start()
        # The video is seconds behind: the boxes appear once it shows the moments the writer began at.
        page.wait_for_function("() => document.querySelector('canvas.live-overlay').dataset.shown", timeout=20_000)
        seen = page.evaluate(_EDGES)
        assert seen["boxes"] == 1 and seen["letterbox"] > 10
        assert seen["edge"] > 0 and seen["unboxed"] == 0  # drawn in the picture's box, not the element's
        # The entry of the moment on screen (stamped at most the lead after it, within the hold), not the newest.
        assert -250 <= seen["playing"] - seen["shown"] <= 1000 - 250 + 100, seen
        assert writer.newest.timestamp() * 1000 - seen["shown"] > 1500, seen
        page.screenshot(path=str(artifacts_dir / "live-overlay.png"), full_page=True)

        toggle.uncheck()
        page.wait_for_function("() => document.querySelector('canvas.live-overlay').dataset.shown === ''",
                               timeout=2000)  # fmt: skip
        assert page.evaluate(_PAINTED) == 0
        page.reload()  # remembered
        page.wait_for_function("() => document.querySelector('video.live-video').currentTime > 0.5", timeout=30_000)
        assert not page.locator("input.live-show-detections").is_checked()
        page.wait_for_timeout(1500)
        assert page.evaluate(_PAINTED) == 0
        page.locator("input.live-show-detections").check()
        page.wait_for_function("() => document.querySelector('canvas.live-overlay').dataset.shown", timeout=10_000)
        assert page.evaluate(_PAINTED) > 0

        # Detection stops: once the video is past the last entry and its hold, nothing is drawn (never stale).
        writer.stopping.set()
        page.wait_for_function("() => document.querySelector('canvas.live-overlay').dataset.shown === ''",
                               timeout=20_000)  # fmt: skip
        assert page.evaluate(_PAINTED) == 0
        assert page.evaluate("() => !document.querySelector('video.live-video').paused")
        assert page.evaluate("window.cspViolations") == []
        page.close()
    finally:
        if writer is not None:
            writer.stopping.set()
        worker.release_all()
        rtsp.kill()
