"""The camera's latest frame in storage: replaced whole, whoever writes it and however many at once."""

from __future__ import annotations

import re
import threading

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from cameras import frame_store
from cameras.frames import Frame, decode_image
from cameras.services import camera_frame_accept
from cameras.tests.factories import CameraFactory
from cameras.tests.servers import clip_jpegs
from core.redis import redis_client

pytestmark = pytest.mark.django_db

WRITERS = 6
WRITES_EACH = 30


def _files_of(camera_id: int) -> list[str]:
    """Every file in the latest-frames folder that belongs to the camera (orphans and leftovers too)."""
    _, files = default_storage.listdir("latest-frames")
    return sorted(name for name in files if re.match(rf"^\.?{camera_id}(\D|$)", name))


def test_concurrent_writers_leave_one_whole_frame_that_the_thumbnail_serves(admin_client, media_dir):
    # A capture, a push and a stream worker may store the same camera's frame at the same moment.
    camera = CameraFactory()
    frames: list[Frame] = [decode_image(jpeg) for jpeg in clip_jpegs(media_dir / "street.mp4", count=WRITERS)]
    written = {frame.jpeg for frame in frames}
    path = frame_store.latest_frame_path(camera.pk)
    frame_store.latest_frame_save(camera.pk, frames[0])
    start = threading.Barrier(WRITERS + 1)
    writing = threading.Event()
    writing.set()
    read: list[bytes | None] = []

    def write(frame: Frame) -> None:
        start.wait()
        for _ in range(WRITES_EACH):
            frame_store.latest_frame_save(camera.pk, frame)

    def watch() -> None:
        start.wait()
        while writing.is_set():
            try:
                with default_storage.open(path, "rb") as stored:
                    read.append(stored.read())
            except FileNotFoundError:
                read.append(None)

    writers = [threading.Thread(target=write, args=(frame,)) for frame in frames]
    reader = threading.Thread(target=watch)
    for thread in [*writers, reader]:
        thread.start()
    for thread in writers:
        thread.join()
    writing.clear()
    reader.join()

    assert _files_of(camera.pk) == [f"{camera.pk}.jpg"], "orphan or leftover files"
    with default_storage.open(path, "rb") as stored:
        kept = stored.read()
    assert kept in written
    response = admin_client.get(reverse("camera-latest-frame", args=[camera.slug]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == kept
    # Readers meanwhile always found a frame, and always a whole one (never a missing or half-written file).
    assert read and all(picture in written for picture in read)


def test_the_latest_frame_is_written_at_most_once_per_period_then_again(settings, media_dir):
    settings.LATEST_FRAME_SECONDS = 30
    camera = CameraFactory()
    first, second = (decode_image(jpeg) for jpeg in clip_jpegs(media_dir / "lobby.mp4", count=2))
    path = frame_store.latest_frame_path(camera.pk)

    camera_frame_accept(camera=camera, frame=first, latency_ms=None, submit=False)
    camera_frame_accept(camera=camera, frame=second, latency_ms=None, submit=False)  # within the period

    with default_storage.open(path, "rb") as stored:
        assert stored.read() == first.jpeg
    camera.refresh_from_db()
    assert camera.last_frame_at == second.captured_at  # the camera's health follows every frame
    redis_client().delete(f"vigil:latest-frame:{camera.pk}")  # the period is over
    camera_frame_accept(camera=camera, frame=second, latency_ms=None, submit=False)
    with default_storage.open(path, "rb") as stored:
        assert stored.read() == second.jpeg


def test_with_no_period_every_frame_is_written(settings, media_dir):
    settings.LATEST_FRAME_SECONDS = 0
    camera = CameraFactory()
    for frame in (decode_image(jpeg) for jpeg in clip_jpegs(media_dir / "lobby.mp4", count=2)):
        camera_frame_accept(camera=camera, frame=frame, latency_ms=None, submit=False)
        with default_storage.open(frame_store.latest_frame_path(camera.pk), "rb") as stored:
            assert stored.read() == frame.jpeg


def test_a_storage_that_refuses_the_latest_frame_costs_the_thumbnail_not_the_detection(
    settings, media_dir, caplog, django_capture_on_commit_callbacks
):
    """A full disk, or any storage error: the frame still counts for the camera's health and goes on to
    detection (a real OS error: the storage's folder is a file, as a full disk raises OSError too)."""
    from cameras.handoff import WAITING, WaitingFrame

    settings.LATEST_FRAME_SECONDS = 0
    camera = CameraFactory(detect=True)
    [frame] = (decode_image(jpeg) for jpeg in clip_jpegs(media_dir / "lobby.mp4", count=1))
    settings.MEDIA_ROOT.mkdir(parents=True, exist_ok=True)
    (settings.MEDIA_ROOT / "latest-frames").write_bytes(b"not a folder")
    redis_client().delete(WAITING)

    with django_capture_on_commit_callbacks(execute=True):
        camera_frame_accept(camera=camera, frame=frame, latency_ms=12)

    camera.refresh_from_db()
    assert camera.status == camera.Status.ONLINE and camera.last_frame_at == frame.captured_at
    waiting = [WaitingFrame.decode(entry) for entry in redis_client().zrange(WAITING, 0, -1)]
    assert [w.camera_id for w in waiting] == [camera.pk]  # on its way to detection
    assert f"latest frame of camera #{camera.pk} not written" in caplog.text
    redis_client().delete(WAITING, *(w.key for w in waiting))
