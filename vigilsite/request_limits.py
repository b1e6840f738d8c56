"""Request-body caps and a shorter idle timeout inside daphne, before Django ever runs.

daphne's request (Twisted's ``http.Request``) reads the WHOLE body (into memory, or a /tmp file
above 100 kB) before it calls the ASGI application, so no Django check or ASGI middleware can
stop a 150 MB anonymous upload or a ``Content-Length: 999999999999`` that never ends. This
module patches daphne's ``WebRequest`` and ``HTTPFactory`` (``install()``, called from
vigilsite/asgi.py, which every daphne Vigil starts imports before it serves: ``runvigil``, the
tests' daphne, docker-compose and the image):

- a declared ``Content-Length`` above the path's cap is answered 413 as soon as the headers are
  in, and the connection is closed without reading the body;
- a chunked body is counted as it arrives and cut off with 413 (body dropped) once it passes;
- a connection that sends nothing for ``IDLE_TIMEOUT_SECONDS`` (Twisted's default: 60 s) is
  closed, so a client that declares more than it sends is let go in 20 s.

The caps are coarse guards a little above the views' own limits, which still give the precise
413 (``VIGIL_FRAME_UPLOAD_MAX_BYTES``, ``VIGIL_MODEL_UPLOAD_MAX_BYTES``); a reverse proxy in
front should cap bodies as well (nginx ``client_max_body_size``).
"""

from __future__ import annotations

import io
import re
from typing import Any

from django.conf import settings

# Headers and multipart framing on top of the file itself.
SLACK_BYTES = 1024 * 1024
# A connection silent this long is closed (headers or body still to come, or idle keep-alive).
IDLE_TIMEOUT_SECONDS = 20

_FRAMES_PATH = re.compile(rb"/api/cameras/[^/?]+/frames/?")
_MODEL_ADMIN_PREFIX = b"/admin/detection/"
_installed = False


def body_limit(path: bytes) -> int:
    """The largest request body accepted for ``path``: frames, the model admin, everything else."""
    path = path.split(b"?", 1)[0]
    if _FRAMES_PATH.fullmatch(path):
        return settings.FRAME_UPLOAD_MAX_BYTES + SLACK_BYTES
    if path.startswith(_MODEL_ADMIN_PREFIX):  # weights files and the try-a-model image
        return settings.MODEL_UPLOAD_MAX_BYTES + SLACK_BYTES
    return settings.REQUEST_MAX_BYTES


def _refuse(request: Any) -> None:
    """Answer 413 on the raw transport and close: the request never reaches the application."""
    request._vigil_refused = True
    request.content = io.BytesIO()  # whatever Twisted still hands over is dropped
    # Twisted would answer "100 Continue" right after gotLength: no invitation to send the body.
    request.requestHeaders.removeHeader(b"Expect")
    channel = request.channel
    if channel is None or channel.transport is None:
        return
    text = f"Request body larger than {request._vigil_limit} bytes.\n".encode()
    channel.transport.write(
        b"HTTP/1.1 413 Content Too Large\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Connection: close\r\nContent-Length: " + str(len(text)).encode() + b"\r\n\r\n" + text
    )
    channel.loseConnection()


def install() -> None:
    """Patch daphne's request and factory classes once per process."""
    global _installed
    if _installed:
        return
    from daphne.http_protocol import HTTPFactory, WebRequest

    original_got_length = WebRequest.gotLength
    original_chunk = WebRequest.handleContentChunk
    original_process = WebRequest.process
    original_factory_init = HTTPFactory.__init__

    def gotLength(self: Any, length: int | None) -> None:  # Twisted's name
        # Called once the headers are in, before any body byte; the channel holds the request path.
        self._vigil_refused = False
        self._vigil_received = 0
        self._vigil_limit = body_limit(getattr(self.channel, "_path", b"") or b"")
        if length is not None and length > self._vigil_limit:
            _refuse(self)
            return
        original_got_length(self, length)

    def handleContentChunk(self: Any, data: bytes) -> None:  # Twisted's name
        if getattr(self, "_vigil_refused", False):
            return
        self._vigil_received += len(data)
        if self._vigil_received > self._vigil_limit:  # a chunked body (a declared one was checked)
            _refuse(self)
            return
        original_chunk(self, data)

    def process(self: Any) -> Any:
        if getattr(self, "_vigil_refused", False):
            return None
        return original_process(self)

    def factory_init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_factory_init(self, *args, **kwargs)
        self.timeOut = IDLE_TIMEOUT_SECONDS

    WebRequest.gotLength = gotLength
    WebRequest.handleContentChunk = handleContentChunk
    WebRequest.process = process
    HTTPFactory.__init__ = factory_init
    _installed = True
