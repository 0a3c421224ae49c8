"""Shared consumer plumbing, and a minimal WebSocket endpoint the load balancer and tests use."""

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer


class BroadcastDispatchMixin:
    """Group events go straight to their handler.

    Channels runs ``close_old_connections`` in the single database thread before every message.
    For a broadcast that is one thread hop per connected socket per message, which queues a
    fan-out to hundreds of sockets behind the database thread. Consumers using this mixin touch
    the database in group-event handlers only through ``database_sync_to_async`` (which closes
    stale connections itself), so only socket events (connect, receive, disconnect) keep the
    default path.
    """

    async def dispatch(self, message):
        if message["type"].startswith("websocket."):
            return await super().dispatch(message)
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        return await handler(message)


class PingConsumer(AsyncJsonWebsocketConsumer):
    """Answers {"type": "ping"} with {"type": "pong", "user": <handle or null>} through the channel layer."""

    async def connect(self):
        self.group = f"ping.{self.channel_name.replace('!', '_')}"[:90]
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict) or content.get("type") != "ping":
            await self.send_json({"type": "error", "error": "unknown_type"})
            return
        user = self.scope.get("user")
        handle = user.handle if user is not None and user.is_authenticated else None
        await self.channel_layer.group_send(self.group, {"type": "pong.message", "user": handle})

    async def pong_message(self, event):
        await self.send_json({"type": "pong", "user": event["user"]})

    @classmethod
    async def decode_json(cls, text_data):
        import json

        try:
            return json.loads(text_data)
        except ValueError:
            return None
