"""Grabbing one fresh frame from any kind of camera source, within a hard deadline.

- RTSP and HLS go through an ``ffmpeg`` process: it opens the live stream (so the frame is
  current, never a buffered one), takes per-camera options, and can be killed at the deadline
  whatever the network does.
- HTTP: a JPEG snapshot, or the first complete frame of an MJPEG stream, read with a deadline
  checked between chunks (a camera that trickles bytes cannot hold a worker).
- Local image and video files (videos loop, positioned by the clock) and USB/V4L devices
  through OpenCV.
Every failure raises ``CaptureError`` with a message an operator can act on; URLs in messages
never carry credentials.

Every connection is checked against the blocked networks where it is made (core/outbound.py):
requests through a checked session (no redirects), ffmpeg's RTSP at the checked address, ffmpeg's
HTTP and HLS through the checking proxy, which checks each redirect hop and playlist entry.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import cv2
import numpy as np
import requests

from cameras import sources
from cameras.frames import Frame, InvalidImage, decode_image, jpeg_end
from core import outbound, redact

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
MJPEG_MAX_FRAME_BYTES = 20 * 1024 * 1024
CHUNK = 64 * 1024


class CaptureError(Exception):
    """A camera gave no usable frame; the message is shown to operators as the camera's last error."""


def grab_frame(url: str, *, timeout: float, rtsp_transport: str = "tcp", shown_url: str | None = None) -> Frame:
    """Return one fresh frame from ``url`` (which may carry credentials) or raise ``CaptureError``."""
    shown = shown_url or redact.mask_url(url)
    try:
        return _grab(url, shown, timeout, rtsp_transport)
    except (cv2.error, OverflowError, ValueError) as exc:
        # OpenCV and the URL/number parsing raise these for a source they cannot use; the operator
        # gets the reason as the camera's last error, never a 500 or a task traceback.
        reason = redact.mask_text(str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__)
        raise CaptureError(f"{shown} cannot be read: {reason[:300]}") from None


def _grab(url: str, shown: str, timeout: float, rtsp_transport: str) -> Frame:
    scheme = urlsplit(url).scheme.lower()
    # Each way in checks where it connects: RTSP at the address checked here (ffmpeg is handed it),
    # requests through the checked session, HLS through the checking proxy (after a check here that
    # gives the clear reason at once).
    if scheme in sources.STREAM_SCHEMES:
        return _grab_with_ffmpeg(pinned_url(url), shown, timeout, ["-rtsp_transport", rtsp_transport])
    if scheme in sources.HTTP_SCHEMES:
        if urlsplit(url).path.lower().endswith(".m3u8"):
            refuse_blocked_host(url)
            return _grab_with_ffmpeg(url, shown, timeout, HLS_OPTIONS)
        return _grab_http(url, shown, timeout)
    if scheme == sources.FILE_SCHEME:
        return _grab_file(sources.local_path(url))
    if scheme == sources.DEVICE_SCHEME:
        return _grab_device(sources.device_index(url), timeout)
    raise CaptureError(f"Unsupported source {shown}")


def refuse_blocked_host(url: str) -> None:
    """``CaptureError`` when the URL's host resolves to a blocked (link-local, metadata) address."""
    try:
        sources.host_refuse_blocked(url)
    except sources.BlockedHost as exc:
        raise CaptureError(str(exc)) from None


def pinned_url(url: str) -> str:
    """``url`` at its checked address (see ``sources.pinned_url``); ``CaptureError`` when blocked or unresolved."""
    try:
        return sources.pinned_url(url)
    except (sources.BlockedHost, sources.UnresolvedHost) as exc:
        raise CaptureError(str(exc)) from None


# ffmpeg's hls demuxer: the newest segment, one request per connection (each through the proxy).
HLS_OPTIONS = ["-live_start_index", "-1", "-http_persistent", "0"]


def http_proxy_options(proxy: outbound.CheckingProxy) -> list[str]:
    """ffmpeg options that send all its HTTP(S) requests (redirects, playlist entries) through ``proxy``.

    Only network protocols: a playlist cannot name a local file (``file:///…/clip.ts``) as a segment.
    """
    return ["-http_proxy", proxy.url, "-protocol_whitelist", "http,https,tls,tcp,crypto,httpproxy"]


def blocked_reason(shown: str, proxy: outbound.CheckingProxy | None) -> str | None:
    """Why ffmpeg failed when its proxy refused a connection (a redirect, a segment on a blocked host)."""
    if proxy is None or not proxy.refused:
        return None
    return f"{shown} led to a blocked address: {proxy.refused[-1]}"


def _grab_with_ffmpeg(url: str, shown: str, timeout: float, input_options: list[str]) -> Frame:
    io_timeout_us = str(int(timeout * 1_000_000))
    scheme = urlsplit(url).scheme.lower()
    with contextlib.ExitStack() as stack:
        proxy = None
        if scheme in sources.STREAM_SCHEMES:
            connection_options = ["-timeout", io_timeout_us]
        else:
            proxy = stack.enter_context(outbound.CheckingProxy())
            connection_options = ["-rw_timeout", io_timeout_us, *http_proxy_options(proxy)]
        command = [
            "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error",
            *connection_options, *input_options, "-i", url,
            "-an", "-frames:v", "1", "-f", "image2pipe", "-c:v", "bmp", "-",
        ]  # fmt: skip
        try:
            result = subprocess.run(command, capture_output=True, timeout=timeout, env=outbound.subprocess_env())
        except subprocess.TimeoutExpired:
            raise CaptureError(blocked_reason(shown, proxy) or f"No frame from {shown} within {timeout:g} s") from None
        except FileNotFoundError:
            raise CaptureError("ffmpeg is not installed on this worker (apt-get install ffmpeg)") from None
        if result.returncode != 0 or not result.stdout:
            stderr = result.stderr.decode(errors="replace")
            raise CaptureError(blocked_reason(shown, proxy) or ffmpeg_reason(stderr, url, shown))
    image = cv2.imdecode(np.frombuffer(result.stdout, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise CaptureError(f"{shown} sent a stream that could not be decoded")
    return Frame(image=image)


def ffmpeg_reason(stderr: str, url: str, shown: str) -> str:
    """The one line of ffmpeg's complaint an operator needs, never with credentials."""
    return redact.mask_text(_ffmpeg_reason(stderr, url, shown))


def _ffmpeg_reason(stderr: str, url: str, shown: str) -> str:
    lines = [line.strip() for line in stderr.replace(url, shown).splitlines() if line.strip()]
    text = lines[-1] if lines else "ffmpeg failed without a message"
    lowered = stderr.lower()
    if "connection refused" in lowered:
        return f"Connection refused by {shown}"
    if "401" in lowered or "unauthorized" in lowered:
        return f"{shown} refused the credentials (401 Unauthorized)"
    if "404" in lowered or "not found" in lowered:
        return f"{shown} does not exist on the camera (404 Not Found)"
    if "invalid data" in lowered:
        return f"{shown} sent data that is not a video stream"
    return text[:300] if shown in text else f"{shown}: {text[:300]}"


def _grab_http(url: str, shown: str, timeout: float) -> Frame:
    with outbound.session() as http:
        return _grab_http_with(http, url, shown, timeout)


def _grab_http_with(http: requests.Session, url: str, shown: str, timeout: float) -> Frame:
    deadline = time.monotonic() + timeout
    try:
        response = http.get(url, stream=True, timeout=(min(timeout, 5.0), timeout), allow_redirects=False)
    except outbound.BlockedAddress as exc:
        raise CaptureError(str(exc)) from None
    except requests.ConnectionError as exc:
        if "refused" in str(exc).lower():
            raise CaptureError(f"Connection refused by {shown}") from None
        raise CaptureError(f"Cannot connect to {shown}") from None
    except requests.Timeout:
        raise CaptureError(f"No answer from {shown} within {timeout:g} s") from None
    with response:
        if response.is_redirect:
            raise CaptureError(f"{shown} answered HTTP {response.status_code} (a redirect; give the final URL)")
        if response.status_code != 200:
            raise CaptureError(f"{shown} answered HTTP {response.status_code} {response.reason}")
        content_type = response.headers.get("Content-Type", "").lower()
        if "mpegurl" in content_type:
            return _grab_with_ffmpeg(url, shown, max(1.0, deadline - time.monotonic()), HLS_OPTIONS)
        try:
            if content_type.startswith("multipart/"):
                data = _first_mjpeg_frame(response, deadline, shown)
            else:
                data = _read_body(response, deadline, shown)
            return decode_image(data)
        except InvalidImage as exc:
            raise CaptureError(f"{shown} sent something that is not a usable image: {exc}") from None
        except requests.RequestException:
            raise CaptureError(f"{shown} stopped sending before a frame was complete") from None


def _read_body(response: requests.Response, deadline: float, shown: str) -> bytes:
    body = bytearray()
    for chunk in response.iter_content(CHUNK):
        body += chunk
        if len(body) > MJPEG_MAX_FRAME_BYTES:
            raise CaptureError(f"{shown} sent more than {MJPEG_MAX_FRAME_BYTES} bytes for one image")
        if time.monotonic() > deadline:
            raise CaptureError(f"{shown} did not finish sending an image in time")
    return bytes(body)


def _first_mjpeg_frame(response: requests.Response, deadline: float, shown: str) -> bytes:
    """The first complete JPEG of a multipart stream: from its start marker to its real end (``jpeg_end``)."""
    buffer = bytearray()
    while True:
        # read1 returns what has arrived; read(n) would wait for the next frame to fill n bytes.
        chunk = response.raw.read1(CHUNK)
        if not chunk:
            break
        buffer += chunk
        start = buffer.find(b"\xff\xd8\xff")
        if start >= 0:
            try:
                end = jpeg_end(buffer, start)
            except InvalidImage as exc:
                raise CaptureError(f"{shown} sent something that is not a usable image: {exc}") from None
            if end is not None:
                return bytes(buffer[start:end])
        if len(buffer) > MJPEG_MAX_FRAME_BYTES:
            raise CaptureError(f"{shown} sent {MJPEG_MAX_FRAME_BYTES} bytes without a complete JPEG frame")
        if time.monotonic() > deadline:
            raise CaptureError(f"No complete frame from {shown} in time")
    raise CaptureError(f"{shown} closed the stream before a frame was complete")


def _grab_file(path: Path) -> Frame:
    if not path.is_file():
        raise CaptureError(f"File not found: {path}")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        try:
            return (
                decode_image(path.read_bytes()) if path.suffix.lower() in {".jpg", ".jpeg", ".png"} else _imread(path)
            )
        except InvalidImage as exc:
            raise CaptureError(f"{path.name} is not a usable image: {exc}") from None
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise CaptureError(f"{path.name} is not a readable video")
        frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) or 1
        fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
        # Loop the clip as a live camera would: the position follows the clock.
        capture.set(cv2.CAP_PROP_POS_FRAMES, int(time.time() * fps) % frames)
        ok, image = capture.read()
        if not ok:
            capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, image = capture.read()
        if not ok or image is None:
            raise CaptureError(f"{path.name} gave no frame")
        return Frame(image=image)
    finally:
        capture.release()


def _imread(path: Path) -> Frame:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise CaptureError(f"{path.name} is not a readable image")
    return Frame(image=image)


def _grab_device(index: int, timeout: float) -> Frame:
    capture = cv2.VideoCapture(index, cv2.CAP_V4L2)
    try:
        if not capture.isOpened():
            raise CaptureError(f"No camera device {index} on this machine (/dev/video{index})")
        capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ok, image = capture.read()
            if ok and image is not None:
                return Frame(image=image)
        raise CaptureError(f"Camera device {index} gave no frame within {timeout:g} s")
    finally:
        capture.release()
