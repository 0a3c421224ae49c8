"""The chat sockets through WebsocketCommunicator: authorisation on every frame, replay, bad input, floods."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from community.chat import services
from community.chat.models import Chat, ChatMessage, ChatStatus
from portal.roles import Role
from tests.chat.conftest import connect, frames_until, socket_app
from tests.factories import make_member

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def _setup():
    customer = make_member(role=Role.CUSTOMER)
    moderator = make_member(role=Role.MODERATOR)
    chat = services.chat_start(member=customer, topic="Invoice is missing", body="Where is it?")
    return customer, moderator, chat


async def test_anonymous_connections_are_refused():
    customer, _moderator, chat = await sync_to_async(_setup)()
    communicator, connected, code = await connect(f"/ws/chat/{chat.pk}/")
    assert (connected, code) == (False, 4401)
    console, connected, code = await connect("/ws/chat/console/")
    assert (connected, code) == (False, 4401)


async def test_a_second_customer_is_refused_on_every_chat_id():
    """Another customer cannot join any existing chat (nor unknown ids), and learns nothing about them."""

    def build():
        first, moderator, chat = _setup()
        third = make_member(role=Role.CUSTOMER)
        services.chat_take(chat=chat, moderator=moderator)
        other = services.chat_start(member=third, topic="Second chat here", body="hello")
        services.chat_close(chat=other, actor=third)
        intruder = make_member(role=Role.CUSTOMER)
        return intruder, sorted(Chat.objects.values_list("pk", flat=True))

    intruder, ids = await sync_to_async(build)()
    assert len(ids) == 2
    for chat_id in [*ids, max(ids) + 1, 999_999]:
        communicator, connected, code = await connect(f"/ws/chat/{chat_id}/", intruder)
        assert (chat_id, connected, code) == (chat_id, False, 4403)
    console, connected, code = await connect("/ws/chat/console/", intruder)
    assert (connected, code) == (False, 4403)


async def test_messages_flow_both_ways_and_are_stored_before_broadcast():
    customer, moderator, chat = await sync_to_async(_setup)()
    member_socket, connected, _ = await connect(f"/ws/chat/{chat.pk}/", customer)
    assert connected
    hello = await member_socket.receive_json_from()
    assert (hello["type"], hello["role"], hello["queue"], hello["chat"]["last_seq"]) == ("hello", "member", 1, 2)
    staff_socket, connected, _ = await connect(f"/ws/chat/{chat.pk}/", moderator)
    assert (await staff_socket.receive_json_from())["role"] == "observer"

    await staff_socket.send_json_to({"type": "take"})
    state = [f for f in await frames_until(member_socket, "state")][-1]
    assert (state["status"], state["moderator"]) == (ChatStatus.ACTIVE, moderator.handle)

    await member_socket.send_json_to({"type": "message", "body": "Hello *support*", "client_id": "m-1", "ref": 7})
    member_frames = await frames_until(member_socket, "ack")
    ack = member_frames[-1]
    assert (ack["client_id"], ack["seq"], ack["duplicate"], ack["ref"]) == ("m-1", 4, False, 7)
    staff_frames = [f for f in await frames_until(staff_socket, "message") if f["type"] == "message"]
    while staff_frames[-1]["message"]["seq"] != 4:
        staff_frames = await frames_until(staff_socket, "message")
    message = staff_frames[-1]["message"]
    assert (message["html"], message["author"], message["kind"]) == (
        "<p>Hello <em>support</em></p>",
        customer.handle,
        "member",
    )
    stored = await sync_to_async(ChatMessage.objects.get)(chat=chat, seq=4)
    assert stored.client_id == "m-1"
    await member_socket.disconnect()
    await staff_socket.disconnect()


async def test_reconnect_replays_exactly_what_was_missed_without_duplicates():
    customer, moderator, chat = await sync_to_async(_setup)()
    await sync_to_async(services.chat_take)(chat=chat, moderator=moderator)
    chat = await sync_to_async(Chat.objects.get)(pk=chat.pk)
    for text in ("one", "two", "three"):
        await sync_to_async(services.message_post)(chat=chat, author=moderator, body=text)
    socket, connected, _ = await connect(f"/ws/chat/{chat.pk}/", customer)
    await socket.receive_json_from()  # hello
    await socket.send_json_to({"type": "sync", "last_seq": 4})
    replay = await socket.receive_json_from()
    assert replay["type"] == "replay"
    assert [(m["seq"], m["html"]) for m in replay["messages"]] == [(5, "<p>two</p>"), (6, "<p>three</p>")]
    assert replay["last_seq"] == 6
    # The client resends a message it never saw acknowledged: stored once, acknowledged as a duplicate.
    await socket.send_json_to({"type": "message", "body": "again", "client_id": "retry-1"})
    first_ack = (await frames_until(socket, "ack"))[-1]
    await socket.send_json_to({"type": "message", "body": "again", "client_id": "retry-1"})
    second_ack = (await frames_until(socket, "ack"))[-1]
    assert (first_ack["seq"], second_ack["seq"], second_ack["duplicate"]) == (7, 7, True)
    assert await sync_to_async(ChatMessage.objects.filter(chat=chat).count)() == 7
    await socket.disconnect()


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        ("not json", "bad_json"),
        ("[1, 2]", "bad_json"),
        ('"text"', "bad_json"),
        ('{"type": "explode"}', "unknown_type"),
        ('{"type": 5}', "unknown_type"),
        ('{"body": "no type"}', "unknown_type"),
        ('{"type": "message"}', "missing_field"),
        ('{"type": "sync"}', "missing_field"),
        ('{"type": "sync", "last_seq": "x"}', "invalid"),
        ('{"type": "message", "body": 12}', "invalid"),
        ('{"type": "message", "body": "   "}', "invalid"),
        ('{"type": "message", "body": "' + "x" * 4001 + '"}', "invalid"),
        ('{"type": "message", "body": "' + "x" * 20000 + '"}', "too_large"),
        ('{"type": "message", "body": "hi", "client_id": "' + "c" * 41 + '"}', "invalid"),
        ('{"type": "delivered", "seq": -1}', "invalid"),
        ('{"type": "take"}', "forbidden"),
        ('{"type": "transfer", "to": 1}', "invalid"),
        ('{"type": "tag", "name": "lead"}', "forbidden"),
        ('{"type": "offer_thread", "forum": 1}', "forbidden"),
    ],
)
async def test_bad_frames_get_an_error_frame_change_nothing_and_keep_the_connection(frame, error):
    customer, _moderator, chat = await sync_to_async(_setup)()
    socket, connected, _ = await connect(f"/ws/chat/{chat.pk}/", customer)
    await socket.receive_json_from()
    await socket.send_to(text_data=frame)
    reply = await socket.receive_json_from()
    assert (reply["type"], reply["error"]) == ("error", error)
    assert reply["message"]
    fresh = await sync_to_async(Chat.objects.get)(pk=chat.pk)
    assert (fresh.status, fresh.last_seq, fresh.moderator_id) == (ChatStatus.WAITING, 2, None)
    assert await sync_to_async(ChatMessage.objects.filter(chat=chat).count)() == 2
    assert await sync_to_async(fresh.tags.count)() == 0
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from() == {"type": "pong"}
    await socket.disconnect()


async def test_binary_frames_are_refused():
    customer, _moderator, chat = await sync_to_async(_setup)()
    socket, _connected, _ = await connect(f"/ws/chat/{chat.pk}/", customer)
    await socket.receive_json_from()
    await socket.send_to(bytes_data=b"\x00\x01")
    assert (await socket.receive_json_from())["error"] == "bad_frame"
    await socket.disconnect()


async def test_connection_flood_is_limited_and_abuse_closes_the_socket(settings):
    settings.CHAT_CONNECTION_FRAMES = 5
    customer, _moderator, chat = await sync_to_async(_setup)()
    socket, _connected, _ = await connect(f"/ws/chat/{chat.pk}/", customer)
    await socket.receive_json_from()
    replies = []
    for _ in range(7):
        await socket.send_json_to({"type": "ping"})
        replies.append(await socket.receive_json_from())
    assert [r["type"] for r in replies] == ["pong"] * 5 + ["error"] * 2
    assert replies[-1]["error"] == "rate_limited"
    for _ in range(20):
        await socket.send_json_to({"type": "ping"})
    output = []
    while True:
        event = await socket.receive_output(timeout=3)
        output.append(event)
        if event["type"] == "websocket.close":
            break
    assert output[-1] == {"type": "websocket.close", "code": 4429}


async def test_member_flood_limit_holds_across_connections(settings):
    """The per-member limit counts messages from every socket of the member; over it nothing is stored."""
    settings.CHAT_MEMBER_MESSAGES_PER_MINUTE = 3
    customer, _moderator, chat = await sync_to_async(_setup)()
    first, _c, _ = await connect(f"/ws/chat/{chat.pk}/", customer)
    second, _c, _ = await connect(f"/ws/chat/{chat.pk}/", customer)
    await first.receive_json_from()
    await second.receive_json_from()
    for n, socket in enumerate([first, second, first]):
        await socket.send_json_to({"type": "message", "body": f"m{n}", "client_id": f"c{n}"})
        assert (await frames_until(socket, "ack"))[-1]["seq"] == 3 + n
    await second.send_json_to({"type": "message", "body": "too many", "client_id": "c9"})
    frames = await frames_until(second, "error")
    assert frames[-1]["error"] == "rate_limited"
    assert await sync_to_async(ChatMessage.objects.filter(chat=chat).count)() == 5
    await first.disconnect()
    await second.disconnect()


async def test_typing_notice_reaches_the_other_side_only():
    customer, moderator, chat = await sync_to_async(_setup)()
    await sync_to_async(services.chat_take)(chat=chat, moderator=moderator)
    member_socket, _c, _ = await connect(f"/ws/chat/{chat.pk}/", customer)
    staff_socket, _c, _ = await connect(f"/ws/chat/{chat.pk}/", moderator)
    await member_socket.receive_json_from()
    await staff_socket.receive_json_from()
    await member_socket.send_json_to({"type": "typing"})
    assert await staff_socket.receive_json_from() == {
        "type": "typing",
        "kind": "member",
        "handle": customer.handle,
        "team": False,
    }
    assert await member_socket.receive_nothing(timeout=0.3)
    await member_socket.disconnect()
    await staff_socket.disconnect()


async def test_delivery_state_reaches_the_sender():
    customer, moderator, chat = await sync_to_async(_setup)()
    await sync_to_async(services.chat_take)(chat=chat, moderator=moderator)
    member_socket, _c, _ = await connect(f"/ws/chat/{chat.pk}/", customer)
    staff_socket, _c, _ = await connect(f"/ws/chat/{chat.pk}/", moderator)
    await member_socket.receive_json_from()
    await staff_socket.receive_json_from()
    await staff_socket.send_json_to({"type": "message", "body": "Hi!", "client_id": "s1"})
    seq = (await frames_until(staff_socket, "ack"))[-1]["seq"]
    await member_socket.send_json_to({"type": "delivered", "seq": seq})
    delivered = (await frames_until(staff_socket, "delivered"))[-1]
    assert delivered == {"type": "delivered", "seq": seq, "kind": "staff"}
    stored = await sync_to_async(ChatMessage.objects.get)(chat=chat, seq=seq)
    assert stored.delivered_at is not None
    await member_socket.disconnect()
    await staff_socket.disconnect()


async def test_every_frame_is_authorised_again():
    """A moderator whose role is removed while connected is refused on the next frame; nothing changes."""
    customer, moderator, chat = await sync_to_async(_setup)()
    socket, connected, _ = await connect(f"/ws/chat/{chat.pk}/", moderator)
    assert connected
    await socket.receive_json_from()

    def demote():
        from django.contrib.auth.models import Group

        moderator.groups.remove(Group.objects.get(name=Role.MODERATOR))

    await sync_to_async(demote)()
    await socket.send_json_to({"type": "take"})
    assert (await socket.receive_json_from())["error"] == "forbidden"
    fresh = await sync_to_async(Chat.objects.get)(pk=chat.pk)
    assert (fresh.status, fresh.moderator_id) == (ChatStatus.WAITING, None)
    await socket.disconnect()


async def test_console_lists_chats_live_for_moderators():
    customer, moderator, chat = await sync_to_async(_setup)()
    console, connected, _ = await connect("/ws/chat/console/", moderator)
    assert connected
    snapshot = await console.receive_json_from()
    assert [(r["id"], r["member"]) for r in snapshot["waiting"]] == [(chat.pk, customer.handle)]
    other = await sync_to_async(make_member)(role=Role.CUSTOMER)
    second = await sync_to_async(services.chat_start)(member=other, topic="Another question", body="Hi")
    update = await console.receive_json_from(timeout=3)
    assert [r["id"] for r in update["waiting"]] == [chat.pk, second.pk]
    customer_console, connected, code = await connect("/ws/chat/console/", customer)
    assert (connected, code) == (False, 4403)
    await console.send_json_to({"type": "bogus"})
    # A queue refresh may still be in flight; the error answers the bogus frame.
    assert (await frames_until(console, "error"))[-1]["error"] == "unknown_type"
    await console.disconnect()


async def test_waiting_member_sees_the_queue_move():
    customer, moderator, chat = await sync_to_async(_setup)()
    other = await sync_to_async(make_member)(role=Role.CUSTOMER)
    second = await sync_to_async(services.chat_start)(member=other, topic="Another question", body="Hi")
    socket, _c, _ = await connect(f"/ws/chat/{second.pk}/", other)
    assert (await socket.receive_json_from())["queue"] == 2
    await sync_to_async(services.chat_take)(chat=chat, moderator=moderator)
    assert await socket.receive_json_from(timeout=3) == {"type": "queue", "position": 1}
    await socket.disconnect()


async def test_foreign_origin_is_refused_by_the_asgi_stack():
    """The real application checks the Origin header before any consumer runs."""
    from portal.asgi import application

    customer, _moderator, chat = await sync_to_async(_setup)()
    communicator = WebsocketCommunicator(
        application, f"/ws/chat/{chat.pk}/", headers=[(b"origin", b"https://evil.example"), (b"host", b"localhost")]
    )
    connected, _code = await communicator.connect(timeout=5)
    assert connected is False


async def test_system_lines_are_translated_per_socket():
    customer, moderator, chat = await sync_to_async(_setup)()
    await sync_to_async(services.chat_take)(chat=chat, moderator=moderator)
    communicator = WebsocketCommunicator(socket_app(), f"/ws/chat/{chat.pk}/?lang=de")
    communicator.scope["user"] = customer
    await communicator.connect()
    await communicator.receive_json_from()
    await communicator.send_to(text_data=json.dumps({"type": "sync", "last_seq": 2}))
    replay = await communicator.receive_json_from()
    assert replay["messages"][0]["html"] == f"{moderator.handle} ist dem Chat beigetreten."
    await communicator.disconnect()
