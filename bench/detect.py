"""Detection benchmark: every backend side by side, bare ``model.predict`` and the whole pipeline, one run.

    VIGIL_TEST_MEDIA=../shared/media .venv/bin/python bench/detect.py [--frames 10] [--device cpu]
        [--backends pytorch@1,pytorch,onnx,openvino,openvino:int8] [--sizes 320,640,960]

``pytorch@1`` is the PyTorch path as it was before backends: one thread on a 2-core host (ultralytics'
``cpu_count - 1``), the reference for the speed-up column.

Each backend runs the default model as a worker would (``detector_for``: an export made and validated
once, kept in var/bench-exports). Frames of the shared clips are JPEG-encoded as captured frames are,
then timed frame by frame, the backends taking turns on each frame (and bare/pipeline alternating)
so that drifts in CPU speed hit all alike:

- bare: ``YOLO.predict`` on the decoded frame (the floor: inference alone), at each ``--sizes``;
- pipeline (at the model's 640 px): the detect task's own function on the frame a capture worker queued:
  Redis read, JPEG checks and decode, motion gate off, inference, threat rules (a crowd rule that fires,
  so events are updated and snapshots written), count sample and event writes in SQLite, broadcast to
  the embedded Redis.

Then the motion gate: its cost per frame and how many frames it skips on each scene sampled at 1 s,
and from that the cameras one worker serves at a 5 s interval with the fastest backend.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigilsite.settings")
os.environ.setdefault("VIGIL_DATA_DIR", tempfile.mkdtemp(prefix="vigil-bench-"))
os.environ.setdefault("VIGIL_DEMO", "false")
os.environ.setdefault(
    "VIGIL_DETECTION_EXPORT_DIR", str(Path(__file__).resolve().parent.parent / "var" / "bench-exports")
)

import cv2
import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from cameras import handoff  # noqa: E402
from cameras.frames import Frame, decode_image  # noqa: E402
from cameras.models import Camera  # noqa: E402
from detection import backends, motion  # noqa: E402
from detection.detector import detector_for, detectors_forget  # noqa: E402
from detection.models import DetectionModel  # noqa: E402
from detection.pipeline import frames_detect_waiting  # noqa: E402
from events.models import ThreatRule  # noqa: E402
from system import embedded_redis  # noqa: E402

CLIPS = ["concourse.mp4", "street.mp4", "office.mp4"]
INTERVAL = 5.0


def clip_jpegs(clip: Path, count: int, every_seconds: float | None = None) -> list[bytes]:
    """``count`` frames spread over the clip (or every ``every_seconds``), as JPEG like a camera sends."""
    capture = cv2.VideoCapture(str(clip))
    fps = capture.get(cv2.CAP_PROP_FPS) or 25
    total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    step = round(fps * every_seconds) if every_seconds else max(1, total // count)
    out, index = [], 0
    while capture.grab() and len(out) < count:
        if index % step == 0:
            _, image = capture.retrieve()
            out.append(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes())
        index += 1
    capture.release()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=10, help="frames per clip")
    parser.add_argument("--device", default="", help="cpu, cuda:0 ... (default: the model's own)")
    parser.add_argument("--backends", default="pytorch@1,pytorch,onnx,openvino,openvino:int8",
                        help="comma-separated, the first is the reference; @N: N threads")  # fmt: skip
    parser.add_argument("--sizes", default="320,640,960", help="inference sizes timed bare")
    parser.add_argument(
        "--validation-frames", type=int, default=6,
        help="frames of each shared clip (the lobby's falls too) added to the pictures exports are validated on",
    )  # fmt: skip
    args = parser.parse_args()
    if args.device:
        settings.DETECTION_DEVICE = args.device
    media = Path(os.environ.get("VIGIL_TEST_MEDIA", "../shared/media")).resolve()
    if args.validation_frames:
        folder = settings.DATA_DIR / "validation"
        folder.mkdir(parents=True, exist_ok=True)
        for clip in [*CLIPS, "lobby.mp4"]:
            for i, data in enumerate(clip_jpegs(media / clip, args.validation_frames)):
                (folder / f"{clip}-{i:02}.jpg").write_bytes(data)
        settings.DETECTION_VALIDATION_DIR = folder
        # Exports validated on these pictures are kept apart from those validated on the photos alone.
        settings.DETECTION_EXPORT_DIR = settings.DETECTION_EXPORT_DIR / f"validated-{args.validation_frames}"

    redis = embedded_redis.start(settings.EMBEDDED_REDIS_SOCKET, settings.DATA_DIR / "redis", stdout=subprocess.DEVNULL)
    try:
        call_command("migrate", verbosity=0)
        run(media, args.frames, args.backends.split(","), [int(s) for s in args.sizes.split(",")])
    finally:
        redis.terminate()


def host_line() -> str:
    flags = set()
    model = platform.processor()
    with contextlib.suppress(OSError):
        info = Path("/proc/cpuinfo").read_text()
        flags = set(next(line for line in info.splitlines() if line.startswith("flags")).split(":")[1].split())
        model = next(line for line in info.splitlines() if line.startswith("model name")).split(":")[1].strip()
    wanted = [f for f in ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_int8") if f in flags]
    return f"CPU {model}, {backends.inference_threads()} cores given, flags: {' '.join(wanted) or 'none of note'}"


def models_for(names: list[str], size: int) -> dict[str, DetectionModel]:
    """One model row per backend (the default model's weights), loaded as a worker loads it."""
    base = DetectionModel.objects.get(is_default=True)
    rows = {}
    for name in names:
        backend, _, precision = name.partition("@")[0].partition(":")  # openvino:int8, pytorch@1 (1 thread)
        row, _ = DetectionModel.objects.update_or_create(
            name=f"bench {name} {size}",
            defaults={"weights": base.weights, "label_map": base.label_map, "keep_labels": base.keep_labels,
                      "backend": backend, "precision": precision or "auto", "image_size": size,
                      "confidence": base.confidence, "iou": base.iou},
        )  # fmt: skip
        rows[name] = row
    return rows


def run(media: Path, count: int, names: list[str], sizes: list[int]) -> None:
    ThreatRule.objects.create(name="Crowd", labels=["person"], min_count=3, min_confidence=0.3)
    print(host_line())
    jpegs = {name: clip_jpegs(media / name, count) for name in CLIPS}
    bare: dict[tuple[str, int], list[float]] = {}
    pipeline: dict[str, list[float]] = {name: [] for name in names}
    statements: dict[str, list[int]] = {name: [] for name in names}
    runtimes = {}
    start = timezone.now()
    for size in sizes:
        rows = models_for(names, size)
        detectors = {name: detector_for(row) for name, row in rows.items()}
        for name, detector in detectors.items():
            if "@" in name:  # today's path before backends: ultralytics' own thread count (cpu_count - 1)
                threads = int(name.partition("@")[2])
                detector.runtime = dataclasses.replace(detector.runtime, threads=threads)
        for name, detector in detectors.items():
            runtimes[(name, size)] = detector.runtime
            bare[(name, size)] = []
        cameras = {
            name: Camera.objects.create(name=f"{name} {size}", latitude=52.37, longitude=4.89,
                                        source_url="file:///dev/null", motion_gate=False, detection_model=rows[name])
            for name in names
        }  # fmt: skip
        first = decode_image(jpegs[CLIPS[0]][0]).image
        for detector in detectors.values():
            detector.detect([first])  # warm-up
        frame_no = 0
        for clip in CLIPS:
            for data in jpegs[clip]:
                image = decode_image(data).image
                turn = names[frame_no % len(names) :] + names[: frame_no % len(names)]
                for name in turn:
                    detector = detectors[name]
                    detector.torch_threads()  # as detect() does: PyTorch's thread count is per process
                    began = time.perf_counter()
                    detector.yolo.predict(image, device=detector.device, **detector.options)
                    bare[(name, size)].append(time.perf_counter() - began)
                    if size != 640:
                        continue
                    # What the capture worker hands over (outside the timing), then the detect task's
                    # own function: Redis read, decode, inference, rules, database writes.
                    captured = start + timedelta(seconds=frame_no * 10 + 1)
                    entry = handoff.frame_wait(cameras[name].pk, Frame(image, captured, _jpeg=data))
                    with CaptureQueriesContext(connection) as queries:  # a few µs a statement, alike for all
                        began = time.perf_counter()
                        frames_detect_waiting(entry=entry)
                        pipeline[name].append(time.perf_counter() - began)
                    statements[name].append(len(queries.captured_queries))
                frame_no += 1
        detectors_forget()

    reference = names[0]
    print(f"\n{count} frames of each of {', '.join(CLIPS)}; mean ms per frame, batch 1")
    header = "".join(f"{f'bare {size}':>10}" for size in sizes)
    columns = f"{'pipeline 640':>14}{'overhead':>10}{'over, ms':>10}{'SQL/frame':>11}{'speed-up':>10}{'cams@5s':>9}"
    print(f"{'backend':<14}{'runs as, threads':<20}{header}{columns}")
    ref_pipeline = statistics.mean(pipeline[reference]) if pipeline[reference] else None
    for name in names:
        runtime = runtimes[(name, 640 if 640 in sizes else sizes[0])]
        cells = "".join(f"{statistics.mean(bare[(name, size)]) * 1000:10.0f}" for size in sizes)
        line = f"{name:<14}{f'{runtime.backend} {runtime.precision} x{runtime.threads}':<20}{cells}"
        if pipeline[name]:
            p, b = statistics.mean(pipeline[name]), statistics.mean(bare[(name, 640)])
            sql = statistics.mean(statements[name])
            line += f"{p * 1000:14.0f}{(p / b - 1) * 100:9.1f}%{(p - b) * 1000:10.1f}{sql:11.1f}"
            line += f"{ref_pipeline / p:9.2f}x{INTERVAL / p:9.1f}"
        print(line)
    for (name, size), runtime in runtimes.items():
        if runtime.backend != name.partition("@")[0].partition(":")[0]:
            print(f"note: {name} at {size} px fell back: {runtime.note}")

    fastest = min((n for n in names if pipeline[n]), key=lambda n: statistics.mean(pipeline[n]))
    p = statistics.mean(pipeline[fastest])
    print(f"\nmotion gate, frames sampled every 1 s, worker capacity at a {INTERVAL:.0f} s interval ({fastest})")
    print(f"{'clip':<16}{'gate ms':>9}{'skipped':>9}{'cams, gate off':>16}{'cams, gate on':>15}")
    scenes = [(name, clip_jpegs(media / name, 60, every_seconds=1.0)) for name in CLIPS]
    # A quiet camera (most city cameras at night): the office before anyone walks in.
    scenes.append(("empty office", clip_jpegs(media / "office.mp4", 12, every_seconds=1 / 30)))
    for camera_id, (name, frames) in enumerate(scenes, start=10_000):
        skipped, gate_times = 0, []
        for data in frames:
            image = decode_image(data).image
            began = time.perf_counter()
            unchanged = motion.frame_unchanged(camera_id=camera_id, image=image, threshold=0.5)
            gate_times.append(time.perf_counter() - began)
            skipped += unchanged
        share = skipped / len(frames)
        gate = statistics.mean(gate_times)
        off = INTERVAL / p
        on = INTERVAL / (gate + (1 - share) * p)
        print(f"{name:<16}{gate * 1000:9.1f}{f'{skipped}/{len(frames)}':>9}{off:16.1f}{on:15.1f}")


if __name__ == "__main__":
    main()
