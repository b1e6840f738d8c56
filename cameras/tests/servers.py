"""Real camera servers for the tests: RTSP (ffmpeg pushing a clip through an RTSP relay),
HTTP snapshot and MJPEG, HLS segments made by ffmpeg, and misbehaving cameras."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2

from vigilsite.testing import free_port

FFMPEG = ["ffmpeg", "-nostdin", "-loglevel", "error"]
# Small H.264 with frequent key frames: quick to encode on 2 cores, quick for a reader to start on.
X264 = ["-an", "-vf", "scale=640:-2", "-c:v", "libx264", "-preset", "ultrafast"]


def clip_jpegs(clip: Path, count: int = 20, width: int = 640) -> list[bytes]:
    """``count`` consecutive frames of ``clip`` as JPEG bytes, scaled to ``width``."""
    capture = cv2.VideoCapture(str(clip))
    frames = []
    while len(frames) < count:
        ok, image = capture.read()
        if not ok:
            break
        height = int(image.shape[0] * width / image.shape[1])
        frames.append(cv2.imencode(".jpg", cv2.resize(image, (width, height)))[1].tobytes())
    capture.release()
    return frames


class CameraHandler(SimpleHTTPRequestHandler):
    """Serves /snapshot.jpg, /mjpeg, /hls/*, /hang, /garbage, /truncated.jpg and the ``redirects`` (path → URL)."""

    jpegs: list[bytes] = []
    stop: threading.Event
    requests_seen: list[str]
    redirects: dict[str, str] = {}

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        self.requests_seen.append(self.path)
        if self.path in self.redirects:
            self.send_response(302)
            self.send_header("Location", self.redirects[self.path])
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/snapshot.jpg":
            self._send(200, "image/jpeg", self.jpegs[int(time.time() * 10) % len(self.jpegs)])
        elif self.path == "/garbage":
            self._send(200, "image/jpeg", b"\x00garbage-not-an-image" * 100)
        elif self.path == "/truncated.jpg":
            self._send(200, "image/jpeg", self.jpegs[0][: len(self.jpegs[0]) // 2])
        elif self.path == "/hang":
            self.stop.wait(60)  # accepts, never answers
        elif self.path == "/mjpeg":
            self._mjpeg()
        elif self.path == "/__requests__":
            import json

            self._send(200, "application/json", json.dumps(self.requests_seen).encode())
        elif self.path.startswith("/hls/"):
            super().do_GET()
        else:
            self._send(404, "text/plain", b"not found")

    def guess_type(self, path):
        if str(path).endswith(".m3u8"):
            return "application/vnd.apple.mpegurl"
        if str(path).endswith(".ts"):
            return "video/mp2t"
        return super().guess_type(path)

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _mjpeg(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            for n in range(200):
                if self.stop.is_set():
                    return
                jpeg = self.jpegs[n % len(self.jpegs)]
                self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\n")
                self.wfile.write(f"Content-Length: {len(jpeg)}\r\n\r\n".encode() + jpeg + b"\r\n")
                time.sleep(0.1)


@contextlib.contextmanager
def http_camera(
    jpegs: list[bytes], root: Path, *, host: str = "127.0.0.1", redirects: dict[str, str] | None = None
) -> Iterator[str]:
    """A local HTTP camera server on ``host`` (any 127.x address); yields its base URL.

    ``redirects`` answers those paths with a 302 to the URL given (which may be set after the start).
    """
    stop = threading.Event()
    redirects = {} if redirects is None else redirects
    handler = type("Handler", (CameraHandler,), {"jpegs": jpegs, "stop": stop, "requests_seen": [],
                                                 "redirects": redirects})  # fmt: skip

    def factory(*args, **kwargs):
        return handler(*args, directory=str(root), **kwargs)

    server = ThreadingHTTPServer((host, 0), factory)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


def make_hls(clip: Path, folder: Path, seconds: int = 4) -> Path:
    """Cut ``clip`` into HLS segments with ffmpeg; returns the playlist."""
    folder.mkdir(parents=True, exist_ok=True)
    playlist = folder / "index.m3u8"
    hls = ["-g", "15", "-f", "hls", "-hls_time", "1", "-hls_list_size", "0"]
    command = [*FFMPEG, "-y", "-t", str(seconds), "-i", str(clip), *X264, *hls, str(playlist)]
    subprocess.run(
        command,
        check=True,
        timeout=120,
    )
    return playlist


class RtspCamera:
    """ffmpeg pushes a clip in a loop to an RTSP relay (Debian's rtsp-server-perl), which serves it at ``url``.

    The camera can be killed and started again on the same URL, as a real camera rebooting would
    (the relay does not take a second pusher, so both go).
    """

    def __init__(self, clip: Path) -> None:
        self.clip = clip
        self.client_port, self.source_port = free_port(), free_port()
        self.url = f"rtsp://127.0.0.1:{self.client_port}/live"
        self.relay: subprocess.Popen | None = None
        self.pusher: subprocess.Popen | None = None

    def _start_relay(self) -> None:
        rtp_port = 20000 + self.client_port % 20000
        self.relay = subprocess.Popen(
            ["rtsp-server-perl", "-c", str(self.client_port), "-s", str(self.source_port),
             "--client_listen_address", "127.0.0.1", "--source_listen_address", "127.0.0.1",
             "--rtp_start_port", str(rtp_port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def start(self) -> None:
        """Start the camera (its RTSP server, then the encoder feeding it)."""
        self._start_relay()
        _wait_for_port(self.source_port)
        looping = [*FFMPEG, "-re", "-stream_loop", "-1", "-i", str(self.clip)]
        rtsp = [*["-tune", "zerolatency", "-g", "10", "-f", "rtsp"], f"rtsp://127.0.0.1:{self.source_port}/live"]
        self.pusher = subprocess.Popen([*looping, *X264, *rtsp], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.5)  # the relay announces the stream once the pusher has sent its first packets

    def kill(self) -> None:
        """Kill the camera: the ffmpeg encoder and the RTSP server go down at once (``start`` again later)."""
        for process in (self.pusher, self.relay):
            if process is not None:
                process.kill()
                process.wait()
        self.pusher = self.relay = None


@contextlib.contextmanager
def rtsp_camera(clip: Path) -> Iterator[str]:
    """An RTSP camera showing ``clip`` in a loop; yields its URL."""
    camera = RtspCamera(clip)
    try:
        camera.start()
        yield camera.url
    finally:
        camera.kill()


def _wait_for_port(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


def refusing_url() -> str:
    """A URL whose port refuses connections."""
    return f"http://127.0.0.1:{free_port()}/snapshot.jpg"
