"""An event's clip as an HTTP answer, byte ranges included: shared by the event page's player and the API."""

from __future__ import annotations

import re

from django.http import FileResponse, HttpResponse

from recordings.models import Clip

_RANGE = re.compile(r"bytes=(\d{0,15})-(\d{0,15})")
# A range is answered with this much at most (players ask for "bytes=0-" and take what comes, asking on).
RANGE_CHUNK = 4 * 1024 * 1024


def clip_response(clip: Clip, range_header: str) -> HttpResponse:
    """The MP4, or the asked range of it (a player seeks by asking for ranges).

    Raises FileNotFoundError when the clip's file is gone; a range past the end is a 416.
    """
    data = clip.file.open("rb")
    size = clip.file.size
    wanted = _RANGE.fullmatch(range_header.strip())
    if wanted and (wanted[1] or wanted[2]):
        if wanted[1]:
            start, end = int(wanted[1]), min(int(wanted[2]) if wanted[2] else size - 1, size - 1)
        else:  # the last N bytes
            start, end = max(0, size - int(wanted[2])), size - 1
        if start > end or start >= size:
            data.close()
            response = HttpResponse(status=416, content_type="video/mp4")
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
