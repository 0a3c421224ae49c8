"""Channel-layer groups of the chat and the after-commit broadcasts the services schedule."""

from __future__ import annotations

import logging
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)


def layer_alias() -> str:
    """The chat's own layer (Redis pub/sub in production) when configured, else the default one."""
    return "chat" if "chat" in settings.CHANNEL_LAYERS else "default"


CONSOLE_GROUP = "chat.console"
WAITING_GROUP = "chat.waiting"


def chat_group(chat_id: int) -> str:
    return f"chat.room.{chat_id}"


def send(group: str, event: dict) -> None:
    """Hand one event to a group; a failing layer is logged, never raised into the member's action."""
    layer = get_channel_layer(layer_alias())
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:
        logger.exception("Chat broadcast to %s failed", group)


def send_on_commit(group: str, event: dict) -> None:
    """Hand ``event`` to ``group`` once the transaction commits; a rolled-back write is never announced."""
    transaction.on_commit(partial(send, group, event))


def queue_changed_on_commit() -> None:
    """Consoles and waiting members re-read the queue only when the change is visible to their reads."""
    transaction.on_commit(queue_changed)


def queue_changed() -> None:
    """Consoles refresh their lists and waiting members their queue position."""
    send(CONSOLE_GROUP, {"type": "queue.changed"})
    send(WAITING_GROUP, {"type": "queue.changed"})
