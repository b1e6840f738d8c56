"""The one way sync code tells map viewers about changes: after the commit, never before."""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from events.consumers import EVENTS_GROUP

logger = logging.getLogger(__name__)


def broadcast_on_commit(kind: str, data: dict[str, Any]) -> None:
    """Send ``{"type": kind, "data": data}`` to every connected viewer once the transaction commits."""
    transaction.on_commit(lambda: _send(kind, data))


def _send(kind: str, data: dict[str, Any]) -> None:
    try:
        async_to_sync(get_channel_layer().group_send)(
            EVENTS_GROUP, {"type": "broadcast", "payload": {"type": kind, "data": data}}
        )
    except Exception:
        # The map catches up from the API after a reconnect; a lost push must not fail a task.
        logger.warning("broadcast of %s failed", kind, exc_info=True)
