"""The default "Person down" rule on live cameras, through the real processes: snapshot cameras
(beat, a capture worker, a detect worker, the burst) and stream cameras (the stream worker,
tracking), all showing the shared clips in real time, and a camera showing people lying down.

Real time is what a camera gives, so the long lobby clip (139 s) is shown by six cameras at once,
each a 30 s piece overlapping the next by 5 s (longer than the rule's 3 s and its margin): every
moment of every clip is seen, continuously, by one camera of each kind, in about 30 s.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import pytest
from django.db.models import Max, Min

from cameras.models import Camera
from cameras.tasks import capture_camera
from cameras.tests.factories import CameraFactory
from detection.models import CountSample
from events.models import Event
from events.services import rule_demo_seed
from events.tests.conftest import FFMPEG
from events.tests.scenes import lying_photo
from vigilsite.testing import wait_until

# The model and the rule on the shared clips (marker footage), not the database: bin/test runs it once.
pytestmark = [pytest.mark.slow, pytest.mark.footage, pytest.mark.django_db(transaction=True)]

PIECE_SECONDS, OVERLAP_SECONDS = 30, 5
# The workers of the test share two CPU cores with twelve cameras: streams are tracked at 1 fps (they
# record once a second, which is what rules see), snapshots come every 3 s.
STREAM_ENV = {"VIGIL_FLOW_FPS": "1", "VIGIL_STREAM_MAX_PER_WORKER": "12"}
SNAPSHOT_INTERVAL = 3


@dataclass
class Piece:
    clip: str
    start: float
    seconds: float

    @property
    def name(self) -> str:
        return f"{self.clip} {self.start:g}-{self.start + self.seconds:g} s"


def pieces(media_dir: Path) -> list[Piece]:
    """Every clip, the long ones cut in overlapping pieces of at most ``PIECE_SECONDS``."""
    found = []
    for clip in ("concourse.mp4", "street.mp4", "office.mp4", "lobby.mp4"):
        capture = cv2.VideoCapture(str(media_dir / clip))
        duration = capture.get(cv2.CAP_PROP_FRAME_COUNT) / capture.get(cv2.CAP_PROP_FPS)
        capture.release()
        start = 0.0
        while True:
            found.append(Piece(clip, start, min(PIECE_SECONDS, duration - start)))
            if start + PIECE_SECONDS >= duration:
                break
            start += PIECE_SECONDS - OVERLAP_SECONDS
    return found


def piece_jpegs(media_dir: Path, piece: Piece, fps: float = 5) -> list[bytes]:
    """The piece as JPEG pictures, ``fps`` a second (what a snapshot camera could be asked for)."""
    capture = cv2.VideoCapture(str(media_dir / piece.clip))
    clip_fps = capture.get(cv2.CAP_PROP_FPS)
    step = max(1, round(clip_fps / fps))
    first, last = round(piece.start * clip_fps), round((piece.start + piece.seconds) * clip_fps)
    capture.set(cv2.CAP_PROP_POS_FRAMES, first)
    jpegs, index = [], first
    while index < last and capture.grab():
        if (index - first) % step == 0:
            jpegs.append(cv2.imencode(".jpg", capture.retrieve()[1])[1].tobytes())
        index += 1
    capture.release()
    return jpegs


@contextlib.contextmanager
def snapshot_camera(jpegs: list[bytes], fps: float) -> Iterator[str]:
    """An HTTP snapshot camera on 127.0.0.1 whose picture moves on in real time from the first request."""
    started: list[float] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            started[:] = started or [time.monotonic()]
            body = jpegs[min(int((time.monotonic() - started[0]) * fps), len(jpegs) - 1)]
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/snapshot.jpg"
    finally:
        server.shutdown()
        server.server_close()


def piece_video(media_dir: Path, piece: Piece, folder: Path) -> Path:
    """The piece as its own file, for a stream camera (a file source plays in real time, looped)."""
    video = folder / f"{piece.clip.removesuffix('.mp4')}-{piece.start:g}.mp4"
    subprocess.run([*FFMPEG, "-ss", str(piece.start), "-t", str(piece.seconds), "-i", str(media_dir / piece.clip),
                    "-an", "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", str(video)],
                   check=True, timeout=120)  # fmt: skip
    return video


def seen_for(camera: Camera) -> float:
    """Seconds between the camera's first and last recorded frame."""
    span = CountSample.objects.filter(camera=camera).aggregate(first=Min("captured_at"), last=Max("captured_at"))
    return (span["last"] - span["first"]).total_seconds() if span["first"] else 0.0


def person_down_events(camera: Camera) -> int:
    return Event.objects.filter(camera=camera, rule__name="Person down").count()


def test_live_cameras_raise_no_person_down_on_any_shared_clip_and_one_for_people_lying_down(
    offline_model, media_dir, lying_video, tmp_path, celery_workers, celery_beat, stream_worker
):
    clips = pieces(media_dir)
    made = [(piece, piece_video(media_dir, piece, tmp_path), piece_jpegs(media_dir, piece)) for piece in clips]
    celery_workers("detect", queue="detect", pool="prefork", concurrency=1)
    celery_workers("capture", queue="capture", concurrency=4)
    streams = stream_worker(**STREAM_ENV)
    celery_beat()
    rule_demo_seed()

    with contextlib.ExitStack() as stack:
        # People lying down, on a snapshot camera that looks once a minute (only a burst can confirm
        # them within seconds) and on a stream camera.
        down_url = stack.enter_context(snapshot_camera([lying_photo()], fps=1))
        down_snapshot = CameraFactory(source_url=down_url, name="Snapshot lying", capture_interval=60)
        down_stream = CameraFactory(
            source_url=lying_video.as_uri(), name="Stream lying", capture_mode=Camera.CaptureMode.STREAM
        )
        capture_camera.delay(down_snapshot.pk)
        # Every clip, on one camera of each kind, in real time.
        snapshot, stream, watching = {}, {}, {}
        for piece, video, jpegs in made:
            url = stack.enter_context(snapshot_camera(jpegs, fps=5))
            snapshot[piece.name] = CameraFactory(
                source_url=url, name=f"Snapshot {piece.name}", capture_interval=SNAPSHOT_INTERVAL
            )
            stream[piece.name] = CameraFactory(source_url=video.as_uri(), name=f"Stream {piece.name}",
                                             capture_mode=Camera.CaptureMode.STREAM)  # fmt: skip
            # Seen whole: to within one picture of the end (a stream records one a second).
            watching[snapshot[piece.name]] = lambda c, seconds=piece.seconds - SNAPSHOT_INTERVAL: seen_for(c) >= seconds
            watching[stream[piece.name]] = lambda c, seconds=piece.seconds - 1: seen_for(c) >= seconds
        for camera in (down_snapshot, down_stream):
            watching[camera] = lambda c: person_down_events(c) == 1

        def all_done() -> bool:
            for camera, done in list(watching.items()):
                if done(camera):
                    camera.enabled = False
                    camera.save()  # done: its CPU goes to the others
                    del watching[camera]
            return not watching

        def unfinished() -> str:
            left = {c.name: (seen_for(c), person_down_events(c)) for c in watching}
            streams.send_signal(signal.SIGUSR1)  # where each of its threads is, in its log
            time.sleep(2)  # only on the way to failing: give the dump time to be written
            return f"not done (seconds seen, events): {left}\n{streams.log_path.read_text()[-20000:]}"

        # About 30 s of clips in real time; the limit is for a slow, busy machine.
        wait_until(all_done, 300, unfinished)

    for piece in clips:
        for camera in (snapshot[piece.name], stream[piece.name]):
            assert person_down_events(camera) == 0, camera.name
    # The model did report people down on these cameras: the rule had something to refuse.
    reported = CountSample.objects.filter(camera__in=[*snapshot.values(), *stream.values()],
                                          counts__has_key="person_down")  # fmt: skip
    assert reported.count() >= 10

    # The snapshot camera's event came from its burst: its one regular picture of the first minute (asked
    # for above; beat's first tick comes a minute after it starts) cannot make 3 sightings on its own.
    event = Event.objects.get(camera=down_snapshot)
    first = CountSample.objects.filter(camera=down_snapshot).earliest("captured_at").captured_at
    assert CountSample.objects.filter(camera=down_snapshot, captured_at__lte=event.first_seen).count() >= 3
    assert (event.first_seen - first).total_seconds() < 60
    assert event.severity == "critical" and any(d["matched"] for d in event.detections)
