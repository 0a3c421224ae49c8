"""WebSocket endpoint of a thread page: tells members who may view the thread which new post to fetch."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.http import Http404

from community import permissions
from community.live import thread_group
from portal.consumers import BroadcastDispatchMixin


class ThreadConsumer(BroadcastDispatchMixin, AsyncJsonWebsocketConsumer):
    """Joins the thread's group only after the same visibility check the thread page uses."""

    async def connect(self):
        self.group = None
        thread_id = self.scope["url_route"]["kwargs"]["thread_id"]
        if not await self._may_view(thread_id):
            await self.close(code=4403)
            return
        self.group = thread_group(thread_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    @database_sync_to_async
    def _may_view(self, thread_id: int) -> bool:
        user = self.scope.get("user")
        try:
            permissions.access_thread(user, thread_id)
        except Http404:
            return False
        return True

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        # The socket is one-way: anything a client sends gets an error frame and changes nothing.
        # Frames are not even parsed, so no size or nesting can reach a JSON parser here.
        await self.send_json({"type": "error", "error": "read_only"})

    async def post_created(self, event):
        # Only the id: each page fetches the post's HTML rendered for its own viewer.
        await self.send_json({"type": "post", "post_id": event["post_id"]})
