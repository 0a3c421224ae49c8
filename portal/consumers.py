"""Shared consumer plumbing, the member's live notification socket, and a minimal endpoint the load balancer and tests use."""

import asyncio
import logging
import time

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import InMemoryChannelLayer
from django.utils.translation import gettext as _

from portal.cache import OUTAGE_ERRORS
from portal.inputs import JSON_ERROR_TEXTS, JSONInputError, load_json
from portal.notifications import notification_state, notifications_group

logger = logging.getLogger(__name__)

#: Close code of an open socket whose channel layer became unreachable: the page says "live updates paused".
LAYER_UNAVAILABLE = 4503
_LOG_INTERVAL_SECONDS = 60.0
_last_logged = float("-inf")


class LayerOutageMixin:
    """A channel layer that cannot be reached (Redis stopped) refuses new sockets and closes open ones.

    Without this, the layer's connection error escapes the consumer and the server logs a traceback
    per socket. A socket still connecting is refused (the handshake fails, so the page never
    believes it is live); an open one is closed with code 4503. Either way the page shows "live
    updates paused" and reconnects with growing delays until Redis is back.
    """

    async def __call__(self, scope, receive, send):
        state = {"accepted": False, "closed": False}

        async def watched_send(message):
            if message["type"] == "websocket.accept":
                state["accepted"] = True
            elif message["type"] == "websocket.close":
                state["closed"] = True
            await send(message)

        try:
            return await super().__call__(scope, receive, watched_send)
        except OUTAGE_ERRORS as error:
            _log_outage(error)
            if state["closed"]:
                return None
            try:
                # Before the accept this refuses the handshake; after it, it closes with the code.
                await send({"type": "websocket.close", "code": LAYER_UNAVAILABLE})
            except Exception:  # noqa: BLE001 - the client may be gone already; nothing left to tell it
                logger.debug("Could not close a socket after a channel-layer outage", exc_info=True)
            return None


def _log_outage(error: BaseException) -> None:
    global _last_logged
    now = time.monotonic()
    if now - _last_logged >= _LOG_INTERVAL_SECONDS:
        _last_logged = now
        logger.warning(
            "Channel layer unreachable (%s: %s): live sockets are refused or closed", type(error).__name__, error
        )


class BroadcastDispatchMixin(LayerOutageMixin):
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


#: Frames of the JSON sockets are small flat objects; larger or deeper ones get an error frame.
MAX_FRAME_BYTES = 16_000
MAX_FRAME_DEPTH = 8


class LimitedJsonMixin:
    """JSON frames parsed with a size and depth limit; a refused frame gets an error frame, the socket stays open.

    Replaces AsyncJsonWebsocketConsumer's receive, whose plain json.loads lets a deeply nested
    frame raise RecursionError and end the connection.
    """

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if text_data is None:
            await self.send_json(
                {"type": "error", "error": "bad_frame", "message": _("Only text frames are accepted.")}
            )
            return
        try:
            content = load_json(text_data, max_bytes=MAX_FRAME_BYTES, max_depth=MAX_FRAME_DEPTH)
        except JSONInputError as exc:
            await self.send_json({"type": "error", "error": exc.code, "message": str(JSON_ERROR_TEXTS[exc.code])})
            return
        await self.receive_json(content, **kwargs)


class PingConsumer(LimitedJsonMixin, LayerOutageMixin, AsyncJsonWebsocketConsumer):
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


#: With the in-memory layer (no REDIS_URL) the task worker, which creates most notifications, runs in
#: another process and cannot reach this one's layer; the socket then re-reads the state this often.
LOCAL_LAYER_POLL_SECONDS: float | None = 5.0


class NotificationConsumer(BroadcastDispatchMixin, AsyncJsonWebsocketConsumer):
    """A member's header badge and notifications page: told when the member's own notifications change.

    Logged-in members only, each in a group of their own, so nothing of one member reaches another's
    socket. The group message carries no data: the consumer reads the member's own state (unread
    count, newest notification) and sends it when it differs from what it sent last, so a burst of
    changes or a repeated message costs the page nothing. The first frame after connecting is the
    current state, which also covers whatever changed while the socket was down.
    """

    poller: asyncio.Future | None = None

    async def __call__(self, scope, receive, send):
        try:
            return await super().__call__(scope, receive, send)
        finally:
            # However the socket ends (closed, refused by an outage), its poll ends with it.
            if self.poller is not None:
                self.poller.cancel()

    async def connect(self):
        self.group = None
        self.sent = None
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4403)
            return
        self.user_id = user.pk
        self.group = notifications_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self._refresh()
        if LOCAL_LAYER_POLL_SECONDS and isinstance(self.channel_layer, InMemoryChannelLayer):
            self.poller = asyncio.ensure_future(self._poll(LOCAL_LAYER_POLL_SECONDS))

    async def disconnect(self, code):
        if self.poller is not None:
            self.poller.cancel()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        # One-way like the thread socket: frames are not parsed and change nothing.
        await self.send_json({"type": "error", "error": "read_only"})

    async def notifications_changed(self, event):
        await self._refresh()

    async def _poll(self, seconds: float):
        while True:
            await asyncio.sleep(seconds)
            try:
                await self._refresh()
            except Exception:  # noqa: BLE001 - a failed read (database busy) is retried at the next tick
                logger.debug("Notification state poll failed", exc_info=True)

    async def _refresh(self):
        state = await database_sync_to_async(notification_state)(user_id=self.user_id)
        if state != self.sent:
            self.sent = state
            await self.send_json({"type": "notifications", "unread": state[0], "latest": state[1]})
