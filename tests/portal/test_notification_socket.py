"""The member's notification socket: a group per member, told after commit, each socket reads only its own state."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from portal import consumers
from portal.models import Notification
from portal.notifications import notification_send, notification_state, notifications_mark_read
from portal.roles import Role
from tests.factories import make_member

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def _socket(user) -> WebsocketCommunicator:
    from portal.routing import websocket_urlpatterns

    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/notifications/")
    communicator.scope["user"] = user
    return communicator


def _notify(user, title="Your export is ready"):
    return notification_send(
        recipient=user, kind="account", message="portal.text", params={"title": title}, url="/privacy/"
    )


@pytest.fixture
def push_only(monkeypatch):
    """Only the group message may wake the socket (no polling of the in-memory layer)."""
    monkeypatch.setattr(consumers, "LOCAL_LAYER_POLL_SECONDS", None)


async def test_anonymous_visitors_are_refused():
    connected, code = await _socket(AnonymousUser()).connect()
    assert (connected, code) == (False, 4403)


async def test_the_first_frame_is_the_members_current_state(push_only):
    member = await database_sync_to_async(make_member)(role=Role.CUSTOMER)
    first = await database_sync_to_async(_notify)(member)
    socket = _socket(member)
    assert (await socket.connect())[0] is True
    assert await socket.receive_json_from(timeout=5) == {"type": "notifications", "unread": 1, "latest": first.pk}
    assert await socket.receive_nothing(timeout=0.3) is True
    await socket.disconnect()


async def test_a_new_notification_reaches_its_member_and_nobody_else(push_only):
    """After commit the member's socket gets the new count; another member's socket hears nothing."""
    member, other = await database_sync_to_async(lambda: (make_member(), make_member()))()
    mine, theirs = _socket(member), _socket(other)
    await mine.connect()
    await theirs.connect()
    assert await mine.receive_json_from(timeout=5) == {"type": "notifications", "unread": 0, "latest": 0}
    assert await theirs.receive_json_from(timeout=5) == {"type": "notifications", "unread": 0, "latest": 0}

    notice = await database_sync_to_async(_notify)(member)
    assert await mine.receive_json_from(timeout=5) == {"type": "notifications", "unread": 1, "latest": notice.pk}
    assert await theirs.receive_nothing(timeout=0.5) is True

    await database_sync_to_async(notifications_mark_read)(user=member)
    assert await mine.receive_json_from(timeout=5) == {"type": "notifications", "unread": 0, "latest": notice.pk}
    await mine.disconnect()
    await theirs.disconnect()


async def test_nothing_is_sent_before_commit_or_after_a_rollback(push_only):
    member = await database_sync_to_async(make_member)()
    socket = _socket(member)
    await socket.connect()
    await socket.receive_json_from(timeout=5)

    def rolled_back():
        with pytest.raises(RuntimeError), transaction.atomic():
            _notify(member)
            raise RuntimeError("abort")

    await database_sync_to_async(rolled_back)()
    assert await socket.receive_nothing(timeout=0.5) is True
    assert await database_sync_to_async(Notification.objects.filter(recipient=member).count)() == 0

    def committed_later():
        with transaction.atomic():
            return _notify(member)

    notice = await database_sync_to_async(committed_later)()
    assert await socket.receive_json_from(timeout=5) == {"type": "notifications", "unread": 1, "latest": notice.pk}
    await socket.disconnect()


async def test_a_group_message_without_a_change_sends_nothing(push_only):
    """The message carries no data; a socket whose member's state did not move stays quiet."""
    from channels.layers import get_channel_layer

    from portal.notifications import notifications_group

    member = await database_sync_to_async(make_member)()
    socket = _socket(member)
    await socket.connect()
    await socket.receive_json_from(timeout=5)
    await get_channel_layer().group_send(notifications_group(member.pk), {"type": "notifications.changed"})
    assert await socket.receive_nothing(timeout=0.5) is True
    await socket.disconnect()


async def test_client_frames_get_an_error_and_change_nothing(push_only):
    member = await database_sync_to_async(make_member)()
    await database_sync_to_async(_notify)(member)
    socket = _socket(member)
    await socket.connect()
    await socket.receive_json_from(timeout=5)
    await socket.send_json_to({"type": "read", "ids": "all"})
    assert await socket.receive_json_from(timeout=5) == {"type": "error", "error": "read_only"}
    assert await database_sync_to_async(notification_state)(user_id=member.pk) == (
        1,
        await sync_to_async(lambda: Notification.objects.get(recipient=member).pk)(),
    )
    await socket.disconnect()


async def test_with_the_in_memory_layer_a_change_from_another_process_arrives_by_polling(monkeypatch, settings):
    """The task worker is another process: its group message cannot reach an in-memory layer, the poll does."""
    from channels.layers import channel_layers

    from portal import events

    # The in-memory layer whatever the run uses (the PostgreSQL run of CI has Redis, which needs no poll).
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    monkeypatch.setattr(channel_layers, "backends", {})
    monkeypatch.setattr(consumers, "LOCAL_LAYER_POLL_SECONDS", 0.1)
    member = await database_sync_to_async(make_member)()
    socket = _socket(member)
    await socket.connect()
    assert await socket.receive_json_from(timeout=5) == {"type": "notifications", "unread": 0, "latest": 0}
    # As in the worker's process: the row is written, but no message reaches this process's layer.
    receivers = list(events.notifications_changed._receivers)
    for receiver in receivers:
        events.notifications_changed.disconnect(receiver)
    try:
        notice = await database_sync_to_async(_notify)(member)
    finally:
        for receiver in receivers:
            events.notifications_changed.connect(receiver)
    assert await socket.receive_json_from(timeout=5) == {"type": "notifications", "unread": 1, "latest": notice.pk}
    assert await socket.receive_nothing(timeout=0.4) is True  # unchanged state is not sent again
    await socket.disconnect()
