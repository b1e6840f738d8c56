"""Frames between pipeline stages: kept briefly in Redis and passed by key, never pickled
into the broker; the camera's latest frame is kept in storage for thumbnails."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import uuid
from pathlib import Path

import redis
from django.conf import settings
from django.core.files.storage import default_storage

from cameras.frames import Frame
from core.redis import redis_client

FRAME_TTL_SECONDS = 300


def frame_put(camera_id: int, frame: Frame) -> str:
    """Store the frame's JPEG for the next stage; returns the key to pass along."""
    key = f"vigil:frame:{camera_id}:{uuid.uuid4().hex}"
    redis_client().set(key, frame.jpeg, ex=FRAME_TTL_SECONDS)
    return key


def frames_get(keys: list[str]) -> list[bytes | None]:
    """Several frames in one round trip (a detect batch); None for those that expired."""
    return redis_client().mget(keys) if keys else []


def latest_frame_path(camera_id: int) -> str:
    """Named by the camera's id, never its name or slug: a new camera that reuses a deleted one's
    name gets a fresh id (ids are never reused), so it can never be shown the old camera's picture."""
    return f"latest-frames/{camera_id}.jpg"


def latest_frame_save(camera_id: int, frame: Frame) -> str:
    """Replace the camera's latest frame in one step: written beside it, then renamed over it.

    A capture, a push and a stream worker may store the same camera at once. Deleting and then
    saving let two writers both find the name free, leaving an orphan file (the storage picks a
    new name) and a thumbnail older than it; a reader between the two found no file. A rename onto
    the name is atomic: readers see the old frame or the new one, whole, and the last rename wins
    with no file left behind (the replaced one goes with the rename, once its readers close it).
    It needs the file-system storage ``settings.STORAGES`` fixes as the default (a local path).
    """
    path = latest_frame_path(camera_id)
    target = Path(default_storage.path(path))
    target.parent.mkdir(mode=default_storage.directory_permissions_mode or 0o777, parents=True, exist_ok=True)
    descriptor, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{camera_id}-", suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(frame.jpeg)
        os.chmod(partial, default_storage.file_permissions_mode or 0o644)  # mkstemp makes it 0600
        os.replace(partial, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial)
        raise
    return path


def latest_frame_due(camera_id: int) -> bool:
    """Whether the camera's latest frame should be written now: at most once per ``LATEST_FRAME_SECONDS``.

    At city scale every capture rewriting its camera's file is hundreds of writes a second for thumbnails
    that nobody may be looking at; a Redis key with that lifetime lets one writer through per period
    (across workers). Without Redis the frame is written: a thumbnail is never left older than it must.
    """
    seconds = settings.LATEST_FRAME_SECONDS
    if seconds <= 0:
        return True
    try:
        return bool(redis_client().set(f"vigil:latest-frame:{camera_id}", 1, nx=True, ex=seconds))
    except redis.RedisError:
        return True


def latest_frame_delete(camera_id: int) -> None:
    """Remove the camera's latest frame (the camera is gone)."""
    default_storage.delete(latest_frame_path(camera_id))


# The picture a camera last sent (a digest of its JPEG) and since when: a camera that sends the same bytes for
# minutes is frozen (a stuck encoder or snapshot server, a looped still), however "online" it looks.
_SEEN = """
local old = redis.call('HMGET', KEYS[1], 'digest', 'since', 'frozen')
if old[1] == ARGV[1] then
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  return {tostring(tonumber(ARGV[2]) - tonumber(old[2])), old[3] or '0'}
end
redis.call('HSET', KEYS[1], 'digest', ARGV[1], 'since', ARGV[2], 'frozen', '0')
redis.call('EXPIRE', KEYS[1], ARGV[3])
return {'0', old[3] or '0'}
"""
_SEEN_TTL_SECONDS = 86_400


def _seen_key(camera_id: int) -> str:
    return f"vigil:picture:{camera_id}"


def picture_unchanged(camera_id: int, frame: Frame) -> tuple[float, bool]:
    """For how many seconds this camera has sent these very bytes, and whether it was marked frozen before
    this frame (a new picture clears the mark). A live sensor's noise makes every real frame's JPEG differ, so
    equal bytes are a picture that does not move. (0, False) without Redis: no verdict rather than a wrong one.
    """
    digest = hashlib.blake2b(frame.jpeg, digest_size=16).hexdigest()
    try:
        client = redis_client()
        unchanged, frozen = client.register_script(_SEEN)(
            keys=[_seen_key(camera_id)], args=[digest, frame.captured_at.timestamp(), _SEEN_TTL_SECONDS]
        )
    except redis.RedisError:
        return 0.0, False
    return float(unchanged), frozen in (b"1", "1")


def picture_frozen_mark(camera_id: int) -> None:
    with contextlib.suppress(redis.RedisError):
        redis_client().hset(_seen_key(camera_id), "frozen", "1")
