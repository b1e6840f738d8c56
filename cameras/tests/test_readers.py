"""Grabbing frames from real servers started by the tests, fed with the shared clips."""

import time

import cv2
import numpy as np
import pytest

from cameras.frames import InvalidImage, jpeg_end
from cameras.readers import CaptureError, grab_frame
from cameras.tests.servers import clip_jpegs, http_camera, make_hls, refusing_url, rtsp_camera


@pytest.fixture(scope="module")
def concourse_jpegs(media_dir):
    return clip_jpegs(media_dir / "concourse.mp4")


@pytest.fixture
def camera_server(concourse_jpegs, tmp_path):
    with http_camera(concourse_jpegs, tmp_path) as base:
        yield base, tmp_path


def test_it_grabs_a_frame_over_rtsp(media_dir):
    with rtsp_camera(media_dir / "concourse.mp4") as url:
        frame = grab_frame(url, timeout=15, rtsp_transport="udp")
    assert (frame.width, frame.height) == (640, 360)
    assert frame.image.std() > 10  # a real picture, not a blank frame
    assert frame.jpeg[:2] == b"\xff\xd8"


def test_rtsp_frames_are_fresh_not_buffered(media_dir):
    with rtsp_camera(media_dir / "concourse.mp4") as url:
        first = grab_frame(url, timeout=15, rtsp_transport="udp")
        time.sleep(1.0)
        second = grab_frame(url, timeout=15, rtsp_transport="udp")
    # People walk: a second later the picture differs.
    assert np.abs(first.image.astype(int) - second.image.astype(int)).mean() > 1


def test_it_grabs_a_jpeg_snapshot(camera_server):
    base, _ = camera_server
    frame = grab_frame(f"{base}/snapshot.jpg", timeout=5)
    assert (frame.width, frame.height) == (640, 359)


def test_it_grabs_the_first_complete_mjpeg_frame(camera_server):
    base, _ = camera_server
    started = time.monotonic()
    frame = grab_frame(f"{base}/mjpeg", timeout=5)
    assert (frame.width, frame.height) == (640, 359)
    assert time.monotonic() - started < 5  # returns without waiting for the stream to end


def test_it_grabs_a_frame_over_hls(media_dir, camera_server):
    base, root = camera_server
    make_hls(media_dir / "street.mp4", root / "hls")
    frame = grab_frame(f"{base}/hls/index.m3u8", timeout=15)
    assert frame.width == 640
    assert frame.image.std() > 10


def test_it_grabs_from_a_looping_video_file(media_dir):
    frame = grab_frame((media_dir / "street.mp4").as_uri(), timeout=5)
    assert (frame.width, frame.height) == (1920, 1080)


def test_it_grabs_from_an_image_file(settings):
    frame = grab_frame((settings.ULTRALYTICS_ASSETS / "bus.jpg").as_uri(), timeout=5)
    assert frame.width > 0


def test_a_refused_connection_is_explained():
    with pytest.raises(CaptureError, match="Connection refused by"):
        grab_frame(refusing_url(), timeout=3)


def test_a_refused_rtsp_connection_is_explained():
    with pytest.raises(CaptureError, match="Connection refused"):
        grab_frame(refusing_url().replace("http", "rtsp"), timeout=3)


def test_a_silent_camera_gives_up_at_the_timeout(camera_server):
    base, _ = camera_server
    started = time.monotonic()
    with pytest.raises(CaptureError, match="within 2 s"):
        grab_frame(f"{base}/hang", timeout=2)
    assert time.monotonic() - started < 4


def test_a_silent_rtsp_camera_gives_up_at_the_timeout():
    import socket

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        url = f"rtsp://127.0.0.1:{listener.getsockname()[1]}/live"
        started = time.monotonic()
        with pytest.raises(CaptureError):
            grab_frame(url, timeout=2)
    assert time.monotonic() - started < 4


@pytest.mark.parametrize("path", ["/garbage", "/truncated.jpg"])
def test_garbage_is_explained(camera_server, path):
    base, _ = camera_server
    with pytest.raises(CaptureError, match="not a usable image"):
        grab_frame(f"{base}{path}", timeout=3)


def test_credentials_never_appear_in_errors():
    url = refusing_url().replace("http://", "http://op:hunter2@")
    with pytest.raises(CaptureError) as caught:
        grab_frame(url, timeout=3, shown_url="http://op:***@127.0.0.1/")
    assert "hunter2" not in str(caught.value)


def _with_exif_thumbnail(jpeg: bytes) -> bytes:
    """``jpeg`` with an APP1 (EXIF) segment holding a small JPEG thumbnail, as many IP cameras send:
    the thumbnail's own end marker comes before the picture's."""
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    thumbnail = cv2.imencode(".jpg", cv2.resize(image, (160, 90)))[1].tobytes()
    payload = b"Exif\x00\x00" + thumbnail
    after_app0 = 4 + int.from_bytes(jpeg[4:6], "big") if jpeg[2:4] == b"\xff\xe0" else 2
    app1 = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
    return jpeg[:after_app0] + app1 + jpeg[after_app0:]


def test_an_mjpeg_frame_with_an_exif_thumbnail_is_read_to_its_real_end(concourse_jpegs, tmp_path):
    jpegs = [_with_exif_thumbnail(jpeg) for jpeg in concourse_jpegs[:3]]
    assert jpegs[0].find(b"\xff\xd9") < len(jpegs[0]) - 2  # an end marker long before the end

    with http_camera(jpegs, tmp_path) as base:
        frame = grab_frame(f"{base}/mjpeg", timeout=5)

    assert (frame.width, frame.height) == (640, 359)
    assert frame.jpeg in jpegs


def test_the_end_of_a_jpeg_is_found_past_stuffed_bytes_restart_markers_and_thumbnails(concourse_jpegs):
    whole = _with_exif_thumbnail(concourse_jpegs[0])
    assert jpeg_end(whole) == len(whole)
    assert jpeg_end(b"--frame\r\n\r\n" + whole + b"\r\n--frame", len(b"--frame\r\n\r\n")) == len(
        b"--frame\r\n\r\n"
    ) + len(whole)
    restarts = cv2.imencode(
        ".jpg", cv2.imdecode(np.frombuffer(whole, np.uint8), 1), [cv2.IMWRITE_JPEG_RST_INTERVAL, 4]
    )[1].tobytes()
    assert jpeg_end(restarts) == len(restarts)
    for cut in (len(whole) // 3, len(whole) - 1):
        assert jpeg_end(whole[:cut]) is None  # incomplete: wait for more
    with pytest.raises(InvalidImage):
        jpeg_end(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00garbage where a marker should be")
