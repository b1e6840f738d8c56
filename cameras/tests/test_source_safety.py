"""Camera URLs cannot be turned against the host: metadata addresses refused before and at connection."""

import ipaddress

import pytest
import requests
from django.core.exceptions import ImproperlyConfigured, ValidationError

from cameras import sources
from cameras.readers import CaptureError, grab_frame
from cameras.tests.servers import http_camera
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
    settings.CAMERA_BLOCKED_NETWORKS = [ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128")]
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
