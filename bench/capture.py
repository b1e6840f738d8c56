"""Capture benchmark: time to one fresh frame from each source kind, and decode speed.

    VIGIL_TEST_MEDIA=../shared/media .venv/bin/python bench/capture.py [--repeat 5]

Starts the same real servers as the tests (ffmpeg → RTSP relay, HTTP snapshot and MJPEG,
ffmpeg-made HLS) and prints the median and worst time of ``grab_frame`` per kind, then frames
per second decoded on one core from the 1080p street clip.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigilsite.settings")
os.environ.setdefault("VIGIL_DATA_DIR", tempfile.mkdtemp(prefix="vigil-bench-"))

import cv2
import django

django.setup()

from cameras.readers import grab_frame  # noqa: E402
from cameras.tests.servers import clip_jpegs, http_camera, make_hls, rtsp_camera  # noqa: E402


def timed(url: str, repeat: int, **options) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        grab_frame(url, timeout=20, **options)
        times.append(time.perf_counter() - started)
    return times


def report(kind: str, times: list[float]) -> None:
    print(f"{kind:<22} median {statistics.median(times) * 1000:7.0f} ms   worst {max(times) * 1000:7.0f} ms")


def decode_rate(clip: Path, seconds: float = 10.0) -> float:
    cv2.setNumThreads(1)  # one core
    capture = cv2.VideoCapture(str(clip))
    frames, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        ok, _ = capture.read()
        if not ok:
            capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            continue
        frames += 1
    capture.release()
    return frames / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    media = Path(os.environ.get("VIGIL_TEST_MEDIA", "../shared/media")).resolve()
    print(f"one fresh frame, {args.repeat} tries each (640 px wide streams; file = 1080p clip)")
    with tempfile.TemporaryDirectory() as folder, http_camera(clip_jpegs(media / "street.mp4"), Path(folder)) as base:
        report("HTTP JPEG snapshot", timed(f"{base}/snapshot.jpg", args.repeat))
        report("HTTP MJPEG stream", timed(f"{base}/mjpeg", args.repeat))
        make_hls(media / "street.mp4", Path(folder) / "hls")
        report("HLS (.m3u8)", timed(f"{base}/hls/index.m3u8", args.repeat))
    with rtsp_camera(media / "street.mp4") as url:
        report("RTSP (UDP)", timed(url, args.repeat, rtsp_transport="udp"))
    report("video file (1080p)", timed((media / "street.mp4").as_uri(), args.repeat))
    rate = decode_rate(media / "street.mp4")
    print(f"decode 1080p street clip: {rate:.1f} frames/s on one core")


if __name__ == "__main__":
    main()
