"""The outbound policy (core/outbound.py): blocked addresses in every spelling, at save and at connect,
and connections that go to the address that was checked."""

from __future__ import annotations

import ipaddress
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from django.core.exceptions import ImproperlyConfigured, ValidationError

from core import outbound
from vigilsite import env

# 169.254.169.254 (the cloud metadata server) and other blocked addresses, as the C library, ffmpeg
# and requests would all connect to them.
METADATA_SPELLINGS = [
    "169.254.169.254",
    "2852039166",  # one decimal number
    "0xa9fea9fe",  # hex
    "0xA9FEA9FE",
    "0251.0376.0251.0376",  # octal parts
    "0251.254.169.254",  # octal and decimal mixed
    "0xa9.0xfe.169.254",
    "169.254.43518",  # a.b.c with a 16-bit last part
    "169.16689662",  # a.b with a 24-bit last part
    "[::ffff:169.254.169.254]",  # IPv4-mapped
    "[::ffff:a9fe:a9fe]",
    "[::169.254.169.254]",  # IPv4-compatible
    "[::ffff:0:a9fe:a9fe]",  # SIIT translated (::ffff:0:0/96)
    "[::ffff:0:169.254.169.254]",
    "[64:ff9b::a9fe:a9fe]",  # NAT64, well-known prefix
    "[64:ff9b::169.254.169.254]",
    "[64:ff9b:1::a9fe:a9fe]",  # NAT64, local-use prefix (/96 inside 64:ff9b:1::/48)
    "[64:ff9b:1:a9fe:a9:fe00::]",  # the same prefix as a /48 (RFC 6052: bits 64-71 skipped)
    "[2002:a9fe:a9fe::]",  # 6to4
    "[2002:a9fe:a9fe:1::1]",
    "[2001:0:4136:e378:8000:63bf:5601:5601]",  # Teredo, client 169.254.169.254 (obfuscated as 5601:5601)
    "[fe80::1]",  # IPv6 link-local
    "[fe80::1%25eth0]",
    "[fd00:ec2::254]",  # AWS's IPv6 metadata address
    "169.254.10.20",
]
ORDINARY_HOSTS = ["10.0.0.5", "192.168.1.20", "127.0.0.1", "[2001:db8::5]", "[::1]", "camera.example", "172.16.0.1"]


@pytest.mark.parametrize("host", METADATA_SPELLINGS)
def test_it_refuses_every_spelling_of_a_blocked_address_at_save(host):
    with pytest.raises(ValidationError, match="Link-local and cloud metadata"):
        outbound.validate_url_host(f"http://{host}/latest/meta-data/")


@pytest.mark.parametrize("host", ORDINARY_HOSTS)
def test_it_accepts_ordinary_camera_and_receiver_hosts_at_save(host):
    outbound.validate_url_host(f"http://{host}:8080/snapshot.jpg")


@pytest.mark.parametrize("host", [h for h in METADATA_SPELLINGS if "%" not in h])
def test_it_refuses_every_spelling_of_a_blocked_address_at_connect(host):
    # Resolved as a connection resolves it; refused before any packet is sent.
    with pytest.raises(outbound.BlockedAddress, match="link-local or cloud metadata address"):
        outbound.connect(host.strip("[]"), 80, timeout=1)


@pytest.mark.parametrize(
    "url",
    ["http://evil.example\\@169.254.169.254/", "http://a@b@169.254.169.254/", "http://cam era/x", "http://cam\t/x"],
)
def test_it_refuses_a_host_part_that_parsers_read_differently(url):
    with pytest.raises(ValidationError):
        outbound.validate_url_host(url)


def test_blocked_networks_are_one_setting_for_every_connection(monkeypatch):
    monkeypatch.setenv("VIGIL_OUTBOUND_BLOCKED_NETWORKS", "169.254.0.0/16,not-a-network")
    with pytest.raises(ImproperlyConfigured, match="VIGIL_OUTBOUND_BLOCKED_NETWORKS: 'not-a-network'"):
        env.networks("OUTBOUND_BLOCKED_NETWORKS", [])


def test_the_camera_setting_name_still_works(monkeypatch):
    default = ["169.254.0.0/16"]
    read = lambda: env.networks("OUTBOUND_BLOCKED_NETWORKS", default, former_name="CAMERA_BLOCKED_NETWORKS")  # noqa: E731
    monkeypatch.delenv("VIGIL_OUTBOUND_BLOCKED_NETWORKS", raising=False)
    monkeypatch.delenv("VIGIL_CAMERA_BLOCKED_NETWORKS", raising=False)
    assert read() == [ipaddress.ip_network("169.254.0.0/16")]
    monkeypatch.setenv("VIGIL_CAMERA_BLOCKED_NETWORKS", "10.9.0.0/16")
    assert read() == [ipaddress.ip_network("10.9.0.0/16")]
    monkeypatch.setenv("VIGIL_OUTBOUND_BLOCKED_NETWORKS", "10.8.0.0/16")  # the general name wins
    assert read() == [ipaddress.ip_network("10.8.0.0/16")]


class _Recorder:
    """A real HTTP server on a 127.x address that records the paths asked of it."""

    def __init__(self, host: str) -> None:
        self.paths: list[str] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                recorder.paths.append(self.path)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def camera_and_metadata(settings):
    """A real server on 127.0.0.1 (the camera) and one on 127.0.0.2 standing in for the blocked metadata server."""
    settings.OUTBOUND_BLOCKED_NETWORKS = [ipaddress.ip_network("127.0.0.2/32")]
    camera, metadata = _Recorder("127.0.0.1"), _Recorder("127.0.0.2")
    yield camera, metadata
    camera.close()
    metadata.close()


def test_a_request_goes_to_the_address_that_was_checked_not_a_second_answer(camera_and_metadata, rebinding_name):
    camera, metadata = camera_and_metadata
    response = outbound.session().get(f"http://rebind.test:{camera.port}/check-then-use", timeout=5)
    assert response.status_code == 200
    assert camera.paths == ["/check-then-use"] and metadata.paths == []
    assert rebinding_name == ["127.0.0.1"]  # resolved once


def test_a_name_that_resolves_to_a_blocked_address_is_refused_before_sending(camera_and_metadata, rebinding_name):
    _, metadata = camera_and_metadata
    rebinding_name.append("first answer used up")  # from now on the name means 127.0.0.2
    with pytest.raises(outbound.BlockedAddress, match=r"rebind\.test resolves to 127\.0\.0\.2"):
        outbound.session().get(f"http://rebind.test:{metadata.port}/latest/meta-data/", timeout=5)
    assert metadata.paths == []


def test_the_session_follows_no_redirect_and_uses_no_proxy_from_the_environment(camera_and_metadata, monkeypatch):
    camera, _ = camera_and_metadata
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.2:9")  # a proxy would connect unchecked
    http = outbound.session()
    assert http.get(f"http://127.0.0.1:{camera.port}/direct", timeout=5).status_code == 200
    assert camera.paths == ["/direct"]


def test_the_checking_proxy_refuses_a_blocked_host_and_forwards_the_rest(camera_and_metadata):
    camera, metadata = camera_and_metadata
    plain = requests_session()
    with outbound.CheckingProxy() as checking:
        proxy = {"http": checking.url}
        assert plain.get(f"http://127.0.0.1:{camera.port}/through", proxies=proxy, timeout=5).text == "ok"
        refused = plain.get(f"http://127.0.0.2:{metadata.port}/latest/meta-data/", proxies=proxy, timeout=5)
    assert refused.status_code == 403
    assert camera.paths == ["/through"] and metadata.paths == []
    assert list(checking.refused) == [
        "127.0.0.2 resolves to 127.0.0.2, a link-local or cloud metadata address; refused"
    ]


def requests_session() -> requests.Session:
    """A plain requests session (no environment proxy), as ffmpeg stands in for: it goes where it is told."""
    plain = requests.Session()
    plain.trust_env = False
    return plain


def _self_signed_localhost(folder) -> tuple[str, str]:
    """A certificate for ``localhost`` (and its key), made with cryptography."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(cert_path), str(key_path)


def test_https_connects_to_the_checked_address_and_still_verifies_the_name(tmp_path, settings):
    import ssl

    settings.OUTBOUND_BLOCKED_NETWORKS = [ipaddress.ip_network("127.0.0.2/32")]
    cert, key = _self_signed_localhost(tmp_path)
    receiver = _Recorder("127.0.0.1")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    receiver.server.socket = context.wrap_socket(receiver.server.socket, server_side=True)
    try:
        # SNI and the certificate check use the name; the socket goes to the address checked for it.
        answer = outbound.session().get(f"https://localhost:{receiver.port}/tls", verify=cert, timeout=5)
        assert answer.text == "ok" and receiver.paths == ["/tls"]
        with pytest.raises(requests.exceptions.SSLError):  # the name is what is verified, not the address
            outbound.session().get(f"https://127.0.0.1:{receiver.port}/by-address", verify=cert, timeout=5)
        # ffmpeg's https goes through the proxy as CONNECT: checked, then end to end TLS.
        with outbound.CheckingProxy() as checking:
            tunnelled = requests_session().get(f"https://localhost:{receiver.port}/tunnel", verify=cert, timeout=5,
                                               proxies={"https": checking.url})  # fmt: skip
        assert tunnelled.text == "ok" and receiver.paths == ["/tls", "/tunnel"]
    finally:
        receiver.close()


@pytest.mark.parametrize(
    "host",
    [
        "0",  # 0.0.0.0, "this host": Linux connects it to the server itself
        "0.0.0.0",  # noqa: S104 - a host refused, not a bind
        "[::]",
    ],
)
def test_it_refuses_this_host_addresses_at_save(host):
    with pytest.raises(ValidationError, match="Link-local and cloud metadata"):
        outbound.validate_url_host(f"http://{host}/latest/meta-data/")


@pytest.mark.parametrize("host", ["169%2e254%2e169%2e254", "%31%36%39.254.169.254", "cam%2eexample"])
def test_it_refuses_a_percent_encoded_host_at_save(host):
    with pytest.raises(ValidationError, match="without percent-encoding"):
        outbound.validate_url_host(f"http://{host}/latest/meta-data/")


def test_a_blocked_list_that_leaves_a_metadata_address_open_logs_a_warning(settings, caplog):
    settings.OUTBOUND_BLOCKED_NETWORKS = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00:ec2::254")]
    with caplog.at_level(logging.WARNING, logger="core.outbound"):
        reachable = outbound.warn_if_metadata_reachable()
    assert [str(a) for a in reachable] == ["169.254.169.254", "100.100.100.200"]
    assert "169.254.169.254 reachable" in caplog.text and "fd00:ec2::254" not in caplog.text


def test_the_default_blocked_list_logs_no_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="core.outbound"):
        assert outbound.warn_if_metadata_reachable() == []
    assert caplog.text == ""
