"""The embedded run's supervisor state, as ``/healthz`` shows it.

The supervisor (``system/runner.py``) restarts a crashed child with back-off; while it does,
this record says which child is down, how often it crashed and when it comes back. It expires
by itself when no supervisor refreshes it (an installation run by docker-compose or systemd has
none, and ``/healthz`` then shows no supervisor component).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Literal, TypedDict

logger = logging.getLogger(__name__)

SUPERVISOR_STATE_KEY = "vigil:supervisor:state"
# Refreshed every couple of seconds; gone soon after the supervisor is.
SUPERVISOR_STATE_TTL_SECONDS = 15

ChildStateName = Literal["starting", "running", "restarting", "stopped"]


class ChildState(TypedDict):
    """One supervised process, as recorded in ``SUPERVISOR_STATE_KEY``."""

    state: ChildStateName
    pid: int | None
    restarts: int
    last_exit_code: int | None
    restart_in_s: float | None


def supervisor_state_dump(children: dict[str, ChildState], *, at: float) -> str:
    return json.dumps({"at": at, "children": children})


def supervisor_state_parse(raw: bytes | str | None) -> dict[str, Any] | None:
    """The health component for a recorded state; None when no supervisor runs."""
    if raw is None:
        return None
    try:
        children: dict[str, ChildState] = json.loads(raw)["children"]
        down = sorted(name for name, child in children.items() if child["state"] != "running")
    except (ValueError, TypeError, KeyError, AttributeError):
        logger.warning("ignoring an unreadable supervisor state")
        return {"ok": False, "error": "the supervisor's state is unreadable", "children": {}}
    component: dict[str, Any] = {"ok": not down, "children": children}
    if down:
        component["error"] = "not running: " + ", ".join(down)
    return component
