"""An event's clip for the event page's player: only for users who may view events."""

from __future__ import annotations

import re

from django.contrib.auth.decorators import permission_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from recordings.models import Clip

_RANGE = re.compile(r"bytes=(\d{0,15})-(\d{0,15})")
# A range is answered with this much at most (players ask for "bytes=0-" and take what comes, asking on).
RANGE_CHUNK = 4 * 1024 * 1024


@permission_required("events.view_event", raise_exception=True)
def event_clip(request: HttpRequest, pk: int) -> HttpResponse:
    """The MP4, with byte ranges answered (a browser's player seeks by asking for ranges)."""
    clip = get_object_or_404(Clip.objects.exclude(file=""), event_id=pk)
    try:
        data = clip.file.open("rb")
    except FileNotFoundError:
        raise Http404("The clip's file is gone.") from None
    size = clip.file.size
    wanted = _RANGE.fullmatch(request.headers.get("Range", "").strip())
    if wanted and (wanted[1] or wanted[2]):
        if wanted[1]:
            start, end = int(wanted[1]), min(int(wanted[2]) if wanted[2] else size - 1, size - 1)
        else:  # the last N bytes
            start, end = max(0, size - int(wanted[2])), size - 1
        if start > end or start >= size:
            data.close()
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        end = min(end, start + RANGE_CHUNK - 1)
        data.seek(start)
        body = data.read(end - start + 1)
        data.close()
        response = HttpResponse(body, status=206, content_type="video/mp4")
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    else:
        response = FileResponse(data, content_type="video/mp4")
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=60"
    return response
