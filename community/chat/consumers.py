"""WebSocket endpoints of the chat: one per chat room and one for the moderator console.

Every inbound frame is validated and authorised afresh (the member and the chat are read
again), so a closed chat, a removed role or a deactivated account takes effect at once.
"""

from __future__ import annotations

import json
import time
from collections import deque
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _

from community.chat import live, permissions, selectors, services
from community.chat.models import Chat, ChatStatus, MessageKind
from portal import pii_warning
from portal.consumers import BroadcastDispatchMixin
from portal.inputs import JSONInputError, load_json

MAX_FRAME_CHARS = 16_000
# A frame is a flat object; a nested one is refused before parsing, so it cannot exhaust the parser.
MAX_FRAME_BYTES = MAX_FRAME_CHARS * 4
MAX_FRAME_DEPTH = 8


class MissingField(Exception):
    """A frame lacks a field its type needs."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


def _frames_limit() -> tuple[int, float]:
    return settings.CHAT_CONNECTION_FRAMES, settings.CHAT_CONNECTION_WINDOW


def _language(scope) -> str:
    query = parse_qs((scope.get("query_string") or b"").decode("latin-1"))
    wanted = (query.get("lang") or [""])[0]
    codes = {code for code, _name in settings.LANGUAGES}
    return wanted if wanted in codes else settings.LANGUAGE_CODE


def _fresh_user(user_id: int):
    """The member as stored now: a deactivated account or a removed role counts from the next frame."""
    from portal.models import User

    return User.objects.filter(pk=user_id, is_active=True).first()


class FrameMixin(BroadcastDispatchMixin):
    """Shared frame handling: size, JSON, per-connection flood limit, error frames."""

    channel_layer_alias = live.layer_alias()

    async def setup_frames(self):
        self.frame_times: deque[float] = deque()
        self.language = _language(self.scope)

    async def send_frame(self, payload: dict) -> None:
        await self.send(text_data=json.dumps(payload, separators=(",", ":")))

    async def send_error(self, code: str, message: str = "", ref=None) -> None:
        frame = {"type": "error", "error": code}
        with translation.override(self.language):
            frame["message"] = str(message) if message else str(ERROR_TEXTS.get(code, lambda: "")())
        if isinstance(ref, str | int) and not isinstance(ref, bool):
            frame["ref"] = ref
        await self.send_frame(frame)

    def over_connection_limit(self) -> tuple[bool, bool]:
        """(limited, abusive): limited frames get an error; far beyond the limit the socket closes."""
        limit, window = _frames_limit()
        now = time.monotonic()
        while self.frame_times and now - self.frame_times[0] > window:
            self.frame_times.popleft()
        self.frame_times.append(now)
        count = len(self.frame_times)
        return count > limit, count > limit * 5

    async def parse_frame(self, text_data, bytes_data):
        """The frame as a dict, or None after an error frame was sent."""
        limited, abusive = self.over_connection_limit()
        if abusive:
            await self.send_error("rate_limited")
            await self.close(code=4429)
            return None
        if limited:
            await self.send_error("rate_limited")
            return None
        if text_data is None:
            await self.send_error("bad_frame")
            return None
        if len(text_data) > MAX_FRAME_CHARS:
            await self.send_error("too_large")
            return None
        try:
            content = load_json(text_data, max_bytes=MAX_FRAME_BYTES, max_depth=MAX_FRAME_DEPTH)
        except JSONInputError as exc:
            await self.send_error(exc.code)
            return None
        if not isinstance(content, dict):
            await self.send_error("bad_json")
            return None
        return content


ERROR_TEXTS = {
    "bad_frame": lambda: _("Only text frames are accepted."),
    "too_large": lambda: _("The message is too large."),
    "bad_json": lambda: _("The frame is not a JSON object."),
    "too_deep": lambda: _("The frame is nested too deeply."),
    "unknown_type": lambda: _("Unknown frame type."),
    "missing_field": lambda: _("A required field is missing."),
    "rate_limited": lambda: _("You are sending too fast. Please wait a moment."),
    "forbidden": lambda: _("You may not do that in this chat."),
    "invalid": lambda: _("The input is not valid."),
}


class ChatConsumer(FrameMixin, AsyncWebsocketConsumer):
    """A chat room: the member, the moderator on the chat, and moderators looking in."""

    HANDLERS = {
        "sync": "handle_sync",
        "message": "handle_message",
        "typing": "handle_typing",
        "delivered": "handle_delivered",
        "take": "handle_take",
        "close": "handle_close",
        "transfer": "handle_transfer",
        "tag": "handle_tag",
        "offer_thread": "handle_offer_thread",
        "ping": "handle_ping",
    }

    async def connect(self):
        self.chat_id = None
        self.in_waiting_group = False
        await self.setup_frames()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        hello = await self._hello(user.pk, self.scope["url_route"]["kwargs"]["chat_id"])
        if hello is None:
            await self.close(code=4403)
            return
        self.user_id = user.pk
        self.chat_id = hello["chat"]["id"]
        self.role = hello["role"]
        await self.channel_layer.group_add(live.chat_group(self.chat_id), self.channel_name)
        if self.role == "member" and hello["chat"]["status"] == ChatStatus.WAITING:
            await self.channel_layer.group_add(live.WAITING_GROUP, self.channel_name)
            self.in_waiting_group = True
        await self.accept()
        await self.send_frame(hello)

    async def disconnect(self, code):
        if self.chat_id is not None:
            await self.channel_layer.group_discard(live.chat_group(self.chat_id), self.channel_name)
        if self.in_waiting_group:
            await self.channel_layer.group_discard(live.WAITING_GROUP, self.channel_name)

    @database_sync_to_async
    def _hello(self, user_id: int, chat_id) -> dict | None:
        user = _fresh_user(user_id)
        try:
            chat = permissions.access_chat(user, chat_id)
        except Http404:
            return None
        role = "member" if chat.member_id == user.pk else ("moderator" if chat.moderator_id == user.pk else "observer")
        return {"type": "hello", "role": role, "chat": self._chat_state(chat), "queue": selectors.queue_position(chat)}

    @staticmethod
    def _chat_state(chat: Chat) -> dict:
        return {
            "id": chat.pk,
            "status": chat.status,
            "last_seq": chat.last_seq,
            "moderator": chat.moderator.public_name if chat.moderator else "",
            "moderator_id": chat.moderator_id,
            "thread_offer": bool(chat.thread_offer_forum_id and not chat.thread_id),
        }

    # --- inbound -----------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None):
        content = await self.parse_frame(text_data, bytes_data)
        if content is None:
            return
        ref = content.get("ref")
        handler = self.HANDLERS.get(content.get("type")) if isinstance(content.get("type"), str) else None
        if handler is None:
            await self.send_error("unknown_type", ref=ref)
            return
        try:
            reply = await self._authorised(getattr(self, handler), content)
        except MissingField as exc:
            await self.send_error("missing_field", _("The field “%(name)s” is missing.") % {"name": exc.name}, ref=ref)
            return
        except services.ChatRateLimited as exc:
            await self.send_error("rate_limited", str(exc), ref=ref)
            return
        except ValidationError as exc:
            await self.send_error("invalid", " ".join(exc.messages), ref=ref)
            return
        except (PermissionDenied, Http404):
            await self.send_error("forbidden", ref=ref)
            return
        if reply is not None:
            if isinstance(ref, str | int) and not isinstance(ref, bool):
                reply["ref"] = ref
            await self.send_frame(reply)

    @database_sync_to_async
    def _authorised(self, handler, content: dict):
        """Re-read member and chat for this frame, then run the (synchronous) handler."""
        user = _fresh_user(self.user_id)
        chat = permissions.access_chat(user, self.chat_id)
        with translation.override(self.language):
            return handler(user, chat, content)

    @staticmethod
    def _field(content: dict, name: str):
        if name not in content:
            raise MissingField(name)
        return content[name]

    def handle_ping(self, user, chat, content):
        return {"type": "pong"}

    def handle_sync(self, user, chat, content):
        last_seq = self._field(content, "last_seq")
        if isinstance(last_seq, bool) or not isinstance(last_seq, int) or last_seq < 0:
            raise ValidationError(_("Invalid sequence number."))
        messages = selectors.messages_after(chat_id=chat.pk, after_seq=last_seq)
        return {
            "type": "replay",
            "messages": [self._localised(services.message_payload(m)) for m in messages],
            "last_seq": chat.last_seq,
            "chat": self._chat_state(chat),
            "queue": selectors.queue_position(chat),
        }

    def handle_message(self, user, chat, content):
        body = self._field(content, "body")
        if user.pk == chat.member_id and chat.is_open and isinstance(body, str):
            # Only the member is warned: support staff share contact details as part of their work.
            found = pii_warning.review(content, body)
            if found.held:
                client_id = content.get("client_id")
                return {
                    "type": "pii_warning",
                    "client_id": client_id if isinstance(client_id, str) else "",
                    "findings": found.payload(),
                }
            body = found.applied(body)
        message, created = services.message_post(
            chat=chat, author=user, body=body, client_id=content.get("client_id", "")
        )
        if created and message.kind == MessageKind.MEMBER:
            # Until a person joins, the help bot answers the member's lines (after the line itself is out).
            services.bot_reply(chat=chat, message=message)
        return {
            "type": "ack",
            "client_id": message.client_id,
            "seq": message.seq,
            "id": message.pk,
            "duplicate": not created,
        }

    def handle_typing(self, user, chat, content):
        if not permissions.can_post_in_chat(user, chat):
            raise PermissionDenied
        kind = MessageKind.MEMBER if user.pk == chat.member_id else MessageKind.STAFF
        live.send(
            live.chat_group(chat.pk),
            {
                "type": "chat.typing",
                "kind": kind,
                "handle": user.public_name,
                "team": user.is_team,
                "sender": self.channel_name,
            },
        )
        return None

    def handle_delivered(self, user, chat, content):
        services.messages_mark_delivered(chat=chat, reader=user, up_to_seq=self._field(content, "seq"))
        return None

    def handle_take(self, user, chat, content):
        services.chat_take(chat=chat, moderator=user)
        return None

    def handle_close(self, user, chat, content):
        services.chat_close(chat=chat, actor=user)
        return None

    def handle_transfer(self, user, chat, content):
        to_id = self._field(content, "to")
        target = _fresh_user(to_id) if isinstance(to_id, int) and not isinstance(to_id, bool) else None
        if target is None:
            raise ValidationError(_("Choose another moderator."))
        services.chat_transfer(chat=chat, actor=user, to=target)
        return None

    def handle_tag(self, user, chat, content):
        tag = services.chat_tag_add(chat=chat, actor=user, name=self._field(content, "name"))
        return {"type": "tagged", "tag": tag.name if tag else None}

    def handle_offer_thread(self, user, chat, content):
        from community.models import Forum

        forum_id = self._field(content, "forum")
        forum = Forum.objects.filter(pk=forum_id).first() if isinstance(forum_id, int) else None
        services.chat_thread_offer(chat=chat, actor=user, forum=forum)
        return None

    def _localised(self, payload: dict) -> dict:
        if payload["kind"] == MessageKind.SYSTEM:
            from django.utils.html import escape

            with translation.override(self.language):
                payload["html"] = escape(selectors.system_text(payload["body"]))
        return payload

    # --- group events ------------------------------------------------------------------------

    async def chat_message(self, event):
        if "frame" in event:
            await self.send(text_data=event["frame"])
            return
        await self.send_frame({"type": "message", "message": self._localised(dict(event["message"]))})

    async def chat_state(self, event):
        state = event["state"]
        if self.in_waiting_group and state["status"] != ChatStatus.WAITING:
            await self.channel_layer.group_discard(live.WAITING_GROUP, self.channel_name)
            self.in_waiting_group = False
        await self.send_frame({"type": "state", **state})
        if self.role == "member" and not self.in_waiting_group and state["status"] == ChatStatus.WAITING:
            # Handed over by the help bot: the member now waits in the queue and follows its position.
            await self.channel_layer.group_add(live.WAITING_GROUP, self.channel_name)
            self.in_waiting_group = True
            await self.send_frame({"type": "queue", "position": await self._queue_position()})

    async def chat_bot_feedback(self, event):
        if self.role == "member":
            await self.send_frame({"type": "bot_feedback", "answer": event["answer"]})

    async def chat_delivered(self, event):
        await self.send_frame({"type": "delivered", "seq": event["seq"], "kind": event["kind"]})

    async def chat_typing(self, event):
        if event.get("sender") != self.channel_name:
            await self.send_frame(
                {"type": "typing", "kind": event["kind"], "handle": event["handle"], "team": event.get("team", False)}
            )

    async def chat_tags(self, event):
        if self.role != "member":
            await self.send_frame({"type": "tags", "tags": event["tags"]})

    async def queue_changed(self, event):
        if self.in_waiting_group:
            position = await self._queue_position()
            await self.send_frame({"type": "queue", "position": position})

    @database_sync_to_async
    def _queue_position(self):
        chat = Chat.objects.filter(pk=self.chat_id).first()
        return selectors.queue_position(chat) if chat else None


class ConsoleConsumer(FrameMixin, AsyncWebsocketConsumer):
    """The moderators' live list of waiting, active and offline chats."""

    async def connect(self):
        self.joined = False
        await self.setup_frames()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.user_id = user.pk
        snapshot = await self._snapshot()
        if snapshot is None:
            await self.close(code=4403)
            return
        await self.channel_layer.group_add(live.CONSOLE_GROUP, self.channel_name)
        self.joined = True
        await self.accept()
        await self.send_frame(snapshot)

    async def disconnect(self, code):
        if self.joined:
            await self.channel_layer.group_discard(live.CONSOLE_GROUP, self.channel_name)

    @database_sync_to_async
    def _snapshot(self) -> dict | None:
        """The lists, only while the member still holds the moderator role."""
        user = _fresh_user(self.user_id)
        if user is None or not permissions.is_chat_moderator(user):
            return None
        return {"type": "queue", **selectors.console_payload(selectors.console_lists(), viewer=user)}

    async def receive(self, text_data=None, bytes_data=None):
        content = await self.parse_frame(text_data, bytes_data)
        if content is None:
            return
        if content.get("type") != "refresh":
            await self.send_error("unknown_type", ref=content.get("ref"))
            return
        await self._push()

    async def _push(self):
        snapshot = await self._snapshot()
        if snapshot is None:
            await self.send_error("forbidden")
            await self.close(code=4403)
            return
        await self.send_frame(snapshot)

    async def queue_changed(self, event):
        await self._push()
