"""daphne refuses oversized request bodies before reading them (vigilsite/request_limits.py)."""

from __future__ import annotations

import socket

import psutil
from django.conf import settings

from vigilsite.request_limits import IDLE_TIMEOUT_SECONDS, body_limit


def _connect(server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=15)


def _read_all(sock: socket.socket) -> bytes:
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def test_a_huge_declared_body_gets_413_from_the_headers_alone(asgi_server):
    with _connect(asgi_server) as sock:
        # Only the headers: the answer must come without the body ever being sent.
        sock.sendall(
            b"POST /api/cameras/1/frames/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer bad\r\n"
            b"Content-Type: image/jpeg\r\nContent-Length: 999999999999\r\nExpect: 100-continue\r\n\r\n"
        )
        answer = _read_all(sock)  # the server closes: recv returns b"" instead of waiting for a body
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b"100 Continue" not in answer  # the client is not invited to send the body after all
    assert f"larger than {body_limit(b'/api/cameras/1/frames/')} bytes".encode() in answer


def test_any_other_path_has_the_general_cap(asgi_server):
    with _connect(asgi_server) as sock:
        sock.sendall(
            b"POST /api/rules/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(settings.REQUEST_MAX_BYTES + 1).encode() + b"\r\n\r\n"
        )
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]


def test_a_chunked_body_is_cut_off_with_413_once_past_the_cap(asgi_server):
    limit = settings.REQUEST_MAX_BYTES
    with _connect(asgi_server) as sock:
        sock.sendall(b"POST /api/rules/ HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n")
        piece = b"x" * (1024 * 1024)
        for _ in range(limit // len(piece)):  # exactly the cap...
            sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        sock.sendall(b"1\r\nx\r\n")  # ...and one byte more: nothing unread is left to reset the answer
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]


def test_a_100_mb_chunked_body_is_not_taken_into_daphnes_memory(asgi_server):
    daphne = psutil.Process(asgi_server.process.pid)
    before = daphne.memory_info().rss
    total = 100 * 1024 * 1024
    sent = 0
    with _connect(asgi_server) as sock:
        sock.sendall(
            b"POST /api/cameras/1/frames/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer bad\r\n"
            b"Content-Type: image/jpeg\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        piece = b"\0" * (256 * 1024)
        try:
            while sent < total:
                sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                sent += len(piece)
            sock.sendall(b"0\r\n\r\n")
        except OSError:  # the server closed the connection once the cap was passed
            pass
    grown = daphne.memory_info().rss - before
    assert sent < total, "daphne read the whole 100 MB body"
    assert grown < 40 * 1024 * 1024, f"daphne grew by {grown} bytes"


def test_a_normal_push_still_gets_through_to_the_view(asgi_server):
    body = b"\xff\xd8not really a jpeg\xff\xd9"
    with _connect(asgi_server) as sock:
        sock.sendall(
            b"POST /api/cameras/1/frames/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer bad\r\n"
            b"Content-Type: image/jpeg\r\nConnection: close\r\nContent-Length: "
            + str(len(body)).encode() + b"\r\n\r\n" + body
        )  # fmt: skip
        answer = _read_all(sock)
    assert answer.split(b"\r\n", 1)[0] in (b"HTTP/1.1 401 Unauthorized", b"HTTP/1.1 404 Not Found"), answer[:200]


def test_a_silent_connection_is_let_go_after_the_idle_timeout():
    from daphne.http_protocol import HTTPFactory

    import vigilsite.asgi  # noqa: F401 - installs the patch, as daphne's import does

    assert HTTPFactory(server=None).timeOut == IDLE_TIMEOUT_SECONDS <= 30
