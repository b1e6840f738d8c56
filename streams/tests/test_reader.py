"""The stream reader connects only where the outbound policy allows: every HLS hop checked, RTSP pinned."""

from __future__ import annotations

import ipaddress

import pytest
import requests

from cameras.readers import CaptureError
from cameras.tests.servers import http_camera, make_hls
from core.outbound import CheckingProxy
from streams.reader import StreamReader, input_options


@pytest.fixture(scope="module")
def hls_root(media_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("stream-hls")
    make_hls(media_dir / "street.mp4", root / "hls", seconds=2)
    return root


def _reader(url: str) -> StreamReader:
    return StreamReader(url, shown_url=url, fps=2, max_width=320, stall_seconds=10)


def _contacted(base: str) -> list[str]:
    return [path for path in requests.get(f"{base}/__requests__", timeout=3).json() if path != "/__requests__"]


def test_a_stream_redirected_to_a_blocked_address_never_reaches_it(settings, hls_root):
    settings.OUTBOUND_BLOCKED_NETWORKS = [ipaddress.ip_network("127.0.0.2/32")]  # stands in for 169.254.169.254
    redirects: dict[str, str] = {}
    with http_camera([], hls_root, host="127.0.0.2") as metadata, http_camera([], hls_root, redirects=redirects) as cam:
        redirects["/live.m3u8"] = f"{metadata}/hls/index.m3u8"
        reader = _reader(f"{cam}/live.m3u8")
        reader.open()
        try:
            with pytest.raises(CaptureError, match=r"led to a blocked address: 127\.0\.0\.2 resolves to 127\.0\.0\.2"):
                reader.next_frame()
        finally:
            reader.close()
        assert _contacted(metadata) == []


def test_a_stream_redirected_to_an_allowed_host_is_read(hls_root):
    redirects: dict[str, str] = {}
    with http_camera([], hls_root) as origin, http_camera([], hls_root, redirects=redirects) as cdn:
        redirects["/live.m3u8"] = f"{origin}/hls/index.m3u8"
        reader = _reader(f"{cdn}/live.m3u8")
        reader.open()
        try:
            frame = reader.next_frame()
        finally:
            reader.close()
    assert frame.width == 320


def test_ffmpeg_gets_rtsp_at_the_checked_address_and_http_through_the_checking_proxy(settings):
    rtsp = input_options("rtsp://op:pw@localhost:8554/live", rtsp_transport="tcp", timeout=5)
    assert rtsp[-1] in {"rtsp://op:pw@127.0.0.1:8554/live", "rtsp://op:pw@[::1]:8554/live"}
    with CheckingProxy() as proxy:
        http = input_options("http://localhost:8080/live.m3u8", rtsp_transport="tcp", timeout=5, proxy=proxy)
        assert http[http.index("-http_proxy") + 1] == proxy.url
        settings.OUTBOUND_BLOCKED_NETWORKS = [ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128")]
        for url in ("rtsp://localhost:8554/live", "http://localhost:8080/live.m3u8"):
            with pytest.raises(CaptureError, match="localhost resolves to"):
                input_options(url, rtsp_transport="tcp", timeout=5, proxy=proxy)
