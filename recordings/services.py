"""Writes of the recordings: index a finished segment, cut an event's clip, and keep the store bounded."""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from cameras.models import Camera
from events.models import Event
from recordings.models import Clip, Segment

logger = logging.getLogger(__name__)

# Around-events cameras keep this much of their recent video whatever happens: the next event's pre-roll.
EVENTS_BUFFER_SECONDS = 120


def segments_folder(camera_id: int) -> Path:
    """Where a camera's segments are written (the media storage's folder; created here)."""
    folder = Path(settings.MEDIA_ROOT) / "recordings" / f"camera-{camera_id}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def segment_record(*, camera_id: int, path: Path, started_at: datetime, ended_at: datetime) -> Segment | None:
    """Index a segment ffmpeg has finished; None when its file is not there (nothing to play)."""
    try:
        size = path.stat().st_size
    except OSError:
        logger.warning("segment %s of camera #%s is listed but not on disk", path.name, camera_id)
        return None
    name = path.relative_to(Path(settings.MEDIA_ROOT)).as_posix()
    # One recorder per camera writes its rows, so the newest one's number plus one is not raced.
    last = Segment.objects.filter(camera_id=camera_id).order_by("-started_at", "-id").values_list("sequence").first()
    return Segment.objects.create(camera_id=camera_id, started_at=started_at, ended_at=ended_at, file=name, size=size,
                                  sequence=last[0] + 1 if last else 0)  # fmt: skip


# A clip is at most this long (an event open for hours keeps its first half hour: how it began).
CLIP_MAX_SECONDS = 1800


def clip_window(event: Event) -> tuple[datetime, datetime]:
    """From the pre-roll before the event was first seen to the post-roll after it was last seen."""
    start = event.first_seen - timedelta(seconds=settings.CLIP_PRE_SECONDS)
    end = event.last_seen + timedelta(seconds=settings.CLIP_POST_SECONDS)
    return start, min(end, start + timedelta(seconds=CLIP_MAX_SECONDS))


def segments_between(camera_id: int, start: datetime, end: datetime):
    return Segment.objects.filter(camera_id=camera_id, ended_at__gt=start, started_at__lt=end).order_by("started_at")


def event_clip_cut(*, event: Event) -> Clip | None:
    """Join the segments of the event's window into one MP4 (``-c copy``: no re-encoding; the ends fall on
    the segments' keyframes, so a clip may start and end up to one segment wider). None when no segment
    covers the window (the camera was not recording then)."""
    start, end = clip_window(event)
    segments = list(segments_between(event.camera_id, start, end))
    if not segments:
        # Remembered as tried (an empty clip), so it is not looked for again unless the event goes on.
        tried = {"file": "", "started_at": start, "ended_at": start, "size": 0, "event_last_seen": event.last_seen}
        Clip.objects.update_or_create(event=event, defaults=tried)
        return None
    with tempfile.TemporaryDirectory(prefix="vigil-clip-") as work:
        listing = Path(work) / "segments.txt"
        listing.write_text("".join(f"file '{default_storage.path(s.file.name)}'\n" for s in segments))
        output = Path(work) / "clip.mp4"
        command = [
            "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-f", "concat", "-safe", "0",
            "-i", str(listing), "-c", "copy", "-movflags", "+faststart", str(output),
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, timeout=300, check=False)
        if done.returncode != 0 or not output.exists():
            raise RuntimeError(f"ffmpeg could not join the clip of event #{event.pk}: {done.stderr[-500:]!r}")
        with transaction.atomic():
            clip = Clip.objects.select_for_update().filter(event=event).first() or Clip(event=event)
            old = clip.file.name if clip.pk else None
            clip.started_at, clip.ended_at = segments[0].started_at, segments[-1].ended_at
            clip.size, clip.event_last_seen = output.stat().st_size, event.last_seen
            with output.open("rb") as data:
                clip.file.save(f"camera-{event.camera_id}/event-{event.pk}.mp4", File(data), save=False)
            clip.save()
            if old and old != clip.file.name:
                transaction.on_commit(lambda: default_storage.delete(old))
    return clip


def _clips_wanted(now: datetime):
    """Events of the last day, on cameras that record, whose clip is missing or was cut before the event
    was last seen."""
    return (
        Event.objects.filter(last_seen__gte=now - timedelta(days=1))
        .exclude(camera__recording=Camera.Recording.OFF)
        .filter(Q(clip__isnull=True) | Q(clip__event_last_seen__lt=F("last_seen")))
    )


# An event that goes on (people always in view of a stream camera) gets its clip so far this often, so
# the operator need not wait for it to end.
CLIP_RECUT_SECONDS = 60


def clips_due(*, now: datetime | None = None):
    """The wanted clips that are ready: the event has been quiet for its post-roll, or it goes on and its
    clip so far is missing or a minute old (until the clip reaches its longest), oldest first."""
    now = now or timezone.now()
    post = timedelta(seconds=settings.CLIP_POST_SECONDS)
    recut = timedelta(seconds=CLIP_RECUT_SECONDS)
    quiet = Q(last_seen__lte=now - post)
    going_on = (
        Q(first_seen__lte=now - recut)
        & (Q(clip__isnull=True) | Q(clip__created_at__lte=now - recut))
        & ~Q(clip__ended_at__gte=F("first_seen") + timedelta(seconds=CLIP_MAX_SECONDS - settings.CLIP_PRE_SECONDS))
    )
    return _clips_wanted(now).filter(quiet | going_on).order_by("last_seen")


def _protected(now: datetime) -> Q:
    """Segments a clip still needs: in the window of an event whose clip is not (fully) cut yet."""
    protected = Q(pk__in=[])
    for event in _clips_wanted(now).only("pk", "camera_id", "first_seen", "last_seen"):
        start, end = clip_window(event)
        protected |= Q(camera_id=event.camera_id, ended_at__gt=start, started_at__lt=end)
    return protected


def segments_prune(*, now: datetime | None = None) -> int:
    """Delete what no one needs any more, oldest first; returns how many segments went.

    Continuous cameras keep their days; around-events cameras keep the last two minutes (the next event's
    pre-roll); cameras switched off keep what they recorded for their days. Past ``VIGIL_RECORDING_MAX_GB``,
    or with less than ``VIGIL_RECORDING_MIN_FREE_GB`` free on the media disk, the oldest segments of any
    camera go. Never a segment an event's clip is still waiting for (clips are
    files of their own once cut, so they outlive the segments).
    """
    now = now or timezone.now()
    keep = _protected(now)
    expired = Q(pk__in=[])
    for camera_id, mode, days in Camera.objects.values_list("pk", "recording", "recording_retention_days"):
        if mode == Camera.Recording.EVENTS:
            expired |= Q(camera_id=camera_id, ended_at__lt=now - timedelta(seconds=EVENTS_BUFFER_SECONDS))
        else:
            expired |= Q(camera_id=camera_id, ended_at__lt=now - timedelta(days=days))
    gone = _segments_delete(Segment.objects.filter(expired).exclude(keep).order_by("started_at"))
    cap = int(settings.RECORDING_MAX_GB * 1024**3)
    total = Segment.objects.aggregate(total=Sum("size"))["total"] or 0
    gone += _oldest_delete(keep, total - cap, why="the recordings store is over its cap")[0]
    # The disk may fill before the cap (a smaller disk, other files on it): its free space is a floor too, and
    # a hard one. Should every segment left wait for a clip (an event that goes on protects all it has seen,
    # and a full disk has no room to cut its clip), the oldest of those go too: a clip that misses its
    # beginning, rather than a recorder, snapshots and clips that all stop.
    # Pruning runs once a minute: the floor holds at least two minutes of what the recorders write, or a
    # city's cameras fill a small floor between two runs.
    written = Segment.objects.filter(ended_at__gt=now - timedelta(minutes=1)).aggregate(total=Sum("size"))["total"]
    short = max(int(settings.RECORDING_MIN_FREE_GB * 1024**3), 2 * (written or 0)) - media_free_bytes()
    freed, short = _oldest_delete(keep, short, why="the media disk is short of free space")
    gone += freed
    if short > 0:
        logger.warning("the media disk is still short of free space: deleting segments clips wait for, oldest first")
        gone += _oldest_delete(Q(pk__in=[]), short, why="the media disk is short of free space")[0]
    return gone


def media_free_bytes() -> int:
    """Free bytes on the disk of the media storage (recordings, clips, snapshots, latest frames)."""
    try:
        return shutil.disk_usage(settings.MEDIA_ROOT).free
    except FileNotFoundError:  # no media folder yet: nothing of Vigil's fills a disk
        return 2**62


def _oldest_delete(keep: Q, wanted: int, *, why: str) -> tuple[int, int]:
    """Delete the oldest segments of any camera, except ``keep``, until ``wanted`` bytes are freed; returns
    how many went and the bytes still wanted."""
    gone = 0
    while wanted > 0:
        oldest = list(Segment.objects.exclude(keep).order_by("started_at")[:200])
        if not oldest:
            logger.warning("%s, but every segment left is waiting for a clip", why)
            break
        batch, freed = [], 0
        for segment in oldest:
            batch.append(segment)
            freed += max(segment.size, 1)  # a row of 0 bytes still counts, or a loop of them never ends
            if freed >= wanted:
                break
        gone += _segments_delete(Segment.objects.filter(pk__in=[s.pk for s in batch]))
        wanted -= freed
    return gone, wanted


def _segments_delete(segments) -> int:
    """Rows first, files after the commit: a file never lies behind a row that points at it."""
    rows = list(segments.values_list("pk", "file"))
    if not rows:
        return 0
    with transaction.atomic():
        Segment.objects.filter(pk__in=[pk for pk, _ in rows]).delete()
        transaction.on_commit(lambda: [default_storage.delete(name) for _, name in rows])
    return len(rows)
