"""Writes about cameras."""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import os
import secrets
import socket
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import redis
from celery import current_app
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from cameras import frame_store, readers
from cameras.frames import Frame, InvalidImage, decode_image
from cameras.handoff import frame_submit
from cameras.models import Camera, Still
from cameras.signals import camera_picture_frozen, camera_status_changed
from core import redact
from core.bounds import COUNTER_MAX
from core.redis import redis_client

logger = logging.getLogger(__name__)

# (name, district, metres north, metres east, heading) of demo cameras around the city centre.
_DEMO_PLACES = [
    ("Central Station Concourse", "Centre", 420, 180, 200),
    ("Market Street", "Centre", -150, 260, 90),
    ("City Hall Offices", "Centre", -380, -240, 320),
    ("Harbour Bus Stop", "Harbour", 650, -520, 45),
    ("Old Town Square", "Old Town", -620, 480, 135),
]
_DEMO_CLIPS = ["concourse.mp4", "street.mp4", "office.mp4"]
# The concourse is analysed as a stream (tracked, its counting line counts people crossing); the others
# as snapshot cameras every 10 s, so that a 2-core machine keeps up with all of them.
_DEMO_STREAMS = {"concourse.mp4"}
_DEMO_PHOTOS = ["bus.jpg", "zidane.jpg"]
_METRES_PER_DEGREE = 111_320


def _demo_sources() -> list[Path]:
    """Looping clips from ``VIGIL_DEMO_MEDIA`` when set, else the photos shipped in ultralytics."""
    if settings.DEMO_MEDIA is not None:
        clips = [settings.DEMO_MEDIA / name for name in _DEMO_CLIPS if (settings.DEMO_MEDIA / name).is_file()]
        if clips:
            return clips
    if settings.ULTRALYTICS_ASSETS is None:
        return []
    return [
        settings.ULTRALYTICS_ASSETS / name for name in _DEMO_PHOTOS if (settings.ULTRALYTICS_ASSETS / name).is_file()
    ]


def _in_installation_language(text: str, **params) -> str:
    # Demo cameras are then the installation's own, like any camera: written once, in its language.
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(text) % params


@transaction.atomic
def camera_demo_seed() -> list[Camera]:
    """Create demo cameras around ``VIGIL_DEMO_CENTER`` once; return those created now."""
    if Camera.objects.exists():
        return []

    lat0, lon0 = settings.DEMO_CENTER
    created = []
    for (name, district, north, east, heading), source in zip(_DEMO_PLACES, _demo_sources(), strict=False):
        lat = lat0 + north / _METRES_PER_DEGREE
        lon = lon0 + east / (_METRES_PER_DEGREE * math.cos(math.radians(lat0)))
        camera = Camera(
            name=name,
            district=district,
            latitude=Decimal(f"{lat:.6f}"),
            longitude=Decimal(f"{lon:.6f}"),
            heading=heading,
            description=_in_installation_language(gettext_noop("Demo camera looping %(clip)s."), clip=source.name),
            source_url=source.as_uri(),
            capture_interval=10,
            capture_mode=Camera.CaptureMode.STREAM if source.name in _DEMO_STREAMS else Camera.CaptureMode.INTERVAL,
            tags=["demo"],
        )
        # Each demo event gets its clip: the video's, or a timelapse of the photo's kept frames.
        camera.recording = Camera.Recording.EVENTS
        camera.full_clean()
        camera.save()
        created.append(camera)
    return created


# --- Capture ---------------------------------------------------------------------------------

MAX_BACKOFF_SECONDS = 300
CAPTURE_TASK = "cameras.tasks.capture_camera"


def capture_timeout(camera: Camera) -> float:
    """``VIGIL_CAPTURE_TIMEOUT``, but at most half the interval (2 s at least).

    A capture that hung until the next tick would make that tick find the camera still locked,
    so a hanging camera would be tried only every other interval and reported late.
    """
    return min(settings.CAPTURE_TIMEOUT_SECONDS, max(2.0, camera.capture_interval / 2))


def _grab(camera: Camera) -> Frame:
    return readers.grab_frame(
        camera.connection_url,
        timeout=capture_timeout(camera),
        rtsp_transport=camera.rtsp_transport,
        shown_url=camera.masked_source_url,
    )


def camera_capture(*, camera_id: int, force: bool = False) -> Frame | None:
    """Capture one frame of a camera, unless another worker has it or it is not due.

    ``force`` (the admin's "capture now") ignores the spacing and back-off, never the lock.
    """
    camera = Camera.objects.filter(pk=camera_id, enabled=True).first()
    if camera is None:
        return None
    now = timezone.now()
    claim = Camera.objects.filter(pk=camera_id, enabled=True).filter(
        Q(capture_lock_until__isnull=True) | Q(capture_lock_until__lt=now)
    )
    if not force:
        claim = claim.filter(Q(next_capture_at__isnull=True) | Q(next_capture_at__lte=now))
    # The conditional update is the lock: exactly one worker sees a row count of 1. It also
    # spaces captures by half an interval, so a duplicate task for the same tick finds the
    # camera not due even after this capture has finished.
    claimed = claim.update(
        capture_lock_until=now + timedelta(seconds=settings.CAPTURE_TIMEOUT_SECONDS + 30),
        next_capture_at=now + timedelta(seconds=camera.capture_interval / 2),
    )
    if claimed != 1:
        return None
    started = time.monotonic()
    try:
        frame = _grab(camera)
    except readers.CaptureError as exc:
        logger.info("capture of %s failed: %s", camera.masked_source_url, exc)
        camera_record_failure(camera=camera, error=str(exc), started_at=now)
        return None
    else:
        latency_ms = int((time.monotonic() - started) * 1000)
        camera_frame_accept(camera=camera, frame=frame, latency_ms=latency_ms)
        return frame
    finally:
        Camera.objects.filter(pk=camera_id).update(capture_lock_until=None)


FROZEN_ERROR = (
    "The picture has not changed for %(seconds)s s: the camera or its encoder may be frozen, "
    "or a still image is in front of it."
)


@transaction.atomic
def camera_frame_accept(*, camera: Camera, frame: Frame, latency_ms: int | None, submit: bool = True) -> None:
    """A frame arrived (captured, pushed or read from a stream): the camera is healthy and the frame moves on.

    ``submit=False``: the caller analyses the frame itself (stream workers track in process).
    """
    previous = camera.status
    unchanged, was_frozen = frame_store.picture_unchanged(camera.pk, frame)
    frozen = 0 < settings.CAMERA_FROZEN_SECONDS <= unchanged
    camera.status = Camera.Status.DEGRADED if frozen else Camera.Status.ONLINE
    camera.last_frame_at = frame.captured_at
    camera.last_error = FROZEN_ERROR % {"seconds": int(unchanged)} if frozen else ""
    camera.consecutive_failures = 0
    camera.last_latency_ms = latency_ms
    camera.frame_width, camera.frame_height = frame.width, frame.height
    camera.save(update_fields=_HEALTH_FIELDS)
    if frozen != was_frozen:
        if frozen:
            transaction.on_commit(lambda: frame_store.picture_frozen_mark(camera.pk))
        camera_picture_frozen.send(sender=Camera, camera=camera, frozen=frozen)
    if frame_store.latest_frame_due(camera.pk):
        try:
            frame_store.latest_frame_save(camera.pk, frame)
        except OSError as exc:  # a full disk costs the thumbnail, never the frame's detection
            _storage_warn(f"latest frame of camera #{camera.pk} not written: {exc}")
    if camera.detect and submit and not frozen:  # a picture that does not move is no news (nor evidence)
        transaction.on_commit(lambda: frame_submit(camera_id=camera.pk, frame=frame))
    if camera.keeps_stills:
        # After the commit, file first and row second: a rolled-back capture keeps nothing, and no row ever
        # points at a file that was not written. After the detection hand-off, which it must never hold up.
        transaction.on_commit(lambda: camera_still_keep(camera_id=camera.pk, frame=frame), robust=True)
    if previous != camera.status:
        camera_status_changed.send(sender=Camera, camera=camera, previous=previous)


def stills_folder(camera_id: int) -> Path:
    """Where a camera's kept frames are written (the media storage's ``stills/camera-<id>/``), by the camera's
    id as its latest frame is: a new camera never inherits a deleted one's pictures."""
    return Path(settings.MEDIA_ROOT) / "stills" / f"camera-{camera_id}"


def camera_still_keep(*, camera_id: int, frame: Frame) -> Still | None:
    """Keep the frame's JPEG as it came (never re-encoded; a frame that came as pixels is encoded once, and
    the detection hand-off shares that encoding) and index it; None when the disk refused it.

    A full or read-only disk loses the still, never the frame: it is logged and the capture goes on.
    """
    at = frame.captured_at.astimezone(UTC)
    folder = stills_folder(camera_id) / f"{at:%Y-%m-%d}"  # a day a folder: a 1 s camera writes 86,400 a day
    path = folder / f"{at:%H%M%S.%f}-{secrets.token_hex(4)}.jpg"  # a burst and a push may share a moment
    data = frame.jpeg
    created = False
    try:
        folder.mkdir(mode=default_storage.directory_permissions_mode or 0o777, parents=True, exist_ok=True)
        with path.open("xb") as out:
            created = True
            out.write(data)
    except OSError as exc:
        if created:
            path.unlink(missing_ok=True)  # half a JPEG (the disk filled up while writing) is no still
        _storage_warn(f"frame of camera {camera_id} not kept as a still: {exc}")
        return None
    name = path.relative_to(Path(settings.MEDIA_ROOT)).as_posix()
    try:
        return Still.objects.create(camera_id=camera_id, captured_at=frame.captured_at, file=name, size=len(data))
    except Exception:
        path.unlink(missing_ok=True)  # the camera was deleted meanwhile, or the database is away: no orphan file
        raise


_storage_warned_at = 0.0
STORAGE_WARN_SECONDS = 60


def storage_warnings_forget() -> None:
    """Say the next storage failure again at once (tests: each expects to see its own)."""
    global _storage_warned_at
    _storage_warned_at = 0.0


def _storage_warn(message: str) -> None:
    """Say a storage failure at most once a minute per process: at city scale a full disk fails hundreds of
    writes a second, and a log that fills with them is one more thing on the full disk."""
    global _storage_warned_at
    if time.monotonic() - _storage_warned_at >= STORAGE_WARN_SECONDS:
        _storage_warned_at = time.monotonic()
        logger.warning("%s (said at most once a minute)", message)


@transaction.atomic
def camera_record_failure(*, camera: Camera, error: str, started_at: datetime) -> None:
    """Count a failed capture: degraded at once, offline after N in a row, then a capped back-off.

    Until it is offline the camera is tried at every tick, so a dead camera is reported within
    N intervals; only then do the tries thin out (interval x 2^k, at most 5 minutes).
    """
    previous = camera.status
    camera.consecutive_failures = min(camera.consecutive_failures + 1, COUNTER_MAX)
    camera.last_error = redact.mask_text(error)[:500]  # shown to Viewers, on the map, in the offline event
    beyond = camera.consecutive_failures - settings.CAMERA_OFFLINE_AFTER_FAILURES
    offline = beyond >= 0
    camera.status = Camera.Status.OFFLINE if offline else Camera.Status.DEGRADED
    # The exponent is capped too: 2**beyond after months offline would be a number of millions of digits.
    backoff = min(camera.capture_interval * 2 ** min(beyond, 16), MAX_BACKOFF_SECONDS) if offline else 0
    camera.next_capture_at = started_at + timedelta(seconds=max(backoff, camera.capture_interval / 2))
    camera.save(update_fields=[*_HEALTH_FIELDS, "next_capture_at"])
    if camera.status != previous:
        camera_status_changed.send(sender=Camera, camera=camera, previous=previous)


_HEALTH_FIELDS = [
    "status", "last_frame_at", "last_error", "consecutive_failures",
    "last_latency_ms", "frame_width", "frame_height", "updated_at",
]  # fmt: skip


def camera_test_connection(*, camera: Camera) -> tuple[bool, str]:
    """Grab one frame now without touching the camera's health; returns (ok, message)."""
    started = time.monotonic()
    try:
        frame = _grab(camera)
    except readers.CaptureError as exc:
        return False, str(exc)
    took = int((time.monotonic() - started) * 1000)
    return True, gettext("%(width)sx%(height)s frame in %(ms)s ms") % {
        "width": frame.width,
        "height": frame.height,
        "ms": took,
    }


def camera_capture_request(*, camera_ids: list[int]) -> int:
    """Queue a capture of each camera now (the admin's *Capture now*); returns how many were queued.

    The broker calls are bounded (pool wait, connect and publish retries: see the ``CELERY_*``
    settings), so with the broker away the operator gets an answer in seconds, not a hung page.
    """
    queued = 0
    for camera_id in camera_ids:
        try:
            current_app.send_task(CAPTURE_TASK, (camera_id,), {"force": True})
        except Exception as exc:  # kombu raises transport-specific errors
            logger.warning("capture of camera %s not queued: %s", camera_id, exc)
            break  # the broker is away for the others too
        queued += 1
    return queued


# --- Schedules -------------------------------------------------------------------------------


def camera_schedule_sync(*, camera: Camera) -> None:
    """Put the camera in the dispatcher's schedule, or take it out: edits apply at the next tick, no restart.

    A camera newly wanted is due at a random point within its first interval (at most a minute), so a
    thousand cameras added at once spread over the interval instead of all capturing in the same second.
    A save that leaves it scheduled within its interval keeps its place (its cadence); a shorter
    interval than its next capture is away reschedules it.
    """
    row = Camera.objects.filter(pk=camera.pk)
    if not (camera.enabled and camera.capture_mode == Camera.CaptureMode.INTERVAL):
        row.update(capture_due_at=None)
        return
    now = timezone.now()
    spread = min(camera.capture_interval, 60)
    unplaced = Q(capture_due_at__isnull=True) | Q(capture_due_at__gt=now + timedelta(seconds=camera.capture_interval))
    row.filter(unplaced).update(capture_due_at=now + timedelta(seconds=secrets.SystemRandom().uniform(0, spread)))


DISPATCH_LOCK_KEY = "vigil:captures:dispatching"
DISPATCH_LOCK_MS = 30_000
# This process's name on the lock. A SET sent into a stalled Redis may still be carried out when it wakes,
# after the client gave up on it: the lock is then this process's own, and taking it back must not wait out
# its 30 s (every capture of the city would wait with it).
_DISPATCHER = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def _dispatch_lock_take(client) -> bool:
    if client.set(DISPATCH_LOCK_KEY, _DISPATCHER, nx=True, px=DISPATCH_LOCK_MS):
        return True
    held = client.get(DISPATCH_LOCK_KEY)
    return (held.decode() if isinstance(held, bytes) else held) == _DISPATCHER


def captures_dispatch_due(*, now: datetime | None = None, limit: int | None = None) -> int:
    """Queue a capture of every interval camera that is due; returns how many were queued.

    Beat calls it every second (system.scheduler). One query finds the due cameras through a partial
    index, one conditional update per interval in use advances them, whatever their number: what one
    django-celery-beat entry per camera could not do at a thousand cameras. A camera in back-off after
    failures (``next_capture_at`` ahead) stays due and goes when its back-off ends. The advance keeps the
    cadence (due + interval); a camera that fell more than an interval behind (beat or the broker was
    away) skips the captures it missed, never made up in a burst, and keeps its place in the interval, so
    the cameras that were spread over it stay spread instead of all going at the same second ever after.
    """
    now = now or timezone.now()
    limit = limit or settings.CAPTURE_DISPATCH_MAX
    client = redis_client()
    # One dispatcher at a time (a second beat by mistake, a slow tick overlapping the next).
    if not _dispatch_lock_take(client):
        return 0
    try:
        due = list(
            Camera.objects.filter(enabled=True, capture_mode=Camera.CaptureMode.INTERVAL, capture_due_at__lte=now)
            .filter(Q(next_capture_at__isnull=True) | Q(next_capture_at__lte=now))
            .order_by("capture_due_at")
            .values_list("pk", "capture_interval", "capture_due_at")[:limit]
        )
        sent: dict[int, list[int]] = {}
        behind: list[Camera] = []
        with current_app.producer_or_acquire() as producer:
            for camera_id, interval, due_at in due:
                try:
                    # A capture not started within one interval is dropped: the next one is fresher.
                    current_app.send_task(CAPTURE_TASK, kwargs={"camera_id": camera_id}, queue="capture",
                                          expires=interval, producer=producer)  # fmt: skip
                except Exception as exc:  # kombu raises transport-specific errors
                    logger.warning("captures not queued: %s", exc)
                    break  # the broker is away for the others too; they stay due
                step = timedelta(seconds=interval)
                if due_at > now - step:
                    sent.setdefault(interval, []).append(camera_id)
                else:  # rare (after an outage), so one row each: the next slot of its own phase after now
                    missed = (now - due_at) // step
                    behind.append(Camera(pk=camera_id, capture_due_at=due_at + (missed + 1) * step))
        for interval, ids in sent.items():
            step = timedelta(seconds=interval)
            Camera.objects.filter(pk__in=ids, capture_due_at__lte=now).update(capture_due_at=F("capture_due_at") + step)
        Camera.objects.bulk_update(behind, ["capture_due_at"], batch_size=500)
        return sum(len(ids) for ids in sent.values()) + len(behind)
    finally:
        try:
            client.register_script(_RELEASE)(keys=[DISPATCH_LOCK_KEY], args=[_DISPATCHER])
        except redis.RedisError as exc:  # it lapses by itself; the next tick takes it back (it is ours)
            logger.warning("capture dispatch lock not released: %s", exc)


# --- Push ingestion --------------------------------------------------------------------------


def camera_push_token_rotate(*, camera: Camera) -> str:
    """Issue a new push token for an edge device (the old one stops working); shown once."""
    token = secrets.token_urlsafe(32)
    camera.push_token_hash = hash_token(token)
    camera.save(update_fields=["push_token_hash", "updated_at"])
    return token


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def camera_push_token_valid(*, camera: Camera, token: str) -> bool:
    """Whether ``token`` is the camera's current push token (compared in constant time)."""
    return bool(camera.push_token_hash) and hmac.compare_digest(hash_token(token), camera.push_token_hash)


class PushRefused(Exception):
    """A pushed frame was refused; ``status`` is the HTTP status to answer."""

    def __init__(self, status: int, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.retry_after = status, message, retry_after


def camera_push_frame(*, camera: Camera, data: bytes) -> Frame:
    """Accept a frame pushed by an edge device into the same pipeline as captured ones."""
    if not camera.enabled or camera.capture_mode != Camera.CaptureMode.PUSH:
        raise PushRefused(409, "This camera is disabled or not in push mode.")
    if len(data) > settings.FRAME_UPLOAD_MAX_BYTES:
        raise PushRefused(413, f"The frame is larger than {settings.FRAME_UPLOAD_MAX_BYTES} bytes.")
    try:
        frame = decode_image(data)
    except InvalidImage as exc:
        raise PushRefused(400, f"Not a usable image: {exc}.") from None
    # At most one frame per capture interval; SET NX with an expiry is the limiter.
    key = f"vigil:push:{camera.pk}"
    try:
        first = redis_client().set(key, 1, nx=True, px=int(camera.capture_interval * 1000))
        retry = None if first else max(redis_client().pttl(key), 0) / 1000
    except redis.RedisError:
        # Without Redis the frame could not reach detection: the device waits and sends a fresh one.
        raise PushRefused(503, "Vigil's frame queue is unavailable; try again shortly.", retry_after=5) from None
    if retry is not None:
        raise PushRefused(429, f"At most one frame every {camera.capture_interval} s.", retry_after=retry)
    camera_frame_accept(camera=camera, frame=frame, latency_ms=None)
    return frame
