"""The one way sync code tells map viewers about changes: after the commit, never before.

Messages are handed to one sender thread per process that keeps its own event loop, so the
channel layer's Redis connection is reused (``async_to_sync`` per message would open a new one
each time) and messages leave in the order they were committed. A detect worker never waits
on the map.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import queue
import threading
from typing import Any

from channels.layers import get_channel_layer
from django.db import transaction

from core.messages import message_check

logger = logging.getLogger(__name__)

# The channel-layer group every live socket (``events.consumers.EventsConsumer``) joins.
EVENTS_GROUP = "events"

SEND_TIMEOUT_SECONDS = 5
_outbox: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue(maxsize=10_000)  # (group, channel-layer message)
_sender: threading.Thread | None = None
_sender_pid: int | None = None
_lock = threading.Lock()


def broadcast_on_commit(kind: str, data: dict[str, Any]) -> None:
    """Send ``{"type": kind, "data": data}`` to every connected viewer once the transaction commits.

    ``data`` must have the shape ``core.messages`` gives the kind (checked now, in the sender's
    process); each socket relays it only to a user with the kind's permission.
    """
    message_check(kind, data)
    message = {"type": "broadcast", "payload": {"type": kind, "data": data}}
    transaction.on_commit(lambda: _enqueue(EVENTS_GROUP, message))


def group_send_on_commit(group: str, message: dict[str, Any]) -> None:
    """Send a channel-layer ``message`` (its ``type`` names the consumer's handler) to ``group`` after the commit."""
    transaction.on_commit(lambda: _enqueue(group, message))


def _enqueue(group: str, message: dict[str, Any]) -> None:
    _sender_ensure()
    try:
        _outbox.put_nowait((group, message))
    except queue.Full:
        # The map catches up from the API after a reconnect; a stuck layer must not block a worker.
        logger.warning("broadcast of %s dropped: the outbox is full", _kind(message))


def _kind(message: dict[str, Any]) -> str:
    return message.get("payload", {}).get("type") or message["type"]


def _sender_ensure() -> None:
    global _sender, _sender_pid
    with _lock:
        # After a fork (prefork workers) the parent's thread does not exist in the child.
        if _sender is None or _sender_pid != os.getpid() or not _sender.is_alive():
            _sender = threading.Thread(target=_send_forever, name="vigil-broadcast", daemon=True)
            _sender_pid = os.getpid()
            _sender.start()


def _send_forever() -> None:
    loop = asyncio.new_event_loop()
    layer = get_channel_layer()
    while True:
        group, message = _outbox.get()
        try:
            loop.run_until_complete(asyncio.wait_for(layer.group_send(group, message), SEND_TIMEOUT_SECONDS))
        except Exception:
            logger.warning("broadcast of %s failed", _kind(message), exc_info=True)
        finally:
            _outbox.task_done()


def broadcasts_flush(timeout: float = 5.0) -> bool:
    """Wait until every queued message was sent (tests, and before a process exits)."""
    with _outbox.all_tasks_done:
        return _outbox.all_tasks_done.wait_for(lambda: not _outbox.unfinished_tasks, timeout)


atexit.register(broadcasts_flush, 2.0)
