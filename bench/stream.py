"""Stream benchmark: frames per second one worker sustains with tracking, and 8 fps streams per worker.

    VIGIL_TEST_MEDIA=../shared/media .venv/bin/python bench/stream.py [--seconds 30] [--device cpu] [--imgsz 320]
        [--backends pytorch@1,pytorch,onnx,openvino]

Two measurements in one run, on the 1080p street clip, for each backend (detection/backends.py):

1. Tracking alone: ``TrackingDetector.track`` on consecutive frames, read beforehand, at the
   stream workers' frame width (``VIGIL_STREAM_MAX_WIDTH``, 1280) and at the full 1920: the
   ceiling of one worker. The backends take turns frame by frame, so CPU drift hits all alike.
2. The real stream path: the clip served as a live camera (ffmpeg, real time) to the stream
   analysis at 30 fps asked, so the worker takes every frame it can: ffmpeg decoding and
   scaling, tracking, a counting line, counts, rules and the latest frame recorded every
   second, in SQLite; one stream per backend, then 2 and 3 streams in the same worker process
   on the fastest backend, to show how the frames are shared out.

"8 fps streams per worker" is the frames per second processed (all streams together) / 8.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigilsite.settings")
os.environ.setdefault("VIGIL_DATA_DIR", tempfile.mkdtemp(prefix="vigil-bench-"))
os.environ.setdefault("VIGIL_DEMO", "false")
os.environ.setdefault("VIGIL_FLOW_FPS", "30")
os.environ.setdefault(
    "VIGIL_DETECTION_EXPORT_DIR", str(Path(__file__).resolve().parent.parent / "var" / "bench-exports")
)

import cv2
import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from cameras.models import Camera  # noqa: E402
from detection import backends  # noqa: E402
from detection.models import DetectionModel  # noqa: E402
from flow.models import CountingLine, Crossing  # noqa: E402
from flow.tracking import TrackingDetector  # noqa: E402
from streams.analysis import StreamAnalysis  # noqa: E402
from system import embedded_redis  # noqa: E402


def frames_of(clip: Path, count: int, width: int) -> list:
    capture = cv2.VideoCapture(str(clip))
    frames = []
    while len(frames) < count:
        ok, image = capture.read()
        if not ok:
            break
        if image.shape[1] > width:
            image = cv2.resize(image, (width, round(image.shape[0] * width / image.shape[1] / 2) * 2))
        frames.append(image)
    capture.release()
    return frames


def tracking_alone(model: DetectionModel, clip: Path, width: int, names: list[str], count: int = 90) -> dict:
    """Frames per second of each backend's tracker on the same consecutive frames, taking turns."""
    trackers = {}
    for name in names:
        settings.DETECTION_BACKEND = name.partition("@")[0]
        trackers[name] = TrackingDetector(model)
        if "@" in name:  # pytorch@1: the PyTorch path before backends, one thread (ultralytics' cpu_count - 1)
            trackers[name].runtime = dataclasses.replace(trackers[name].runtime, threads=int(name.partition("@")[2]))
    frames = frames_of(clip, count, width)
    spent = dict.fromkeys(names, 0.0)
    for tracker in trackers.values():
        tracker.track(frames[0])  # warm-up
    for i, image in enumerate(frames[1:]):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            started = time.perf_counter()
            trackers[name].track(image)
            spent[name] += time.perf_counter() - started
    settings.DETECTION_BACKEND = ""
    return {name: (len(frames) - 1) / spent[name] for name in names}, {n: t.runtime for n, t in trackers.items()}


def stream_path(clip: Path, streams: int, seconds: float, tag: str = "") -> tuple[float, int, int]:
    """Frames per second processed by ``streams`` analyses in this process; also frames skipped, crossings."""
    cameras = []
    for i in range(streams):
        camera = Camera(name=f"Street {tag} {streams}-{i}", latitude=52.37, longitude=4.89, source_url=clip.as_uri(),
                        capture_mode=Camera.CaptureMode.STREAM, motion_gate=False)  # fmt: skip
        camera.save()
        CountingLine.objects.create(camera=camera, name="Across", start=[0.0, 0.55], end=[1.0, 0.55])
        cameras.append(camera)
    analyses = [StreamAnalysis(camera.pk) for camera in cameras]
    for analysis in analyses:
        analysis.start()
    deadline = time.monotonic() + 120  # ffmpeg starts, the model loads, the first frames are tracked
    while any(a.stats.frames < 2 for a in analyses) and time.monotonic() < deadline:
        time.sleep(0.2)
    before = [a.stats.frames for a in analyses]
    started = time.monotonic()
    time.sleep(seconds)
    done = sum(a.stats.frames for a in analyses) - sum(before)
    elapsed = time.monotonic() - started
    skipped = sum(a.stats.skipped for a in analyses)
    for analysis in analyses:
        analysis.stop()
    crossings = Crossing.objects.filter(camera__in=cameras).count()
    return done / elapsed, skipped, crossings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="measured time of each stream run")
    parser.add_argument("--device", default="", help="cpu, cuda:0 ... (default: the model's own)")
    parser.add_argument("--max-streams", type=int, default=3)
    parser.add_argument("--imgsz", type=int, help="the model's inference size (default: the model's own, 640)")
    parser.add_argument("--backends", default="pytorch@1,pytorch,onnx,openvino",
                        help="comma-separated; @N: N inference threads (pytorch@1: before backends)")  # fmt: skip
    args = parser.parse_args()
    names = args.backends.split(",")
    if args.device:
        settings.DETECTION_DEVICE = args.device
    media = Path(os.environ.get("VIGIL_TEST_MEDIA", "../shared/media")).resolve()
    clip = media / "street.mp4"
    settings.SOURCE_FOLDERS = [media]
    redis = embedded_redis.start(settings.EMBEDDED_REDIS_SOCKET, settings.DATA_DIR / "redis", stdout=subprocess.DEVNULL)
    try:
        call_command("migrate", verbosity=0)
        model = DetectionModel.objects.get(is_default=True)
        if args.imgsz:
            model.image_size = args.imgsz
            model.save()
        tracker = settings.FLOW_TRACKER or "per camera"
        print(f"model {model.name} ({model.weights}), imgsz {model.image_size}, tracker {tracker}, "
              f"device {settings.DETECTION_DEVICE or model.device}, "
              f"{backends.inference_threads()} cores given")  # fmt: skip
        print(f"clip {clip.name}: 1920x1080, 30 fps")
        for width in (settings.STREAM_MAX_WIDTH, 1920):
            rates, runtimes = tracking_alone(model, clip, width, names)
            for name in names:
                fps, runtime = rates[name], runtimes[name]
                print(f"tracking alone at {width} px wide, {name} ({runtime.backend} {runtime.precision} "
                      f"x{runtime.threads}): "
                      f"{fps:.1f} frames/s = {fps / 8:.1f} streams at 8 fps")  # fmt: skip
        best = {}
        for name in names:
            backend, _, threads = name.partition("@")
            settings.DETECTION_BACKEND, settings.DETECTION_THREADS = backend, int(threads or 0)
            fps, skipped, crossings = stream_path(clip, 1, args.seconds, tag=name)
            best[name] = fps
            print(f"stream path, 1 stream, {name}: {fps:.1f} frames/s processed = {fps / 8:.1f} streams at 8 fps; "
                  f"{skipped} frames skipped to stay live, {crossings} crossings")  # fmt: skip
        fastest = max(best, key=best.get)
        backend, _, threads = fastest.partition("@")
        settings.DETECTION_BACKEND, settings.DETECTION_THREADS = backend, int(threads or 0)
        for streams in range(2, args.max_streams + 1):
            fps, skipped, crossings = stream_path(clip, streams, args.seconds, tag=fastest)
            print(
                f"stream path, {streams} streams in one worker, {fastest}: {fps:.1f} frames/s processed in all "
                f"({fps / streams:.1f} per stream) = {fps / 8:.1f} streams at 8 fps; "
                f"{skipped} frames skipped to stay live, {crossings} crossings"
            )
    finally:
        redis.terminate()
        redis.wait(timeout=10)


if __name__ == "__main__":
    main()
