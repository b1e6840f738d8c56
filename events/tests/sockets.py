"""Opening the live WebSocket in tests: the real ASGI app, with the headers a browser on the site sends."""

from __future__ import annotations

from channels.testing import WebsocketCommunicator
from django.conf import settings

from core.messages import KINDS
from vigilsite.asgi import application

SITE = "localhost"  # in the development ALLOWED_HOSTS
SITE_HEADERS = [(b"host", SITE.encode()), (b"origin", f"http://{SITE}".encode())]


def session_cookie(client) -> tuple[bytes, bytes]:
    """The Cookie header of the test client's session (log it in first)."""
    return (b"cookie", f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode())


def site_headers(client=None) -> list[tuple[bytes, bytes]]:
    """Host and Origin of a page of the site, and ``client``'s session cookie when it has one."""
    headers = list(SITE_HEADERS)
    if client is not None and settings.SESSION_COOKIE_NAME in client.cookies:
        headers.append(session_cookie(client))
    return headers


def communicator(headers: list[tuple[bytes, bytes]], path: str = "/ws/events/") -> WebsocketCommunicator:
    return WebsocketCommunicator(application, path, headers=headers)


async def close_code_after_accept(headers: list[tuple[bytes, bytes]], path: str = "/ws/events/") -> int | None:
    """The code a socket is closed with right after its handshake was accepted.

    None when the handshake was refused (an HTTP 403 to a browser) or the socket stays open.
    A refused user's close follows the accept at once, with nothing awaited in between.
    """
    socket = communicator(headers, path)
    connected, _ = await socket.connect(timeout=5)
    if not connected:
        return None
    code = None
    if not await socket.receive_nothing(timeout=1):
        message = await socket.receive_output(timeout=5)
        code = message.get("code") if message["type"] == "websocket.close" else None
    await socket.disconnect()
    return code


def shaped(kind: str, **values) -> dict:
    """A message with every key ``kind``'s shape declares (``core.messages``), ``values`` set."""
    return dict.fromkeys(KINDS[kind].shape.__annotations__) | values


def camera_status(camera_id: int, status: str) -> dict:
    """A ``camera.status`` message as ``livemap.receivers`` sends it."""
    return shaped("camera.status", id=camera_id, status=status, last_error="", last_frame_at=None)
