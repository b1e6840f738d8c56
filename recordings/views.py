"""The event page's video and evidence: the clip for users who may view events, the signed export for operators."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from events.models import Event
from recordings.evidence import event_evidence_export, evidence_zip_response
from recordings.models import Clip
from recordings.serving import clip_response


@permission_required("events.view_event", raise_exception=True)
def event_clip(request: HttpRequest, pk: int) -> HttpResponse:
    """The MP4, with byte ranges answered (a browser's player seeks by asking for ranges)."""
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
