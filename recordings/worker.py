"""A recorder worker: the process that records the cameras whose recording is on.

Like the stream workers, several share the cameras through Redis leases (never two recorders on one
camera); a worker that dies stops renewing and another takes its cameras once the lease expires.
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
from recordings.recorder import Recorder
from streams.worker import LEASE_SECONDS, _renew

logger = logging.getLogger(__name__)

HEARTBEAT_KEY = "vigil:recorders:worker:{}"


def recorded_cameras() -> list[Camera]:
    cameras = Camera.objects.filter(enabled=True).exclude(recording=Camera.Recording.OFF).order_by("pk")
    return [camera for camera in cameras if camera.delivers_video]


def _signature(camera: Camera) -> tuple:
    return (camera.source_url, camera.username, camera.password, camera.rtsp_transport)


class RecorderWorker:
    def __init__(self, *, name: str | None = None, capacity: int | None = None) -> None:
        self.name = name or f"recorder@{socket.gethostname()}:{threading.get_native_id()}"
        self.capacity = capacity or settings.RECORDING_MAX_PER_WORKER
        self.running: dict[int, tuple[Recorder, redis.lock.Lock, tuple]] = {}
        self.stopping = threading.Event()

    def run(self, *, poll: float = 5.0) -> None:
        logger.info("recorder worker %s records up to %d cameras", self.name, self.capacity)
        try:
            while not self.stopping.is_set():
                try:
                    close_old_connections()
                    self.reconcile()
                except Exception:  # Redis or the database away: keep recording, try again
                    logger.warning("recorder worker %s could not check its cameras", self.name, exc_info=True)
                self.stopping.wait(poll)
        finally:
            self.release_all()
            # Stopped cleanly: down at once for /healthz, not when the heartbeat expires.
            with contextlib.suppress(redis.RedisError):
                redis_client().delete(HEARTBEAT_KEY.format(self.name))

    def stop(self) -> None:
        self.stopping.set()

    def release_all(self) -> None:
        for camera_id in list(self.running):
            self._release(camera_id)

    def reconcile(self) -> None:
        wanted = {camera.pk: camera for camera in recorded_cameras()}
        for camera_id, (recorder, lease, signature) in list(self.running.items()):
            camera = wanted.get(camera_id)
            if camera is None or not recorder.alive() or _signature(camera) != signature:
                self._release(camera_id)
            elif not _renew(lease):
                logger.warning("lost the recording lease of camera %s to another worker", camera.name)
                self.running.pop(camera_id)[0].stop()
        for camera_id, camera in wanted.items():
            if len(self.running) >= self.capacity:
                break
            if camera_id in self.running:
                continue
            lease = redis_client().lock(f"vigil:recorders:lease:{camera_id}", timeout=LEASE_SECONDS, thread_local=False)
            if not lease.acquire(blocking=False):
                continue  # another worker records it
            recorder = Recorder(camera_id)
            self.running[camera_id] = (recorder, lease, _signature(camera))
            recorder.start()
            logger.info("recording %s (%s)", camera.name, camera.masked_source_url)
        self._heartbeat()

    def _release(self, camera_id: int) -> None:
        recorder, lease, _ = self.running.pop(camera_id)
        recorder.stop()
        with contextlib.suppress(LockError, redis.RedisError):
            lease.release()

    def _heartbeat(self) -> None:
        cameras = {
            camera_id: {"segments": r.segments, "reconnects": r.reconnects, "error": r.last_error}
            for camera_id, (r, _, _) in self.running.items()
        }
        data = {"name": self.name, "capacity": self.capacity, "at": time.time(), "cameras": cameras}
        redis_client().set(HEARTBEAT_KEY.format(self.name), json.dumps(data), ex=LEASE_SECONDS)


def recorder_workers() -> list[dict]:
    """The heartbeats of the recorder workers alive now."""
    client = redis_client()
    keys = list(client.scan_iter(HEARTBEAT_KEY.format("*")))
    return [json.loads(value) for value in client.mget(keys) if value] if keys else []
