"""Live overlay clocks: how far the stream worker's ``Frame.captured_at`` is from the recorder's time of the
same frame (``Segment.started_at`` + its place in the segment), both reading one RTSP camera.

    VIGIL_TEST_MEDIA=../shared/media .venv/bin/python bench/live_clock.py [--seconds 40] [--segment 2]

The camera shows a frame number: 256 frames at 25 fps (10.24 s, looped), the left half of the picture one
of 16 grey levels, the right half another, pushed by the tests' ``RtspCamera`` (ffmpeg re-encoding to x264,
a keyframe every 10 frames, through rtsp-server-perl over UDP). A ``Recorder`` records it into segments
and a ``StreamReader`` (the stream worker's reader, ``VIGIL_FLOW_FPS``) reads it on its own connection, as
the two workers do. Each frame the reader got is found again, by its number, in the recorded segments
(decoded afterwards, each frame timed by its pts from its segment's ``started_at``): the offset is
``captured_at`` minus that recorded time. Positive: the reader stamps a frame later than the recording says
it was shown, so an overlay keyed to ``captured_at`` draws boxes that late.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigilsite.settings")
os.environ.setdefault("VIGIL_DATA_DIR", tempfile.mkdtemp(prefix="vigil-bench-"))
os.environ.setdefault("VIGIL_DEMO", "false")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.storage import default_storage  # noqa: E402
from django.core.management import call_command  # noqa: E402

from cameras.models import Camera  # noqa: E402
from cameras.readers import CaptureError  # noqa: E402
from cameras.tests.servers import RtspCamera  # noqa: E402
from recordings.models import Segment  # noqa: E402
from recordings.recorder import Recorder  # noqa: E402
from streams.reader import reader_for  # noqa: E402

FPS, FRAMES, LEVELS = 25, 256, 16
# Limited-range luma, 13 apart: each level survives x264 and the YUV → BGR conversion well apart.
LUMA = "16+13*mod(floor(N/if(lt(X,W/2),1,16)),16)"


def numbered_clip(folder: Path) -> Path:
    """256 frames whose two halves' grey levels spell the frame number."""
    out = folder / "numbered.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
         "-i", f"color=c=black:s=640x360:r={FPS}:d={FRAMES / FPS}", "-vf", f"geq=lum='{LUMA}':cb=128:cr=128",
         "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-pix_fmt", "yuv420p", str(out)],
        check=True,
    )  # fmt: skip
    return out


def frame_number(image: np.ndarray) -> int:
    """The number a BGR frame shows (its two halves' levels)."""
    height, width = image.shape[:2]
    rows = slice(height // 4, 3 * height // 4)
    low = image[rows, width // 8 : 3 * width // 8].mean()
    high = image[rows, 5 * width // 8 : 7 * width // 8].mean()
    step = 13 * 255 / 219  # a level in full-range BGR
    return int(np.clip(round(low / step), 0, 15)) + LEVELS * int(np.clip(round(high / step), 0, 15))


def segment_frames(segment: Segment) -> list[tuple[float, int]]:
    """(recorded wall time as epoch seconds, frame number) of every frame of a segment."""
    path = default_storage.path(segment.file.name)
    pts = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts_time", "-of", "csv=p=0",
         path], check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    raw = subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", path, "-vf", "scale=64:36", "-fps_mode", "passthrough",
         "-f", "rawvideo", "-pix_fmt", "bgr24", "-"], check=True, capture_output=True,
    ).stdout  # fmt: skip
    images = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 36, 64, 3)
    times = [float(p) for p in pts if p != "N/A"]
    if len(times) != len(images):
        return []  # a frame without pts: cannot be timed
    start = segment.started_at.timestamp()
    return [(start + t - times[0], frame_number(image)) for t, image in zip(times, images, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--segment", type=int, default=2, help="VIGIL_RECORDING_SEGMENT_SECONDS")
    parser.add_argument("--decoder-threads", type=int, help="the reader's ffmpeg decoder threads (default: auto)")
    args = parser.parse_args()
    settings.RECORDING_SEGMENT_SECONDS = args.segment
    call_command("migrate", verbosity=0)
    folder = Path(tempfile.mkdtemp(prefix="vigil-clock-"))
    rtsp = RtspCamera(numbered_clip(folder))
    rtsp.start()
    camera = Camera.objects.create(name="Numbered", latitude=52.37, longitude=4.89, source_url=rtsp.url,
                                   rtsp_transport="udp", recording="continuous", capture_mode="stream")  # fmt: skip
    recorder = Recorder(camera.pk)
    reader = reader_for(camera, fps=settings.FLOW_FPS, max_width=settings.STREAM_MAX_WIDTH, stall_seconds=10)
    if args.decoder_threads:  # to see how much of the offset is the decoder's frame threads
        command = reader.command
        reader.command = lambda: (lambda c: [*c[:c.index("-rtsp_transport")], "-threads", str(args.decoder_threads),
                                             *c[c.index("-rtsp_transport"):]])(command())  # fmt: skip
    seen: list[tuple[float, int]] = []
    stop = threading.Event()

    def read() -> None:
        reader.open()
        try:
            while not stop.is_set():
                frame = reader.next_frame()
                seen.append((frame.captured_at.timestamp(), frame_number(frame.image)))
        except CaptureError as exc:
            print("reader stopped:", exc, file=sys.stderr)
        finally:
            reader.close()

    thread = threading.Thread(target=read, daemon=True)
    try:
        recorder.start()
        thread.start()
        time.sleep(args.seconds)
    finally:
        stop.set()
        recorder.stop()
        thread.join(15)
        rtsp.kill()
    recorded = [f for s in Segment.objects.filter(camera=camera).order_by("started_at") for f in segment_frames(s)]
    by_number: dict[int, list[float]] = {}
    for at, number in recorded:
        by_number.setdefault(number, []).append(at)
    first, last = recorded[0][0], recorded[-1][0]
    offsets, late = [], []
    began = seen[0][0] if seen else 0.0
    for at, number in seen:
        if not first + 1 <= at <= last - 1:
            continue  # the reader's first and last frames may be outside what was recorded
        near = [t for t in by_number.get(number, []) if abs(at - t) < FRAMES / FPS / 2]
        if len(near) == 1:
            offsets.append(at - near[0])
            if at - near[0] > 0.3:
                late.append(round(at - began, 1))
    offsets.sort()
    quantile = lambda q: offsets[min(len(offsets) - 1, int(q * len(offsets)))]  # noqa: E731
    result = {
        "segment_s": args.segment, "reader_fps": settings.FLOW_FPS, "frames_read": len(seen),
        "frames_recorded": len(recorded), "segments": Segment.objects.filter(camera=camera).count(),
        "matched": len(offsets), "median_ms": round(statistics.median(offsets) * 1000),
        "p10_ms": round(quantile(0.1) * 1000), "p90_ms": round(quantile(0.9) * 1000),
        "min_ms": round(offsets[0] * 1000), "max_ms": round(offsets[-1] * 1000),
        "recorded_span_s": round(last - first, 1), "over_300ms_at_s": late, "started_at_gaps_ms": _gaps(camera),
    }  # fmt: skip
    print(json.dumps(result))


def _gaps(camera: Camera) -> list[int]:
    """How far each segment starts from where the one before ended (0: back to back on one anchor)."""
    rows = list(Segment.objects.filter(camera=camera).order_by("started_at"))
    return [round((b.started_at - a.ended_at) / timedelta(milliseconds=1)) for a, b in itertools.pairwise(rows)]


if __name__ == "__main__":
    main()
