"""A real TCP server that collects JSON lines, like a desktop dashboard listening for Vigil's feed."""

from __future__ import annotations

import contextlib
import json
import socket
import socketserver
import threading


class LineServer:
    """Listens on ``port`` (a free one by default); ``lines`` are the decoded JSON lines received."""

    def __init__(self, port: int = 0) -> None:
        self.lines: list[dict] = []
        self.connections = 0
        self._open: list = []
        received, server = self.lines, self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                server.connections += 1
                server._open.append(self.connection)
                for raw in self.rfile:
                    received.append(json.loads(raw))

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop listening and drop the connections (the dashboard was closed)."""
        self._server.shutdown()
        self._server.server_close()
        for connection in self._open:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
