"""The JSON an event is sent as over the WebSocket: exactly what the API returns for it."""

from __future__ import annotations

from typing import Any

from events.models import Event


def event_payload(event: Event) -> dict[str, Any]:
    from events.api.serializers import EventSerializer  # the serializer imports the workflow

    return dict(EventSerializer(event).data)
