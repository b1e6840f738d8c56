"""The raw TCP feed: one JSON line per change of a camera's counters, for existing desktop dashboards.

Each configured ``host:port`` (``VIGIL_FLOW_FEED``) gets its own sender thread that connects,
writes lines and reconnects after a failure (1 s, 2 s, ... 30 s). A dashboard wants the present,
not history: while a target is unreachable only each camera's newest line is kept; on every
(re)connection each camera's newest line is sent first, so a dashboard starts from the present.
A slow or dead dashboard never holds up the analysis.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from typing import Any

from django.conf import settings

from core import outbound

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0
MAX_PAUSE = 30.0


class FeedTarget:
    """One subscriber: the newest line of each camera waits here until it is sent."""

    def __init__(self, address: str) -> None:
        host, _, port = address.rpartition(":")
        self.address, self.host, self.port = address, host.strip("[]"), int(port)
        self.sent = 0
        self._pending: dict[Any, bytes] = {}
        self._last: dict[Any, bytes] = {}
        self._wake = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=f"flow-feed-{address}", daemon=True)
        self._thread.start()

    def put(self, key: Any, line: bytes) -> None:
        with self._wake:
            self._pending.pop(key, None)  # re-inserted last: lines leave in the order of their newest change
            self._pending[key] = line
            self._wake.notify()

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify()
        self._thread.join(5)

    def idle(self) -> bool:
        with self._wake:
            return not self._pending

    def _run(self) -> None:
        failures = 0
        while not self._closed:
            try:
                # Checked like every outbound connection: never a link-local or metadata address.
                with outbound.connect(self.host, self.port, timeout=CONNECT_TIMEOUT) as sock:
                    logger.info("flow feed connected to %s", self.address)
                    failures = 0
                    with self._wake:
                        self._pending = {**self._last, **self._pending}
                    self._send_until_closed(sock)
            except (OSError, outbound.BlockedAddress) as exc:
                failures += 1
                logger.info("flow feed to %s: %s; retrying", self.address, exc)
                with self._wake:
                    self._wake.wait_for(lambda: self._closed, timeout=min(2 ** (failures - 1), MAX_PAUSE))

    def _send_until_closed(self, sock: socket.socket) -> None:
        while True:
            with self._wake:
                self._wake.wait_for(lambda: self._pending or self._closed, timeout=10)
                if self._closed:
                    return
                if not self._pending:
                    continue
                key = next(iter(self._pending))
                line = self._pending[key]
            sock.sendall(line)  # a failure leaves the line pending: it goes again after the reconnect
            with self._wake:
                self._last[key] = line
                if self._pending.get(key) is line:
                    del self._pending[key]
            self.sent += 1


_targets: list[FeedTarget] | None = None
_targets_pid: int | None = None
_lock = threading.Lock()


def feed_targets() -> list[FeedTarget]:
    """This process's senders, one per configured target (started on first use, again after a fork)."""
    global _targets, _targets_pid
    with _lock:
        if _targets is None or _targets_pid != os.getpid():
            _targets = [FeedTarget(address) for address in settings.FLOW_FEED_TARGETS]
            _targets_pid = os.getpid()
        return _targets


def feed_send(key: Any, data: dict[str, Any]) -> None:
    """Queue ``data`` as one JSON line for every subscriber (replacing an unsent line with the same key)."""
    targets = feed_targets()
    if not targets:
        return
    line = (json.dumps(data, separators=(",", ":")) + "\n").encode()
    for target in targets:
        target.put(key, line)


def feeds_close() -> None:
    """Stop the senders (tests switch targets; a process exiting needs nothing)."""
    global _targets
    with _lock:
        for target in _targets or []:
            target.close()
        _targets = None
