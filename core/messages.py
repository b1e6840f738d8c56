"""The broadcast contract: every kind of live message, the shape of what it carries, who may see it.

One module, so a newcomer (or the map's script) reads the whole WebSocket protocol in one place, and
``core.broadcast.broadcast_on_commit`` checks each message against it before it leaves: a sender that
forgets a field fails in its own tests instead of breaking every open map.
"""

from __future__ import annotations

from typing import Any, NamedTuple, TypedDict


class EventMessage(TypedDict):
    """``event.opened`` / ``event.updated`` / ``event.status``: an event, exactly as the API returns it."""

    id: int
    kind: str
    camera: int
    camera_name: str
    rule: int | None
    label: str
    title: str
    detail: str
    severity: str
    status: str
    latitude: float
    longitude: float
    danger_radius_m: int
    first_seen: str
    last_seen: str
    updated_at: str
    hit_count: int
    peak_count: int
    recommended_actions: str
    assignee: str | None
    resolution_note: str
    resolved_at: str | None
    escalated_at: str | None
    snapshot_url: str | None
    snapshot_at: str | None
    admin_url: str
    actions: list[str]
    # The texts above that Vigil wrote (``core.stored_text``), as keys and parameters: each socket renders
    # them in its reader's language before sending.
    texts: dict[str, Any]


class CameraStatusMessage(TypedDict):
    """``camera.status``: a camera's health changed (the camera API's fields of the same names)."""

    id: int
    status: str
    last_error: str
    last_frame_at: str | None


class CameraRef(TypedDict):
    id: int
    name: str
    slug: str


class Figures(TypedDict):
    current: int
    entry: int
    exit: int


class FlowCountsMessage(TypedDict):
    """``flow.counts``: a camera's counters, as the flow dashboard shows them.

    Besides these keys, one per counted label (``"person": Figures``): entries and exits since the
    daily reset, and how many are in view now. ``zones`` maps a zone's name to ``{label: people now}``;
    ``areas`` holds ``{"id", "name", "capacity", <label>: Figures}`` for each area the camera's lines feed.
    """

    camera: CameraRef
    at: str
    zones: dict[str, dict[str, int]]
    areas: list[dict[str, Any]]


class EmptyMessage(TypedDict):
    """``bench.done``: bench/ws_fanout.py's end marker."""


class Kind(NamedTuple):
    shape: type
    permission: str | None  # None: it carries nothing, any open socket gets it
    extra_keys: bool = False  # whether keys beyond the shape's are allowed (flow.counts' labels)


# Every kind ``broadcast_on_commit`` may send, with the permission a user needs to be sent it (the one
# of the page or API that shows the same data). Each socket relays a kind only to a user holding its
# permission (``events.socket_access``).
KINDS: dict[str, Kind] = {
    "event.opened": Kind(EventMessage, "events.view_event"),
    "event.updated": Kind(EventMessage, "events.view_event"),
    "event.status": Kind(EventMessage, "events.view_event"),
    "camera.status": Kind(CameraStatusMessage, "cameras.view_camera"),  # status and last error, as the camera API
    "flow.counts": Kind(FlowCountsMessage, "flow.view_crossing", extra_keys=True),
    "bench.done": Kind(EmptyMessage, None),
}

MESSAGE_PERMISSIONS: dict[str, str | None] = {kind: spec.permission for kind, spec in KINDS.items()}


def message_check(kind: str, data: dict[str, Any]) -> None:
    """Raise ``ValueError`` unless ``data`` has exactly the keys of ``kind``'s shape (a set difference:
    cheap enough for every frame; the values' types are the senders' tests' business)."""
    spec = KINDS.get(kind)
    if spec is None:
        # Refused here, loudly, rather than dropped by every socket without a word.
        raise ValueError(f"{kind!r} is not in core.messages.KINDS (MESSAGE_PERMISSIONS): no socket would relay it")
    keys = data.keys()
    missing = spec.shape.__required_keys__ - keys
    extra = set() if spec.extra_keys else keys - spec.shape.__annotations__.keys()
    if missing or extra:
        raise ValueError(f"{kind} message: missing {sorted(missing)}, unexpected {sorted(extra)}")
