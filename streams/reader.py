"""A camera's continuous stream, decoded by ffmpeg at the analysis frame rate.

ffmpeg reads every kind of source Vigil knows (RTSP, HLS, MJPEG over HTTP, files looped in real
time, V4L devices), drops frames down to the wanted rate, scales them down and writes them as
BMP images on a pipe: BMP carries each frame's size, so a camera that changes resolution needs
no restart. A reader thread keeps only the newest frame, so a slow analysis works on the present
instead of falling further behind; the frames it skipped are counted.
"""

from __future__ import annotations

import collections
import struct
import subprocess
import threading
import time
from urllib.parse import urlsplit

import numpy as np

from cameras import sources
from cameras.frames import Frame
from cameras.readers import (
    HLS_OPTIONS,
    CaptureError,
    blocked_reason,
    ffmpeg_reason,
    http_proxy_options,
    pinned_url,
    refuse_blocked_host,
)
from core import outbound

_BMP_HEADER = 54


def input_options(
    url: str, *, rtsp_transport: str, timeout: float, proxy: outbound.CheckingProxy | None = None
) -> list[str]:
    """ffmpeg options that open ``url`` as a live stream, ending with ``-i url``.

    Network sources connect only where the blocked-network check allows (``CaptureError`` otherwise):
    RTSP at the checked address, HTTP and HLS through ``proxy`` (each redirect and segment checked).
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    io_timeout = str(int(timeout * 1_000_000))
    if scheme in sources.STREAM_SCHEMES:
        return ["-rtsp_transport", rtsp_transport, "-timeout", io_timeout, "-i", pinned_url(url)]
    if scheme in sources.HTTP_SCHEMES:
        live = HLS_OPTIONS if parts.path.lower().endswith(".m3u8") else []
        refuse_blocked_host(url)  # the reason at once; the proxy checks every connection again
        if proxy is None:
            raise ValueError("an HTTP stream is read through a CheckingProxy")
        return ["-rw_timeout", io_timeout, *http_proxy_options(proxy), *live, "-i", url]
    if scheme == sources.FILE_SCHEME:
        # A file plays in real time, looped, as a camera would show it.
        return ["-re", "-stream_loop", "-1", "-i", str(sources.local_path(url))]
    if scheme == sources.DEVICE_SCHEME:
        return ["-f", "v4l2", "-i", f"/dev/video{parts.netloc or parts.path.strip('/')}"]
    raise CaptureError(f"Unsupported source {scheme}://")


class StreamReader:
    """ffmpeg decoding one stream; ``next_frame`` returns the newest frame not given out yet."""

    def __init__(
        self, url: str, *, shown_url: str, fps: float, max_width: int, stall_seconds: float,
        rtsp_transport: str = "tcp",
    ) -> None:  # fmt: skip
        self.url, self.shown_url = url, shown_url
        self._ffmpeg_url = url  # what ffmpeg was given (RTSP: at the checked address)
        self.fps, self.max_width, self.stall_seconds = fps, max_width, stall_seconds
        self.rtsp_transport = rtsp_transport
        self.frames_read = 0
        self.frames_skipped = 0
        self._process: subprocess.Popen | None = None
        self._proxy: outbound.CheckingProxy | None = None  # HTTP and HLS: every connection ffmpeg makes
        self._latest: Frame | None = None
        self._ended: str | None = None
        self._stderr: collections.deque[str] = collections.deque(maxlen=20)
        self._changed = threading.Condition()

    def command(self) -> list[str]:
        scale = f"scale=w=min({self.max_width}\\,iw):h=-2"
        source = input_options(self.url, rtsp_transport=self.rtsp_transport, timeout=self.stall_seconds,
                               proxy=self._proxy)  # fmt: skip
        return [
            "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", *source,
            "-an", "-vf", f"fps={self.fps:g},{scale}", "-f", "image2pipe", "-c:v", "bmp", "-pix_fmt", "bgr24", "-",
        ]  # fmt: skip

    def open(self) -> None:
        if urlsplit(self.url).scheme.lower() in sources.HTTP_SCHEMES:
            self._proxy = outbound.CheckingProxy()
        try:
            command = self.command()
            self._ffmpeg_url = command[command.index("-i") + 1]
            self._process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                env=outbound.subprocess_env(),
            )  # fmt: skip
        except FileNotFoundError:
            self._close_proxy()
            raise CaptureError("ffmpeg is not installed on this worker (apt-get install ffmpeg)") from None
        except CaptureError:
            self._close_proxy()
            raise
        threading.Thread(target=self._read_frames, daemon=True, name="stream-frames").start()
        threading.Thread(target=self._read_errors, daemon=True, name="stream-errors").start()

    def next_frame(self) -> Frame:
        """Wait for a frame newer than the last one returned; ``CaptureError`` when the stream ended or stalled."""
        deadline = time.monotonic() + self.stall_seconds
        with self._changed:
            while self._latest is None:
                if self._ended is not None:
                    raise CaptureError(self._ended)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise CaptureError(f"No frame from {self.shown_url} for {self.stall_seconds:g} s")
                self._changed.wait(left)
            frame, self._latest = self._latest, None
            return frame

    def _close_proxy(self) -> None:
        if self._proxy is not None:
            self._proxy.close()

    def close(self) -> None:
        self._close_proxy()
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.kill()
        process.wait()
        for pipe in (process.stdout, process.stderr):
            if pipe:
                pipe.close()

    def _read_frames(self) -> None:
        assert self._process and self._process.stdout
        pipe = self._process.stdout
        reason = None
        try:
            while True:
                image = _read_bmp(pipe)
                if image is None:
                    break
                with self._changed:
                    if self._latest is not None:
                        self.frames_skipped += 1
                    self._latest = Frame(image=image)
                    self.frames_read += 1
                    self._changed.notify_all()
        except (OSError, ValueError) as exc:
            reason = f"{self.shown_url}: the stream broke off ({exc})"
        code = self._process.wait()
        time.sleep(0.05)  # let the stderr thread take ffmpeg's last words
        if reason is None:
            said = "\n".join(self._stderr)
            reason = (
                ffmpeg_reason(said, self._ffmpeg_url, self.shown_url) if said else f"{self.shown_url}: the stream ended"
            )
            if code not in (0, None) and not said:
                reason = f"{self.shown_url}: ffmpeg stopped with code {code}"
            reason = blocked_reason(self.shown_url, self._proxy) or reason
        with self._changed:
            self._ended = reason
            self._changed.notify_all()

    def _read_errors(self) -> None:
        assert self._process and self._process.stderr
        for line in self._process.stderr:
            self._stderr.append(line.decode(errors="replace").strip())


def _read_bmp(pipe) -> np.ndarray | None:
    """One BMP image from the pipe as BGR pixels (top row first); None at the end of the stream."""
    header = _read_exact(pipe, _BMP_HEADER)
    if header is None:
        return None
    if header[:2] != b"BM":
        raise ValueError("not a BMP frame")
    size, offset = struct.unpack_from("<I4xI", header, 2)
    width, height, _, bits = struct.unpack_from("<iiHH", header, 18)
    if bits != 24 or width <= 0 or height == 0 or size > 64 * 1024 * 1024:
        raise ValueError(f"unexpected frame {width}x{height}, {bits} bits")
    rest = _read_exact(pipe, size - _BMP_HEADER)
    if rest is None:
        return None
    stride = (width * 3 + 3) & ~3
    pixels = np.frombuffer(rest, dtype=np.uint8, count=stride * abs(height), offset=offset - _BMP_HEADER)
    rows = pixels.reshape(abs(height), stride)[:, : width * 3].reshape(abs(height), width, 3)
    return np.ascontiguousarray(rows[::-1] if height > 0 else rows)  # positive height: bottom row first


def _read_exact(pipe, size: int) -> bytes | None:
    data = pipe.read(size)
    if len(data) < size:
        return None
    return data


def reader_for(camera, *, fps: float, max_width: int, stall_seconds: float) -> StreamReader:
    """A reader of the camera's stream (with its credentials; only the masked URL is ever shown)."""
    return StreamReader(
        camera.connection_url, shown_url=camera.masked_source_url, fps=fps, max_width=max_width,
        stall_seconds=stall_seconds, rtsp_transport=camera.rtsp_transport,
    )  # fmt: skip
