"""A recorder: ffmpeg copying one camera's stream into short MPEG-TS segments, without re-encoding.

ffmpeg's segment muxer cuts at keyframes near ``VIGIL_RECORDING_SEGMENT_SECONDS`` and writes one CSV line
on its standard output for every segment it has finished (name, start and end within the stream), so a
segment becomes a row only once it is complete and playable. Video only: a city's cameras may pick up
conversations, which is another law. A source that breaks off is opened again after 1 s, doubling to 30 s.
"""

from __future__ import annotations

import collections
import logging
import subprocess
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from cameras import sources
from cameras.models import Camera
from cameras.readers import CaptureError, ffmpeg_reason
from core import outbound
from recordings.services import segment_record, segments_folder
from streams.reader import input_options

logger = logging.getLogger(__name__)

BACKOFF_MAX_SECONDS = 30.0


def recorder_command(url: str, folder: Path, *, rtsp_transport: str, proxy=None) -> list[str]:
    source = input_options(url, rtsp_transport=rtsp_transport, timeout=10.0, proxy=proxy)
    segment = [
        "-f", "segment", "-segment_time", str(settings.RECORDING_SEGMENT_SECONDS), "-segment_format", "mpegts",
        "-reset_timestamps", "1", "-segment_list", "pipe:1", "-segment_list_type", "csv",
    ]  # fmt: skip
    # Named by when this ffmpeg started (to the microsecond) and a number: a stream that bursts at connection
    # can finish two segments within a second, and names by the second would overwrite each other.
    run = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
    return [
        "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", *source,
        "-map", "0:v:0", "-c", "copy", *segment, str(folder / f"{run}-%06d.ts"),
    ]  # fmt: skip


class Recorder:
    """Records one camera in a thread of its own until ``stop``; ``stats`` says how it goes."""

    def __init__(self, camera_id: int) -> None:
        self.camera_id = camera_id
        self.segments = 0
        self.reconnects = 0
        self.last_error = ""
        self._stopping = threading.Event()
        self._process: subprocess.Popen | None = None
        self._anchor: datetime | None = None  # the wall time of this run's stream time 0
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"recorder-{camera_id}")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()  # ffmpeg finishes the segment it is writing and lists it
        self._thread.join(15)

    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        backoff = 1.0
        while not self._stopping.is_set():
            started = time.monotonic()
            try:
                close_old_connections()
                self._record_once()
            except Exception as exc:  # the camera, the network or the database: try again later
                self.last_error = str(exc)[:500]
                logger.warning("recording of camera #%s stopped: %s", self.camera_id, self.last_error)
            if self._stopping.is_set():
                break
            backoff = 1.0 if time.monotonic() - started > 60 else min(backoff * 2, BACKOFF_MAX_SECONDS)
            self.reconnects += 1
            self._stopping.wait(backoff)

    def _record_once(self) -> None:
        self._anchor = None  # each ffmpeg run has its own stream clock
        camera = Camera.objects.get(pk=self.camera_id)
        folder = segments_folder(camera.pk)
        proxy = outbound.CheckingProxy() if urlsplit(camera.source_url).scheme.lower() in sources.HTTP_SCHEMES else None
        try:
            command = recorder_command(camera.connection_url, folder, rtsp_transport=camera.rtsp_transport, proxy=proxy)
            ffmpeg_url = command[command.index("-i") + 1]
            try:
                self._process = subprocess.Popen(
                    command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                    env=outbound.subprocess_env(),
                )  # fmt: skip
            except FileNotFoundError:
                raise CaptureError("ffmpeg is not installed on this worker (apt-get install ffmpeg)") from None
            errors: collections.deque[str] = collections.deque(maxlen=20)
            reader = threading.Thread(target=_lines, args=(self._process.stderr, errors), daemon=True)
            reader.start()
            assert self._process.stdout is not None
            for line in self._process.stdout:
                self._segment_listed(folder, line.decode(errors="replace").strip())
            code = self._process.wait()
            reader.join(2)
        finally:
            if proxy is not None:
                proxy.close()
        if self._stopping.is_set():
            return
        said = "\n".join(errors)
        raise CaptureError(
            ffmpeg_reason(said, ffmpeg_url, camera.masked_source_url)
            if said
            else f"{camera.masked_source_url}: the stream ended (ffmpeg code {code})"
        )

    def _segment_listed(self, folder: Path, line: str) -> None:
        """One CSV line of ffmpeg's: ``name,start,end`` of a finished segment (seconds within the stream)."""
        try:
            name, start, end = line.rsplit(",", 2)
            start_s, end_s = float(start), max(float(start), float(end))
        except ValueError:
            logger.warning("recorder of camera #%s: unexpected segment line %r", self.camera_id, line[:200])
            return
        # Wall time = where this run's stream time started + the segment's stream time: segments stay one
        # after the other even when a stream bursts its buffer at connection. The first listing anchors it
        # (it ends now); a stream clock that drifts more than 2 s from the wall clock is anchored again.
        now = timezone.now()
        if self._anchor is None or abs((now - (self._anchor + timedelta(seconds=end_s))).total_seconds()) > 2:
            self._anchor = now - timedelta(seconds=end_s)
        path = folder / Path(name).name
        segment_record(camera_id=self.camera_id, path=path, started_at=self._anchor + timedelta(seconds=start_s),
                       ended_at=self._anchor + timedelta(seconds=end_s))  # fmt: skip
        self.segments += 1
        self.last_error = ""


def _lines(pipe, into: collections.deque[str]) -> None:
    for line in pipe:
        into.append(line.decode(errors="replace").strip())
