"""Frames between pipeline stages: kept briefly in Redis and passed by key, never pickled
into the broker; the camera's latest frame is kept in storage for thumbnails."""

from __future__ import annotations

import uuid

import redis
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from cameras.frames import Frame

FRAME_TTL_SECONDS = 300
_client: redis.Redis | None = None


def redis_client() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5)
    return _client


def frame_put(camera_id: int, frame: Frame) -> str:
    """Store the frame's JPEG for the next stage; returns the key to pass along."""
    key = f"vigil:frame:{camera_id}:{uuid.uuid4().hex}"
    redis_client().set(key, frame.jpeg, ex=FRAME_TTL_SECONDS)
    return key


def frame_get(key: str) -> bytes | None:
    """The JPEG stored under ``key``, or None once it has expired."""
    return redis_client().get(key)


def frames_get(keys: list[str]) -> list[bytes | None]:
    """Several frames in one round trip (a detect batch); None for those that expired."""
    return redis_client().mget(keys) if keys else []


def latest_frame_path(camera_slug: str) -> str:
    return f"cameras/{camera_slug}/latest.jpg"


def latest_frame_save(camera_slug: str, frame: Frame) -> str:
    path = latest_frame_path(camera_slug)
    if default_storage.exists(path):
        default_storage.delete(path)
    return default_storage.save(path, ContentFile(frame.jpeg))
