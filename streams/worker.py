"""A stream worker: the process that holds the continuous analyses of several stream cameras.

Several workers (one per GPU host) share the cameras through Redis leases: a worker takes a
camera by acquiring its lease, renews it every few seconds while the analysis runs, and lets it
go when the camera leaves stream mode or the worker stops. A worker that dies stops renewing;
its cameras are taken by another worker once the lease expires (``LEASE_SECONDS``). Every
``poll`` seconds the worker also notices cameras added, removed or reconfigured in the admin.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time

import redis
from django.conf import settings
from django.db import close_old_connections
from redis.exceptions import LockError

from cameras.models import Camera
from core.redis import redis_client
from flow.models import CountingLine
from streams.analysis import StreamAnalysis

logger = logging.getLogger(__name__)

LEASE_SECONDS = 30
HEARTBEAT_KEY = "vigil:streams:worker:{}"


def stream_cameras() -> list[Camera]:
    cameras = Camera.objects.filter(enabled=True, capture_mode=Camera.CaptureMode.STREAM)
    return list(cameras.select_related("detection_model").order_by("pk"))


_RESTART_FIELDS = ["source_url", "username", "password", "rtsp_transport", "detect", "detection_model_id"]


def camera_signature(camera: Camera) -> tuple:
    """What, when changed, makes a running analysis start again: the source, the model, the lines
    (health updates change the camera row too, and must not)."""
    lines = CountingLine.objects.filter(camera=camera).values_list("pk", "updated_at", "enabled")
    model = camera.detection_model.updated_at if camera.detection_model_id else None
    return (*(getattr(camera, name) for name in _RESTART_FIELDS), model, tuple(lines))


class StreamWorker:
    def __init__(self, *, name: str | None = None, capacity: int | None = None) -> None:
        self.name = name or f"streams@{socket.gethostname()}:{threading.get_native_id()}"
        self.capacity = capacity or settings.STREAM_MAX_PER_WORKER
        self.running: dict[int, tuple[StreamAnalysis, redis.lock.Lock, tuple]] = {}
        self.stopping = threading.Event()

    def run(self, *, poll: float = 5.0) -> None:
        logger.info("stream worker %s holds up to %d streams", self.name, self.capacity)
        try:
            while not self.stopping.is_set():
                try:
                    close_old_connections()
                    self.reconcile()
                except Exception:  # Redis or the database away: keep the running analyses, try again
                    logger.warning("stream worker %s could not check its cameras", self.name, exc_info=True)
                self.stopping.wait(poll)
        finally:
            for camera_id in list(self.running):
                self._release(camera_id)

    def stop(self) -> None:
        self.stopping.set()

    def reconcile(self) -> None:
        wanted = {camera.pk: camera for camera in stream_cameras()}
        for camera_id, (analysis, lease, signature) in list(self.running.items()):
            camera = wanted.get(camera_id)
            if camera is None or not analysis.alive():
                self._release(camera_id)
            elif camera_signature(camera) != signature:
                logger.info("camera %s changed; restarting its analysis", camera.name)
                self._release(camera_id)
            elif not _renew(lease):
                logger.warning("lost the lease of camera %s to another worker", camera.name)
                self.running.pop(camera_id)[0].stop()
        for camera_id, camera in wanted.items():
            if len(self.running) >= self.capacity:
                break
            if camera_id in self.running:
                continue
            lease = redis_client().lock(f"vigil:streams:lease:{camera_id}", timeout=LEASE_SECONDS, thread_local=False)
            if not lease.acquire(blocking=False):
                continue  # another worker has it
            analysis = StreamAnalysis(camera_id)
            self.running[camera_id] = (analysis, lease, camera_signature(camera))
            analysis.start()
            logger.info("analysing the stream of %s (%s)", camera.name, camera.masked_source_url)
        self._heartbeat()

    def _release(self, camera_id: int) -> None:
        analysis, lease, _ = self.running.pop(camera_id)
        analysis.stop()
        with contextlib.suppress(LockError, redis.RedisError):
            lease.release()  # failing: expired or Redis away, it frees itself

    def _heartbeat(self) -> None:
        streams = {
            camera_id: {"fps": round(a.stats.fps(), 2), "frames": a.stats.frames, "skipped": a.stats.skipped,
                        "crossings": a.stats.crossings, "reconnects": a.stats.reconnects, "error": a.stats.last_error}
            for camera_id, (a, _, _) in self.running.items()
        }  # fmt: skip
        data = {"name": self.name, "capacity": self.capacity, "at": time.time(), "streams": streams}
        redis_client().set(HEARTBEAT_KEY.format(self.name), json.dumps(data), ex=LEASE_SECONDS)


def _renew(lease: redis.lock.Lock) -> bool:
    """Extend the lease; after a Redis restart lost it, take it again if nobody else did."""
    try:
        lease.reacquire()
        return True
    except LockError:
        return lease.acquire(blocking=False)


def stream_workers() -> list[dict]:
    """The heartbeats of the stream workers alive now (health page, tests)."""
    client = redis_client()
    keys = list(client.scan_iter(HEARTBEAT_KEY.format("*")))
    return [json.loads(value) for value in client.mget(keys) if value] if keys else []
