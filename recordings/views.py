"""The recordings' pages: an event's clip and evidence, a camera's live view and its timeline.

Every video URL wants a session (an anonymous visitor is sent to the login page) and the permission to view
cameras (or events, for an event's clip): a ``<video>`` element sends the session cookie, never a token.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import redis
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required, permission_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from cameras.models import Camera
from core.query_params import BadParameter, QueryDateField, QueryDateTimeField, optional, parse_instant
from detection.recent import STAMP_LEAD_SECONDS, recent_detections_since, recent_hold_seconds
from events.models import Event
from recordings.evidence import event_evidence_export, evidence_zip_response
from recordings.models import Clip, Segment
from recordings.playlists import CONTENT_TYPE, LIVE_WINDOW_SEGMENTS, live_playlist, recording_playlist
from recordings.selectors import (
    camera_events_between,
    camera_latest_segments,
    camera_recorded_spans,
    camera_segments,
    camera_still_spans,
)
from recordings.serving import clip_response

# A click on the timeline plays this much from there (the player asks again for what follows).
PLAYBACK_WINDOW = timedelta(hours=1)


@login_required
@permission_required(["events.view_event", "cameras.view_camera"], raise_exception=True)
def event_clip(request: HttpRequest, pk: int) -> HttpResponse:
    """The MP4, with byte ranges answered (a browser's player seeks by asking for ranges); the camera's video,
    so for users who may view its camera too."""
    clip = get_object_or_404(Clip.objects.exclude(file=""), event_id=pk)
    try:
        return clip_response(clip, request.headers.get("Range", ""))
    except FileNotFoundError:
        raise Http404("The clip's file is gone.") from None


@require_POST
@permission_required(["events.view_event", "events.change_event"], raise_exception=True)
def event_evidence_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The event page's *Export evidence* button: the signed ZIP, written in the event's history."""
    event = get_object_or_404(Event, pk=pk)
    return evidence_zip_response(event_evidence_export(event=event, user=request.user))


def _camera_viewer(view):
    """Log in first (a redirect), then the permission to view cameras (403)."""
    return login_required(permission_required("cameras.view_camera", raise_exception=True)(require_GET(view)))


@_camera_viewer
def camera_live(request: HttpRequest, pk: int) -> HttpResponse:
    """The live view: the player fed by the live playlist (player.js), or why there is nothing to play."""
    camera = get_object_or_404(Camera, pk=pk)
    context = {
        **admin.site.each_context(request),
        "title": _("Live: %(camera)s") % {"camera": camera.name},
        "camera": camera,
        "recording": camera.recording != Camera.Recording.OFF and camera.delivers_video,
        # A snapshot camera has no video to play live, whatever its recording (it keeps frames, not segments).
        "snapshots": not camera.delivers_video,
        "latency_seconds": settings.RECORDING_SEGMENT_SECONDS * 2,
    }
    return render(request, "recordings/live.html", context)


@never_cache
@_camera_viewer
def camera_live_playlist(request: HttpRequest, pk: int) -> HttpResponse:
    """The newest segments as an HLS live playlist; 404 while the recorder has finished none lately (not yet,
    or it stopped: the player asks again)."""
    camera = get_object_or_404(Camera, pk=pk)
    # The next segment is due a segment's length after the last: three lengths and 10 s late, nothing is live.
    stale = timedelta(seconds=3 * settings.RECORDING_SEGMENT_SECONDS + 10)
    segments = camera_latest_segments(camera_id=camera.pk, count=LIVE_WINDOW_SEGMENTS,
                                      ended_since=timezone.now() - stale)  # fmt: skip
    if not segments:
        raise Http404("Nothing recorded lately.")
    body = live_playlist(segments, segment_seconds=settings.RECORDING_SEGMENT_SECONDS)
    return HttpResponse(body, content_type=CONTENT_TYPE)


@never_cache
@_camera_viewer
def camera_live_detections(request: HttpRequest, pk: int) -> HttpResponse:
    """The camera's recent detections captured after ``?since=`` (the live view's overlay asks every second):
    ``entries`` oldest first, each ``t`` (capture time, epoch ms) and ``b`` (boxes); an entry is drawn for the
    video's moments from ``lead_ms`` before its ``t`` to ``hold_ms`` after it."""
    camera = get_object_or_404(Camera, pk=pk)
    try:
        since = optional(parse_instant, "since", request.GET.get("since"))
    except BadParameter as bad:
        return HttpResponseBadRequest(str(bad), content_type="text/plain")
    try:
        entries = recent_detections_since(camera_id=camera.pk, since=since)
    except redis.RedisError:  # the overlay draws nothing and asks again; the video plays on
        return HttpResponse("Recent detections are unavailable (Redis).", status=503, content_type="text/plain")
    hold_ms, lead_ms = round(recent_hold_seconds(camera) * 1000), round(STAMP_LEAD_SECONDS * 1000)
    return JsonResponse({"hold_ms": hold_ms, "lead_ms": lead_ms, "entries": entries})


@_camera_viewer
def camera_segment(request: HttpRequest, pk: int, id: int) -> FileResponse:
    """One indexed segment of this camera, as ffmpeg wrote it; the path is the row's, never the URL's."""
    segment = get_object_or_404(Segment.objects.exclude(file=""), pk=id, camera_id=pk)
    try:
        data = default_storage.open(segment.file.name, "rb")
    except FileNotFoundError:
        raise Http404("The segment's file is gone (retention).") from None
    response = FileResponse(data, content_type="video/mp2t")
    response["Cache-Control"] = "private, max-age=3600"  # a segment never changes once indexed
    return response


class _PlaybackQuery(forms.Form):
    at = QueryDateTimeField()


@never_cache
@_camera_viewer
def camera_recording_playlist(request: HttpRequest, pk: int) -> HttpResponse:
    """The recording from ``?at=`` on (an hour of it) as a finished playlist that starts at that moment."""
    camera = get_object_or_404(Camera, pk=pk)
    query = _PlaybackQuery(request.GET)
    if not query.is_valid():
        return HttpResponseBadRequest(query.errors.as_text(), content_type="text/plain")
    at = query.cleaned_data["at"]
    segments = list(camera_segments(camera_id=camera.pk, since=at, until=at + PLAYBACK_WINDOW).order_by("started_at"))
    if not segments:
        raise Http404("Nothing recorded from then.")
    body = recording_playlist(segments, start_at=at, segment_seconds=settings.RECORDING_SEGMENT_SECONDS)
    return HttpResponse(body, content_type=CONTENT_TYPE)


# The timeline's windows (minutes): a day shows where the recordings are, ten minutes where to click.
TIMELINE_WINDOWS = [1440, 360, 60, 10]
TIMELINE_TICKS = 8


class _TimelineQuery(forms.Form):
    day = QueryDateField(required=False)
    start = forms.TimeField(required=False)
    minutes = forms.TypedChoiceField(choices=[(m, m) for m in TIMELINE_WINDOWS], coerce=int, required=False)


@_camera_viewer
def camera_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """A window of the camera's time on one axis: what it recorded (spans of segments, or of a snapshot camera's
    kept frames) and its events; a click plays from there (a snapshot camera's event plays its timelapse clip).
    ``?day=``, ``start=`` (HH:MM) and ``minutes=`` (a day down to ten minutes) choose the window."""
    camera = get_object_or_404(Camera, pk=pk)
    query = _TimelineQuery(request.GET)
    if not query.is_valid():  # a hand-edited URL is told what is wrong, never shown another day instead
        return HttpResponseBadRequest(query.errors.as_text(), content_type="text/plain")
    asked = query.cleaned_data
    day = asked.get("day") or timezone.localdate()
    minutes = asked.get("minutes") or TIMELINE_WINDOWS[0]
    since = timezone.make_aware(datetime.combine(day, asked.get("start") or time.min))
    until = since + timedelta(minutes=minutes)
    total = (until - since).total_seconds()

    def place(start: datetime, end: datetime) -> dict[str, float]:
        left = max(0.0, (start - since).total_seconds()) / total * 100
        right = min(total, (end - since).total_seconds()) / total * 100
        return {"left": round(left, 3), "width": round(max(right - left, 0.1), 3)}

    def window(at: datetime, length: int) -> str:
        at = timezone.localtime(at)
        return f"?day={at:%Y-%m-%d}&start={at:%H:%M}&minutes={length}"

    spans = camera_recorded_spans(camera_id=camera.pk, since=since, until=until,
                                  gap_seconds=settings.RECORDING_SEGMENT_SECONDS)  # fmt: skip
    # A snapshot camera that records keeps frames, not video: frames two intervals apart are one span.
    stills = camera_still_spans(camera_id=camera.pk, since=since, until=until,
                                gap_seconds=2 * camera.capture_interval)  # fmt: skip
    timelapse = not camera.delivers_video
    events, clipped = [], set()
    if request.user.has_perm("events.view_event"):
        events = camera_events_between(camera_id=camera.pk, since=since, until=until)
    if timelapse and events:
        # Its events play their clips as they are: a timelapse has no segments for the recording's playlist.
        clipped = set(Clip.objects.filter(event__in=events).exclude(file="").values_list("event_id", flat=True))
    closer = next((m for m in TIMELINE_WINDOWS if m < minutes), None)
    ticks = []
    for n in range(TIMELINE_TICKS):
        at = since + timedelta(minutes=minutes * n / TIMELINE_TICKS)
        ticks.append({"at": at, "left": 100 * n / TIMELINE_TICKS, "zoom": closer and window(at, closer)})
    context = {
        **admin.site.each_context(request),
        "title": _("Timeline: %(camera)s") % {"camera": camera.name},
        "camera": camera,
        "day": day,
        "start": timezone.localtime(since),
        "minutes": minutes,
        "windows": TIMELINE_WINDOWS,
        "earlier": window(since - timedelta(minutes=minutes), minutes),
        "later": window(until, minutes),
        "since": since,
        "until": until,
        "spans": [{"start": s, "end": e, **place(s, e)} for s, e in spans],
        # A snapshot camera's events play their clips (timelapses), and a click elsewhere says so.
        "timelapse": timelapse,
        "stills": [{"start": s, "end": e, "count": n, **place(s, e)} for s, e, n in stills],
        "events": [
            {"event": event, "clip": event.pk in clipped, **place(event.first_seen, event.last_seen)}
            for event in events
        ],
        # Each tick zooms in from there (a day's ticks to six hours, ...; ten minutes is the closest).
        "ticks": ticks,
        "pre_seconds": settings.CLIP_PRE_SECONDS,
    }
    return render(request, "recordings/timeline.html", context)
