"""The WebSocket handshake is refused unless the page is of this very site: scheme, host and port.

Through the real ASGI app: an accepted handshake (anonymous, so then closed with 4401) means the
origin passed; a refused one never reaches the consumer.
"""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync

from events.tests.sockets import close_code_after_accept

pytestmark = pytest.mark.django_db(transaction=True)


def _passes(host: str, origin: str | None, *extra: tuple[bytes, bytes]) -> bool:
    headers = [(b"host", host.encode()), *extra]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return async_to_sync(close_code_after_accept)(headers) == 4401


@pytest.mark.parametrize(
    ("host", "origin"),
    [
        ("127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("localhost", "http://localhost"),
        ("localhost", "http://localhost:80"),  # the default port, written out
        ("LOCALHOST:8000", "http://localhost:8000"),
        ("[::1]:8000", "http://[::1]:8000"),
    ],
)
def test_it_accepts_a_page_of_the_same_origin(host, origin):
    assert _passes(host, origin)


@pytest.mark.parametrize(
    ("host", "origin"),
    [
        ("127.0.0.1:8000", "http://127.0.0.1:9999"),  # another service on the same machine
        ("127.0.0.1:8000", "http://127.0.0.1"),
        ("localhost", "https://localhost"),  # https page, plain socket
        ("localhost:8000", "http://evil.example.org:8000"),
        ("localhost:8000", "null"),
        ("localhost:8000", "http://localhost:8000/path"),
    ],
)
def test_it_refuses_a_page_of_another_origin(host, origin):
    assert not _passes(host, origin)


def test_it_refuses_a_handshake_without_an_origin():
    assert not _passes("localhost", None)


def test_it_refuses_a_host_that_is_not_allowed_even_from_its_own_origin():
    assert not _passes("evil.example.org", "http://evil.example.org")


def test_it_takes_the_scheme_from_the_tls_proxy_header(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    behind_tls = (b"x-forwarded-proto", b"https")
    assert _passes("localhost", "https://localhost", behind_tls)
    assert not _passes("localhost", "http://localhost", behind_tls)
    assert _passes("localhost", "http://localhost")


def test_it_accepts_the_trusted_origins(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://vigil.example.org", "https://*.city.example"]
    assert _passes("localhost", "https://vigil.example.org")
    assert _passes("localhost", "https://wall.city.example")
    assert not _passes("localhost", "http://vigil.example.org")  # the scheme counts
    assert not _passes("localhost", "https://vigil.example.org:8443")  # and the port
    assert not _passes("localhost", "https://evilcity.example")
