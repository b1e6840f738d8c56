"""Fixtures of the events tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from events.tests.scenes import lying_photo

FFMPEG = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y"]


@pytest.fixture(scope="session")
def lying_video(tmp_path_factory) -> Path:
    """Eight seconds of people lying down (the lying photo at 5 fps), as a camera watching someone who
    does not get up would record them."""
    folder = tmp_path_factory.mktemp("lying")
    (folder / "down.jpg").write_bytes(lying_photo())
    video = folder / "down.mp4"
    subprocess.run([*FFMPEG, "-loop", "1", "-i", str(folder / "down.jpg"), "-t", "8", "-r", "5",
                    "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", str(video)],
                   check=True, timeout=60)  # fmt: skip
    return video
