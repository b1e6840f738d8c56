"""Detection benchmark: the whole pipeline against bare ``model.predict`` on the same frames.

    VIGIL_TEST_MEDIA=../shared/media .venv/bin/python bench/detect.py [--frames 16] [--device cpu]

For each shared clip, frames are JPEG-encoded as captured frames are, then timed two ways in
the same run, alternating frame by frame so drifts in CPU speed hit both alike:

- bare: ``YOLO.predict`` on the decoded frame (the floor: inference alone);
- pipeline: the detect task's own function on the frame a capture worker queued: Redis read,
  JPEG checks and decode, motion gate off, inference, threat rules (a crowd rule that fires, so
  events are updated and snapshots written), count sample and event writes in SQLite, broadcast
  to the embedded Redis.

Then the motion gate: its cost per frame and how many frames it skips on each scene sampled
at 1 s, and from that the cameras one worker serves at a 5 s interval, with and without it.
"""

from __future__ import annotations

import argparse
import os
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

import cv2
import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from cameras.frames import Frame, decode_image  # noqa: E402
from cameras.models import Camera  # noqa: E402
from detection import motion, queue  # noqa: E402
from detection.detector import detector_for  # noqa: E402
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
    parser.add_argument("--frames", type=int, default=16, help="frames per clip")
    parser.add_argument("--device", default="", help="cpu, cuda:0 ... (default: the model's own)")
    args = parser.parse_args()
    if args.device:
        settings.DETECTION_DEVICE = args.device
    media = Path(os.environ.get("VIGIL_TEST_MEDIA", "../shared/media")).resolve()

    redis = embedded_redis.start(settings.EMBEDDED_REDIS_SOCKET, settings.DATA_DIR / "redis", stdout=subprocess.DEVNULL)
    try:
        call_command("migrate", verbosity=0)
        run(media, args.frames)
    finally:
        redis.terminate()


def run(media: Path, count: int) -> None:
    model = DetectionModel.objects.get(is_default=True)
    detector = detector_for(model)
    yolo, options = detector.yolo, {**detector.options, "device": detector.device}
    ThreatRule.objects.create(name="Crowd", labels=["person"], min_count=3, min_confidence=0.3)
    print(f"model {model.name} ({model.weights}), device {detector.device or 'auto'}, imgsz {model.image_size}")
    print(f"{'clip':<16}{'bare ms':>9}{'pipeline ms':>13}{'overhead':>10}")
    pipeline_all, bare_all = [], []
    for name in CLIPS:
        jpegs = clip_jpegs(media / name, count)
        camera = Camera.objects.create(
            name=name, latitude=52.37, longitude=4.89, source_url="file:///dev/null", motion_gate=False
        )
        yolo.predict(decode_image(jpegs[0]).image, **options)  # warm-up
        bare, pipeline = [], []
        start = timezone.now()
        for i, data in enumerate(jpegs):
            image = decode_image(data).image
            order = ("bare", "pipeline") if i % 2 == 0 else ("pipeline", "bare")
            for kind in order:
                began = time.perf_counter()
                if kind == "bare":
                    yolo.predict(image, **options)
                    bare.append(time.perf_counter() - began)
                else:
                    # What the capture worker hands over (outside the timing), then the detect task's
                    # own function: Redis read, decode, inference, rules, database writes.
                    entry = queue.frame_wait(camera.pk, Frame(image, start + timedelta(seconds=i), _jpeg=data))
                    began = time.perf_counter()
                    frames_detect_waiting(entry=entry)
                    pipeline.append(time.perf_counter() - began)
        bare_all += bare
        pipeline_all += pipeline
        b, p = statistics.mean(bare), statistics.mean(pipeline)
        print(f"{name:<16}{b * 1000:9.0f}{p * 1000:13.0f}{(p / b - 1) * 100:9.1f}%")
    b, p = statistics.mean(bare_all), statistics.mean(pipeline_all)
    print(f"{'all':<16}{b * 1000:9.0f}{p * 1000:13.0f}{(p / b - 1) * 100:9.1f}%")

    print(f"\nmotion gate, frames sampled every 1 s, worker capacity at a {INTERVAL:.0f} s interval")
    print(f"{'clip':<16}{'gate ms':>9}{'skipped':>9}{'cams, gate off':>16}{'cams, gate on':>15}")
    scenes = [(name, clip_jpegs(media / name, 60, every_seconds=1.0)) for name in CLIPS]
    # A quiet camera (most city cameras at night): the office before anyone walks in.
    scenes.append(("empty office", clip_jpegs(media / "office.mp4", 12, every_seconds=1 / 30)))
    for camera_id, (name, jpegs) in enumerate(scenes, start=10_000):
        skipped, gate_times = 0, []
        for data in jpegs:
            image = decode_image(data).image
            began = time.perf_counter()
            unchanged = motion.frame_unchanged(camera_id=camera_id, image=image, threshold=0.5)
            gate_times.append(time.perf_counter() - began)
            skipped += unchanged
        share = skipped / len(jpegs)
        gate = statistics.mean(gate_times)
        off = INTERVAL / p
        on = INTERVAL / (gate + (1 - share) * p)
        print(f"{name:<16}{gate * 1000:9.1f}{f'{skipped}/{len(jpegs)}':>9}{off:16.1f}{on:15.1f}")


if __name__ == "__main__":
    main()
