"""A minimal WebSocket endpoint the load balancer and tests use to check the socket path."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer


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
