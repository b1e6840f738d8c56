from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

EVENTS_GROUP = "events"
READ_ONLY = "This socket only pushes changes; act on events through the API (POST /api/events/<id>/<action>/)."


class EventsConsumer(AsyncJsonWebsocketConsumer):
    """Pushes event and camera-status changes to users who may view events (Viewers and up)."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        if not await database_sync_to_async(user.has_perm)("events.view_event"):
            await self.close(code=4403)
            return
        await self.channel_layer.group_add(EVENTS_GROUP, self.channel_name)
        await self.accept()

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        """The socket only pushes; anything sent to it is refused (acting on events goes through the API)."""
        await self.send_json({"type": "error", "status": 403, "detail": READ_ONLY})

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(EVENTS_GROUP, self.channel_name)

    async def broadcast(self, message: dict) -> None:
        """Relay a message sent to the group by ``events.broadcast``."""
        await self.send_json(message["payload"])
