#!/usr/bin/env python3
"""Vigil edge client: capture frames from a webcam, RTSP URL or file and push them to Vigil.

Depends only on opencv-python-headless and requests. The camera must be in "push" mode in
Vigil; issue its token with the admin action "Issue a new push token".

    VIGIL_PUSH_TOKEN=... python vigil_edge.py --vigil https://vigil.example.org --camera 12 --source 0
    python vigil_edge.py --vigil http://127.0.0.1:8000 --camera 3 --source rtsp://10.0.0.5/stream1 --interval 5

Frames are sent at the given interval (the camera's capture interval in Vigil). Lost sources and
network errors are retried with exponential back-off (capped), so the client survives reboots of
the camera and of Vigil.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time

import cv2
import requests

log = logging.getLogger("vigil-edge")
MAX_BACKOFF = 60.0


class Source:
    """A webcam index, stream URL or video file that reconnects when it stops giving frames."""

    def __init__(self, spec: str) -> None:
        self.spec = int(spec) if spec.isdigit() else spec
        self.capture: cv2.VideoCapture | None = None

    def read(self):
        if self.capture is None or not self.capture.isOpened():
            self.capture = cv2.VideoCapture(self.spec)
            if not self.capture.isOpened():
                self.capture = None
                raise OSError(f"cannot open source {self.spec!r}")
        ok, frame = self.capture.read()
        if not ok and isinstance(self.spec, str) and os.path.isfile(self.spec):
            self.capture.set(cv2.CAP_PROP_POS_FRAMES, 0)  # loop a file
            ok, frame = self.capture.read()
        if not ok:
            self.close()
            raise OSError(f"source {self.spec!r} gave no frame")
        return frame

    def close(self) -> None:
        if self.capture is not None:
            self.capture.release()
            self.capture = None


def push(session: requests.Session, url: str, token: str, jpeg: bytes, timeout: float) -> requests.Response:
    return session.post(
        url,
        data=jpeg,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "image/jpeg"},
        timeout=timeout,
    )


def run(args: argparse.Namespace) -> int:
    token = args.token or os.environ.get("VIGIL_PUSH_TOKEN", "")
    if not token:
        log.error("no push token: pass --token or set VIGIL_PUSH_TOKEN")
        return 2
    url = f"{args.vigil.rstrip('/')}/api/cameras/{args.camera}/frames/"
    source, session = Source(args.source), requests.Session()
    stop = False

    def on_signal(*_):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    backoff, sent = 1.0, 0
    while not stop and (args.max_frames == 0 or sent < args.max_frames):
        started = time.monotonic()
        wait = args.interval
        try:
            frame = source.read()
            jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, args.quality])[1].tobytes()
            response = push(session, url, token, jpeg, timeout=args.timeout)
            if response.status_code == 202:
                sent, backoff = sent + 1, 1.0
                log.info("frame %d accepted", sent)
            elif response.status_code in (429, 503):  # too fast, or Vigil's queue is down for a while
                wait = float(response.headers.get("Retry-After", args.interval))
                log.warning("Vigil asks to wait (%s); waiting %.0f s", response.status_code, wait)
            elif response.status_code in (401, 404, 409):
                log.error("Vigil refused the camera (%s): %s", response.status_code, response.text[:200])
                return 1
            else:
                raise OSError(f"Vigil answered {response.status_code}: {response.text[:200]}")
        except (OSError, requests.RequestException) as exc:
            log.warning("%s; retrying in %.0f s", exc, backoff)
            wait, backoff = backoff, min(backoff * 2, MAX_BACKOFF)
        time.sleep(max(0.0, wait - (time.monotonic() - started)))
    source.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vigil", required=True, help="base URL of Vigil, e.g. https://vigil.example.org")
    parser.add_argument("--camera", required=True, type=int, help="the camera's id in Vigil")
    parser.add_argument("--source", default="0", help="webcam index, RTSP/HTTP URL or video file (default 0)")
    parser.add_argument("--token", help="the camera's push token (default: $VIGIL_PUSH_TOKEN)")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between frames (default 5)")
    parser.add_argument("--quality", type=int, default=85, help="JPEG quality (default 85)")
    parser.add_argument("--timeout", type=float, default=10.0, help="HTTP timeout in seconds")
    parser.add_argument("--max-frames", type=int, default=0, help="stop after N accepted frames (0: never)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
