"""Shared by the recordings tests: real segments cut by ffmpeg exactly as a recorder cuts them, and real frames
as a snapshot camera sends them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cameras.tests.servers import clip_jpegs


@pytest.fixture(scope="session")
def concourse_segments(media_dir, tmp_path_factory) -> list[tuple[Path, float]]:
    """The concourse clip (14 s) re-encoded with a keyframe a second, cut into ~2 s segments."""
    folder = tmp_path_factory.mktemp("segments")
    source = folder / "concourse.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(media_dir / "concourse.mp4"), "-an",
         "-vf", "scale=640:-2", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", str(source)],
        check=True, timeout=120,
    )  # fmt: skip
    listed = subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(source), "-map", "0:v:0", "-c", "copy",
         "-f", "segment", "-segment_time", "2", "-segment_format", "mpegts", "-reset_timestamps", "1",
         "-segment_list", "pipe:1", "-segment_list_type", "csv", str(folder / "%03d.ts")],
        check=True, timeout=120, capture_output=True, text=True,
    ).stdout  # fmt: skip
    rows = [line.rsplit(",", 2) for line in listed.splitlines() if line]
    return [(folder / name, float(end) - float(start)) for name, start, end in rows]


@pytest.fixture(scope="session")
def street_jpegs(media_dir) -> list[bytes]:
    """Twenty frames of the street clip as a 640-pixel snapshot camera's JPEGs."""
    return clip_jpegs(media_dir / "street.mp4", count=20)
