"""Camera URLs cannot be turned against the host: metadata addresses refused before and at connection."""

import ipaddress

import pytest
import requests
from django.core.exceptions import ImproperlyConfigured, ValidationError

from cameras import sources
from cameras.readers import CaptureError, grab_frame
from cameras.tests.servers import http_camera, make_hls, rtsp_camera
from detection.tests.frames import photo
from vigilsite import env


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/latest/meta-data/",  # the same server, IPv4-mapped
        "rtsp://169.254.10.20:554/stream",
        "http://[fe80::1]/snapshot.jpg",
    ],
)
def test_metadata_and_link_local_addresses_are_refused_when_saved(url):
    with pytest.raises(ValidationError, match="Link-local and cloud metadata"):
        sources.validate_source_url(url)


@pytest.mark.parametrize("url", ["gopher://cam/", "ftp://cam/x.jpg", "javascript:alert(1)", "dict://cam:11211/"])
def test_only_camera_schemes_are_accepted(url):
    with pytest.raises(ValidationError, match="Unsupported URL scheme"):
        sources.validate_source_url(url)


def test_a_host_name_is_checked_where_it_resolves_at_connection_time(settings, tmp_path):
    # No DNS here to point a name at 169.254.169.254, so block loopback instead: "localhost" must
    # then be refused by what it resolves to, before a single byte reaches the server.
    settings.OUTBOUND_BLOCKED_NETWORKS = [ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128")]
    with http_camera([photo("bus.jpg").jpeg], tmp_path) as base:
        port = base.rsplit(":", 1)[1]
        sources.validate_source_url(f"http://localhost:{port}/snapshot.jpg")  # a name passes when saved
        with pytest.raises(CaptureError, match=r"localhost resolves to .* cloud metadata address; refused"):
            grab_frame(f"http://localhost:{port}/snapshot.jpg", timeout=3)
        with pytest.raises(CaptureError, match="refused"):
            grab_frame(f"rtsp://localhost:{port}/stream", timeout=3)
        seen = requests.get(f"{base}/__requests__", timeout=3).json()
    assert seen == ["/__requests__"]


def test_with_the_default_list_an_ordinary_host_is_read(tmp_path):
    with http_camera([photo("bus.jpg").jpeg], tmp_path) as base:
        frame = grab_frame(f"http://localhost:{base.rsplit(':', 1)[1]}/snapshot.jpg", timeout=5)
    assert frame.width == 810


def test_a_bad_blocked_network_setting_stops_the_start(monkeypatch):
    monkeypatch.setenv("VIGIL_CAMERA_BLOCKED_NETWORKS", "169.254.0.0/16,not-a-network")
    with pytest.raises(ImproperlyConfigured, match="VIGIL_CAMERA_BLOCKED_NETWORKS: 'not-a-network'"):
        env.networks("CAMERA_BLOCKED_NETWORKS", [])


@pytest.mark.django_db
def test_local_files_are_read_only_under_the_configured_folders(settings, tmp_path):
    inside = tmp_path / "allowed"
    inside.mkdir()
    (inside / "a.jpg").write_bytes(photo("bus.jpg").jpeg)
    (tmp_path / "secret.jpg").write_bytes(photo("bus.jpg").jpeg)
    (inside / "link.jpg").symlink_to(tmp_path / "secret.jpg")
    settings.SOURCE_FOLDERS = [inside]
    sources.validate_source_url((inside / "a.jpg").as_uri())
    outside, dotted, link = tmp_path / "secret.jpg", f"file://{inside}/../secret.jpg", inside / "link.jpg"
    escaping_urls = [outside.as_uri(), dotted, link.as_uri()]
    for escaping in escaping_urls:
        with pytest.raises(ValidationError, match="Local files must be under"):
            sources.validate_source_url(escaping)


# --- Every spelling, every way in (issue 21) --------------------------------------------------

SPELLINGS = [
    "2852039166", "0xa9fea9fe", "0251.0376.0251.0376", "169.254.43518", "0251.254.169.254",
    "[64:ff9b::a9fe:a9fe]", "[2002:a9fe:a9fe::]", "[::169.254.169.254]", "[2001:0:4136:e378:8000:63bf:5601:5601]",
]  # fmt: skip


@pytest.mark.parametrize("host", SPELLINGS)
def test_it_refuses_other_spellings_of_the_metadata_address_when_saved(host):
    with pytest.raises(ValidationError, match="Link-local and cloud metadata"):
        sources.validate_source_url(f"http://{host}/latest/meta-data/")


@pytest.mark.django_db
@pytest.mark.parametrize("host", SPELLINGS)
def test_the_api_and_the_admin_refuse_them_with_a_field_error(admin_client, host):
    url = f"rtsp://{host}:80/latest/meta-data/"
    response = admin_client.post(
        "/api/cameras/", {"name": "Probe", "latitude": "52.1", "longitude": "4.1", "source_url": url},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 400
    assert "Link-local and cloud metadata" in response.json()["source_url"][0]
    from cameras.forms import CameraAdminForm

    form = CameraAdminForm(data={"name": "Probe", "latitude": "52.1", "longitude": "4.1", "source_url": url,
                                 "capture_mode": "interval", "capture_interval": "10", "rtsp_transport": "tcp",
                                 "tags": "[]"})  # fmt: skip
    assert not form.is_valid() and "Link-local and cloud metadata" in form.errors["source_url"][0]


@pytest.mark.parametrize("host", SPELLINGS)
def test_it_refuses_them_when_connecting(host):
    with pytest.raises(CaptureError, match="link-local or cloud metadata address; refused"):
        grab_frame(f"http://{host}/latest/meta-data/", timeout=3)


@pytest.fixture(scope="module")
def hls_root(media_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("hls-root")
    make_hls(media_dir / "street.mp4", root / "hls", seconds=2)
    return root


@pytest.fixture
def metadata_standin(settings, hls_root):
    """A real HLS server on 127.0.0.2 standing in for a blocked address (the cameras stay on 127.0.0.1)."""
    settings.OUTBOUND_BLOCKED_NETWORKS = [ipaddress.ip_network("127.0.0.2/32")]
    with http_camera([photo("bus.jpg").jpeg], hls_root, host="127.0.0.2") as base:
        yield base


def _contacted(base: str) -> list[str]:
    return [path for path in requests.get(f"{base}/__requests__", timeout=3).json() if path != "/__requests__"]


def test_an_hls_camera_redirecting_to_a_blocked_address_is_refused_there(metadata_standin, hls_root):
    redirects = {"/live.m3u8": f"{metadata_standin}/hls/index.m3u8"}
    camera = http_camera([photo("bus.jpg").jpeg], hls_root, redirects=redirects)
    blocked = r"live\.m3u8 led to a blocked address: 127\.0\.0\.2 resolves to 127\.0\.0\.2, a link-local"
    with camera as base, pytest.raises(CaptureError, match=blocked):
        grab_frame(f"{base}/live.m3u8", timeout=10)
    assert _contacted(metadata_standin) == []


def test_an_hls_playlist_naming_segments_on_a_blocked_host_is_refused_there(metadata_standin, hls_root):
    playlist = (hls_root / "hls" / "index.m3u8").read_text()
    segments = "\n".join(f"{metadata_standin}/hls/{line}" if line.endswith(".ts") else line
                         for line in playlist.splitlines())  # fmt: skip
    (hls_root / "hls" / "foreign.m3u8").write_text(segments + "\n")
    with http_camera([photo("bus.jpg").jpeg], hls_root) as camera, pytest.raises(CaptureError, match="blocked address"):
        grab_frame(f"{camera}/hls/foreign.m3u8", timeout=10)
    assert _contacted(metadata_standin) == []


def test_an_hls_camera_redirecting_to_an_allowed_host_still_plays(hls_root):
    with (
        http_camera([photo("bus.jpg").jpeg], hls_root) as origin,
        http_camera([photo("bus.jpg").jpeg], hls_root, redirects={"/live.m3u8": f"{origin}/hls/index.m3u8"}) as cdn,
    ):
        frame = grab_frame(f"{cdn}/live.m3u8", timeout=15)
    assert frame.width == 640


def test_an_http_camera_redirect_is_not_followed(metadata_standin, hls_root):
    redirects = {"/snapshot.cgi": f"{metadata_standin}/snapshot.jpg"}
    camera = http_camera([photo("bus.jpg").jpeg], hls_root, redirects=redirects)
    with camera as base, pytest.raises(CaptureError, match="HTTP 302"):
        grab_frame(f"{base}/snapshot.cgi", timeout=5)
    assert _contacted(metadata_standin) == []


def test_an_http_camera_is_read_from_the_address_that_was_checked(metadata_standin, hls_root, rebinding_name):
    with http_camera([photo("bus.jpg").jpeg], hls_root) as camera:
        port = camera.rsplit(":", 1)[1]
        frame = grab_frame(f"http://rebind.test:{port}/snapshot.jpg", timeout=5)
        assert _contacted(camera) == ["/snapshot.jpg"]
    assert frame.width == 810
    assert _contacted(metadata_standin) == []


def test_ffmpeg_is_given_the_checked_address_of_an_rtsp_camera(media_dir, rebinding_name):
    with rtsp_camera(media_dir / "concourse.mp4") as url:
        port = url.split(":")[2].split("/")[0]
        frame = grab_frame(f"rtsp://rebind.test:{port}/live", timeout=15, rtsp_transport="udp")
    assert frame.width == 640
    assert (
        sources.pinned_url("rtsp://op:pw@127.0.0.1:554/live?channel=1") == "rtsp://op:pw@127.0.0.1:554/live?channel=1"
    )


def test_an_hls_playlist_cannot_name_a_local_file_as_a_segment(hls_root):
    playlist = (hls_root / "hls" / "index.m3u8").read_text()
    local = "\n".join((hls_root / "hls" / line).as_uri() if line.endswith(".ts") else line
                      for line in playlist.splitlines())  # fmt: skip
    (hls_root / "hls" / "local.m3u8").write_text(local + "\n")
    with http_camera([], hls_root) as camera, pytest.raises(CaptureError):
        grab_frame(f"{camera}/hls/local.m3u8", timeout=10)


@pytest.mark.parametrize("host", ["no-such-camera.invalid", "a..b", "x" * 70 + ".example"])
def test_ffmpeg_is_never_given_a_name_that_could_not_be_checked(host):
    # gaierror and UnicodeError (an empty or overlong label) are refusals, not a pass-through to ffmpeg's resolver.
    with pytest.raises(sources.UnresolvedHost, match="does not resolve"):
        sources.pinned_url(f"rtsp://op:pw@{host}:554/live")
    with pytest.raises(CaptureError, match="does not resolve"):
        grab_frame(f"rtsp://{host}:554/live", timeout=5)
