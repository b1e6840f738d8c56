"""Writes of the recordings: index a finished segment, cut an event's clip, and keep the store bounded."""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import simplejpeg
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from cameras.models import Camera, Still
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


def stills_between(camera_id: int, start: datetime, end: datetime):
    return Still.objects.filter(camera_id=camera_id, captured_at__gte=start, captured_at__lte=end).order_by(
        "captured_at", "id"
    )


def event_clip_cut(*, event: Event) -> Clip | None:
    """The event's clip: its window's segments joined, or for a snapshot camera a timelapse of the frames it
    kept then (``_timelapse_encode``). None when neither covers the window (the camera was not recording then)."""
    start, end = clip_window(event)
    segments = list(segments_between(event.camera_id, start, end))
    stills = [] if segments else list(stills_between(event.camera_id, start, end))
    # A frame whose file is gone (deleted by hand) is left out rather than failing the whole clip at every try.
    stills = [still for still in stills if default_storage.exists(still.file.name)]
    if not segments and not stills:
        # A clip cut earlier stays (what it was cut from may be gone since: it is the evidence left), marked as
        # tried up to now; else remembered as tried (an empty clip). Not looked for again unless the event goes on.
        if Clip.objects.filter(event=event).exclude(file="").update(event_last_seen=event.last_seen):
            return None
        tried = {"file": "", "started_at": start, "ended_at": start, "size": 0, "event_last_seen": event.last_seen}
        Clip.objects.update_or_create(event=event, defaults=tried)
        return None
    with tempfile.TemporaryDirectory(prefix="vigil-clip-") as work:
        output = Path(work) / "clip.mp4"
        if segments:
            _segments_join(segments, Path(work), output, event=event)
            started_at, ended_at = segments[0].started_at, segments[-1].ended_at
        else:
            # An event that goes on is cut so far: its last frame shows until now, not into the future.
            last = min(end, timezone.now())
            started_at, ended_at = _timelapse_encode(stills, Path(work), output, end=last, event=event)
        with transaction.atomic():
            clip = Clip.objects.select_for_update().filter(event=event).first() or Clip(event=event)
            old = clip.file.name if clip.pk else None
            clip.started_at, clip.ended_at = started_at, ended_at
            clip.size, clip.event_last_seen = output.stat().st_size, event.last_seen
            with output.open("rb") as data:
                clip.file.save(f"camera-{event.camera_id}/event-{event.pk}.mp4", File(data), save=False)
            clip.save()
            if old and old != clip.file.name:
                transaction.on_commit(lambda: default_storage.delete(old))
    return clip


def _ffmpeg(arguments: list[str], *, event: Event, output: Path) -> None:
    command = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", *arguments, str(output)]
    done = subprocess.run(command, capture_output=True, timeout=300, check=False)
    if done.returncode != 0 or not output.exists():
        raise RuntimeError(f"ffmpeg could not make the clip of event #{event.pk}: {done.stderr[-500:]!r}")


def _segments_join(segments: list[Segment], work: Path, output: Path, *, event: Event) -> None:
    """Join the segments into one MP4 (``-c copy``: no re-encoding; the ends fall on the segments' keyframes,
    so a clip may start and end up to one segment wider)."""
    listing = work / "segments.txt"
    listing.write_text("".join(f"file '{default_storage.path(s.file.name)}'\n" for s in segments))
    _ffmpeg(["-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy", "-movflags", "+faststart"],
            event=event, output=output)  # fmt: skip


# In a timelapse a frame is shown until the next one was taken, but never longer than this: a camera that
# dropped for minutes, or one that takes a picture a minute, shows that frame for 15 s, not a frozen minute.
# Longer than the default 10 s interval and its jitter, so a default camera's clip runs in real time.
STILL_SHOWN_MAX_SECONDS = 15.0


def _timelapse_encode(
    stills: list[Still], work: Path, output: Path, *, end: datetime, event: Event
) -> tuple[datetime, datetime]:
    """Encode the stills as an H.264 MP4 (libx264, yuv420p, ``+faststart``: every browser plays it) in real
    time: each frame shows until the next was taken (at most ``STILL_SHOWN_MAX_SECONDS``), the last until the
    window's end, so the clip's clock is the camera's. Frames of another size (the camera's resolution changed)
    are scaled into the first frame's size and padded. The one place Vigil re-encodes: the source is JPEGs.
    Returns the moments the clip starts and ends (a gap longer than the cap makes the video that much shorter
    than those moments are apart)."""
    width, height = _jpeg_size(stills[0])
    width, height = max(2, width - width % 2), max(2, height - height % 2)  # yuv420p wants even sides
    lines = ["ffconcat version 1.0"]
    for still, following in zip(stills, [*(s.captured_at for s in stills[1:]), end], strict=True):
        # The last frame shows at least 1/25 s (one frame of ffmpeg's image clock): a one-frame clip still plays.
        seconds = min(max((following - still.captured_at).total_seconds(), 0.04), STILL_SHOWN_MAX_SECONDS)
        lines += [f"file '{default_storage.path(still.file.name)}'", f"duration {seconds:.3f}"]
    lines.append(lines[-2])  # ffmpeg's concat honours the last duration only when a file follows it
    listing = work / "stills.txt"
    listing.write_text("\n".join(lines) + "\n")
    fit = (f"scale={width}:{height}:force_original_aspect_ratio=decrease,"
           f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,setsar=1,format=yuv420p")  # fmt: skip
    _ffmpeg(["-f", "concat", "-safe", "0", "-i", str(listing), "-vf", fit, "-fps_mode", "vfr", "-c:v", "libx264",
             "-preset", "veryfast", "-g", "25", "-pix_fmt", "yuv420p", "-movflags", "+faststart"],
            event=event, output=output)  # fmt: skip
    return stills[0].captured_at, stills[-1].captured_at + timedelta(seconds=seconds)


def _jpeg_size(still: Still) -> tuple[int, int]:
    """The still's width and height, from its JPEG header (no decoding)."""
    with default_storage.open(still.file.name, "rb") as data:
        height, width, _, _ = simplejpeg.decode_jpeg_header(data.read())
    return width, height


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


def _protected(now: datetime) -> tuple[Q, Q]:
    """Segments and stills a clip still needs: in the window of an event whose clip is not (fully) cut yet."""
    segments, stills = Q(pk__in=[]), Q(pk__in=[])
    for event in _clips_wanted(now).only("pk", "camera_id", "first_seen", "last_seen"):
        start, end = clip_window(event)
        segments |= Q(camera_id=event.camera_id, ended_at__gt=start, started_at__lt=end)
        stills |= Q(camera_id=event.camera_id, captured_at__gte=start, captured_at__lte=end)
    return segments, stills


def recordings_prune(*, now: datetime | None = None) -> int:
    """Delete what no one needs any more, oldest first; returns how many segments and stills went.

    Continuous cameras keep their days; around-events cameras keep the last two minutes (the next event's
    pre-roll); cameras switched off keep what they recorded for their days. Snapshot cameras' stills follow
    the same rules as segments. Past ``VIGIL_RECORDING_MAX_GB`` (segments and stills together), or with less
    than ``VIGIL_RECORDING_MIN_FREE_GB`` free on the media disk, the oldest of any camera go. Never one an
    event's clip is still waiting for (clips are files of their own once cut, so they outlive what they were
    made of), except when the disk's floor cannot be held otherwise.
    """
    now = now or timezone.now()
    keep_segments, keep_stills = _protected(now)
    segments_expired, stills_expired = Q(pk__in=[]), Q(pk__in=[])
    for camera_id, mode, days in Camera.objects.values_list("pk", "recording", "recording_retention_days"):
        kept = timedelta(seconds=EVENTS_BUFFER_SECONDS) if mode == Camera.Recording.EVENTS else timedelta(days=days)
        segments_expired |= Q(camera_id=camera_id, ended_at__lt=now - kept)
        stills_expired |= Q(camera_id=camera_id, captured_at__lt=now - kept)
    segments = Segment.objects.exclude(keep_segments)
    stills = Still.objects.exclude(keep_stills)
    gone = _rows_delete(segments.filter(segments_expired)) + _rows_delete(stills.filter(stills_expired))
    cap = int(settings.RECORDING_MAX_GB * 1024**3)
    total = (Segment.objects.aggregate(total=Sum("size"))["total"] or 0) + (
        Still.objects.aggregate(total=Sum("size"))["total"] or 0
    )
    gone += _oldest_delete(segments, stills, total - cap, why="the recordings store is over its cap")[0]
    # The disk may fill before the cap (a smaller disk, other files on it): its free space is a floor too, and
    # a hard one. Should everything left wait for a clip (an event that goes on protects all it has seen, and
    # a full disk has no room to cut its clip), the oldest of that goes too: a clip that misses its beginning,
    # rather than a recorder, snapshots and clips that all stop.
    # Pruning runs once a minute: the floor holds at least two minutes of what the recorders write, or a
    # city's cameras fill a small floor between two runs.
    minute = now - timedelta(minutes=1)
    written = (Segment.objects.filter(ended_at__gt=minute).aggregate(total=Sum("size"))["total"] or 0) + (
        Still.objects.filter(captured_at__gt=minute).aggregate(total=Sum("size"))["total"] or 0
    )
    short = max(int(settings.RECORDING_MIN_FREE_GB * 1024**3), 2 * written) - media_free_bytes()
    freed, short = _oldest_delete(segments, stills, short, why="the media disk is short of free space")
    gone += freed
    if short > 0:
        logger.warning("the media disk is still short of free space: deleting what clips wait for, oldest first")
        gone += _oldest_delete(Segment.objects.all(), Still.objects.all(), short, why="the media disk is full")[0]
    return gone


def media_free_bytes() -> int:
    """Free bytes on the disk of the media storage (recordings, clips, snapshots, latest frames)."""
    try:
        return shutil.disk_usage(settings.MEDIA_ROOT).free
    except FileNotFoundError:  # no media folder yet: nothing of Vigil's fills a disk
        return 2**62


def _oldest_delete(segments, stills, wanted: int, *, why: str) -> tuple[int, int]:
    """Delete the oldest of ``segments`` and ``stills`` (any camera) until ``wanted`` bytes are freed; returns
    how many went and the bytes still wanted."""
    gone = 0
    while wanted > 0:
        batch = _oldest(segments, stills)
        if not batch:
            logger.warning("%s, but everything left in it is waiting for a clip", why)
            break
        doomed: dict[type, list[int]] = {Segment: [], Still: []}
        freed = 0
        for _, row in batch:
            doomed[type(row)].append(row.pk)
            freed += max(row.size, 1)  # a row of 0 bytes still counts, or a loop of them never ends
            if freed >= wanted:
                break
        gone += _rows_delete(Segment.objects.filter(pk__in=doomed[Segment]))
        gone += _rows_delete(Still.objects.filter(pk__in=doomed[Still]))
        wanted -= freed
    return gone, wanted


_BATCH = 200


def _oldest(segments, stills) -> list[tuple[datetime, Segment | Still]]:
    """The oldest segments and stills as one list by time: a batch of each, merged, cut where one of the batches
    ends (past that, older rows of the other kind may not have been read yet)."""
    older = list(segments.only("pk", "started_at", "size").order_by("started_at", "pk")[:_BATCH])
    also = list(stills.only("pk", "captured_at", "size").order_by("captured_at", "pk")[:_BATCH])
    rows = sorted([(s.started_at, s) for s in older] + [(s.captured_at, s) for s in also], key=lambda r: r[0])
    ends = [*([older[-1].started_at] if len(older) == _BATCH else []),
            *([also[-1].captured_at] if len(also) == _BATCH else [])]  # fmt: skip
    until = min(ends, default=None)
    return [row for row in rows if until is None or row[0] <= until]


def _rows_delete(rows) -> int:
    """Rows first, files after the commit: a file never lies behind a row that points at it."""
    listed = list(rows.values_list("pk", "file"))
    if not listed:
        return 0
    with transaction.atomic():
        rows.model.objects.filter(pk__in=[pk for pk, _ in listed]).delete()
        transaction.on_commit(lambda: [default_storage.delete(name) for _, name in listed])
    return len(listed)
