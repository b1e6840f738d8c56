"""Redis memory held by frames waiting for detection: N cameras' 1080p JPEGs at their interval, analysed at once.

    VIGIL_TEST_MEDIA=../shared/media .venv/bin/python bench/frames_redis.py [--cameras 200] [--interval 5]
        [--seconds 300] [--modes before,after]

Real 1080p JPEGs of the street clip go through Vigil's own hand-off (``cameras.handoff.frame_wait``) at
N / interval frames a second into an embedded Redis, and a detection stand-in (no model: this measures
Redis, not inference) takes them in batches as a detect worker does (``detection.queue.frames_take``,
``frames_get``) and marks each batch done. ``after`` is Vigil's ``batch_done``, which deletes the batch's
frames; ``before`` marks it done as Vigil did until now (the batch's record only), so the frames stay for
their five-minute lifetime. Redis's ``used_memory`` is sampled every second: its peak, and its mean over
the run's last 30 s (steady state once the lifetime has passed, so run ``--seconds`` past 300).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigilsite.settings")
os.environ.setdefault("VIGIL_DATA_DIR", tempfile.mkdtemp(prefix="vigil-bench-"))
os.environ.setdefault("VIGIL_DEMO", "false")

import django

django.setup()

from django.conf import settings  # noqa: E402

from cameras import handoff  # noqa: E402
from cameras.frame_store import frames_get  # noqa: E402
from cameras.frames import decode_image  # noqa: E402
from core.redis import redis_client  # noqa: E402
from detection import queue  # noqa: E402
from system import embedded_redis  # noqa: E402


def street_jpegs(media: Path, count: int = 30) -> list[bytes]:
    """Full-size 1080p frames of the street clip, JPEG quality 90 (what a camera's snapshot URL sends)."""
    capture = cv2.VideoCapture(str(media / "street.mp4"))
    jpegs = []
    while len(jpegs) < count:
        ok, image = capture.read()
        if not ok:
            break
        jpegs.append(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes())
    capture.release()
    return jpegs


def run(mode: str, jpegs: list[bytes], cameras: int, interval: float, seconds: float) -> dict:
    client = redis_client()
    client.flushall()
    frames = [decode_image(data) for data in jpegs]
    stop = threading.Event()
    batches = 0

    def detect() -> None:  # the detect worker's part, without the model
        nonlocal batches
        while not stop.is_set():
            oldest = client.zrange(handoff.WAITING, 0, 0)
            if not oldest:
                time.sleep(0.02)
                continue
            taken = queue.frames_take(oldest[0].decode(), limit=settings.DETECTION_BATCH_SIZE, batch_id=f"b{batches}")
            frames_get([w.key for w in taken])
            queue.batch_done(f"b{batches}", taken if mode == "after" else [])
            batches += 1

    worker = threading.Thread(target=detect, daemon=True)
    worker.start()
    samples, began, sent = [], time.monotonic(), 0
    rate = cameras / interval
    next_sample = began
    while (now := time.monotonic()) - began < seconds:
        due = int((now - began) * rate)
        while sent < due:
            handoff.frame_wait(sent % cameras + 1, frames[sent % len(frames)])
            sent += 1
        if now >= next_sample:
            samples.append((now - began, client.info("memory")["used_memory"]))
            next_sample += 1
        time.sleep(0.005)
    stop.set()
    worker.join()
    steady = [used for at, used in samples if at >= seconds - 30]
    return {
        "mode": mode,
        "frames": sent,
        "peak_mb": max(used for _, used in samples) / 1e6,
        "steady_mb": sum(steady) / len(steady) / 1e6,
        "in_redis": sum(1 for _ in client.scan_iter("vigil:frame:*")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cameras", type=int, default=200)
    parser.add_argument("--interval", type=float, default=5)
    parser.add_argument("--seconds", type=float, default=330)
    parser.add_argument("--modes", default="before,after")
    args = parser.parse_args()
    media = Path(os.environ.get("VIGIL_TEST_MEDIA", "../shared/media")).resolve()
    jpegs = street_jpegs(media)
    size = sum(map(len, jpegs)) / len(jpegs) / 1e3
    redis = embedded_redis.start(settings.EMBEDDED_REDIS_SOCKET, settings.DATA_DIR / "redis", stdout=subprocess.DEVNULL)
    try:
        print(
            f"{args.cameras} cameras at {args.interval:g} s, 1080p JPEGs of {size:.0f} KB, {args.seconds:.0f} s a run"
        )
        print(f"{'mode':>8}{'frames':>8}{'peak MB':>10}{'steady MB':>11}{'frames in Redis at the end':>28}")
        for mode in args.modes.split(","):
            r = run(mode, jpegs, args.cameras, args.interval, args.seconds)
            print(f"{r['mode']:>8}{r['frames']:>8}{r['peak_mb']:>10.0f}{r['steady_mb']:>11.0f}{r['in_redis']:>28}")
    finally:
        redis.terminate()


if __name__ == "__main__":
    main()
