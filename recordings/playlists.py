"""HLS playlists of the recorded segments: the live window of a camera and a stretch of its past.

The segments are served as ffmpeg wrote them (no re-encoding). ffmpeg resets every segment's timestamps to
zero (``-reset_timestamps 1``), so each segment after the first is a discontinuity, and the discontinuity
sequence of a live window counts them like its media sequence.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from django.urls import reverse

from recordings.models import Segment

CONTENT_TYPE = "application/vnd.apple.mpegurl"
# A live playlist holds this many of the newest segments: enough for a player to start one segment from the
# end (the low-latency setting of live.js) with slack for a slow fetch.
LIVE_WINDOW_SEGMENTS = 4


def _segment_lines(segments: Sequence[Segment]) -> list[str]:
    lines = []
    for n, segment in enumerate(segments):
        if n:
            lines.append("#EXT-X-DISCONTINUITY")
        lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{segment.started_at.isoformat(timespec='milliseconds')}")
        lines.append(f"#EXTINF:{segment.duration:.3f},")
        lines.append(reverse("camera-segment", args=[segment.camera_id, segment.pk]))
    return lines


def _target_duration(segments: Sequence[Segment], floor: int) -> int:
    return max([floor, *(math.ceil(s.duration) for s in segments)])


def live_playlist(segments: Sequence[Segment], *, segment_seconds: int) -> str:
    """The newest segments as a live playlist: no end tag, so players reload it for what comes next."""
    first = segments[0].sequence if segments else 0
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        f"#EXT-X-TARGETDURATION:{_target_duration(segments, segment_seconds)}",
        f"#EXT-X-MEDIA-SEQUENCE:{first}",
        f"#EXT-X-DISCONTINUITY-SEQUENCE:{first}",
        *_segment_lines(segments),
    ]
    return "\n".join(lines) + "\n"


def recording_playlist(segments: Sequence[Segment], *, start_at: datetime, segment_seconds: int) -> str:
    """A stretch of the past as a finished playlist, the player starting at ``start_at`` within it."""
    offset = max(0.0, (start_at - segments[0].started_at).total_seconds()) if segments else 0.0
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:6",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        f"#EXT-X-TARGETDURATION:{_target_duration(segments, segment_seconds)}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        f"#EXT-X-START:TIME-OFFSET={offset:.3f},PRECISE=YES",
        *_segment_lines(segments),
        "#EXT-X-ENDLIST",
    ]
    return "\n".join(lines) + "\n"
