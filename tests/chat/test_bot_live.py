"""The live parts of the help bot and the chat fixes, through the sockets: answers, times, hand-over, take."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from community import extensions
from community.chat import services
from community.chat.models import BotAnswer, ChatMessage, ChatStatus
from portal.roles import Role
from tests.chat.conftest import connect, frames_until
from tests.factories import make_member

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def _export_source(query: str, language: str, limit: int) -> list[dict]:
    """One article, confident only for questions about exports (the slot as knowledgebase fills it)."""
    if "export" not in query:
        return []
    return [
        {"id": 7, "title": "Export large projects", "url": "/kb/export/", "extract": "In the background.", "score": 1.0}
    ]


@pytest.fixture(autouse=True)
def _bot_source(monkeypatch):
    monkeypatch.setattr(extensions, "BOT_ANSWER_SOURCES", {"kb_article": _export_source})


def _bot_chat():
    member, moderator = make_member(role=Role.CUSTOMER), make_member(role=Role.MODERATOR)
    chat = services.chat_start(member=member, topic="Invoice question", body="Where is my invoice?")
    return member, moderator, chat


async def test_a_later_line_gets_the_bot_answer_live_with_the_server_time():
    """While the member waits, their line about exports gets the bot's answer at once, timed in the portal's zone."""
    member, _moderator, chat = await sync_to_async(_bot_chat)()
    assert chat.status == ChatStatus.WAITING
    socket, connected, _code = await connect(f"/ws/chat/{chat.pk}/", member)
    assert connected
    await socket.receive_json_from()  # hello
    await socket.send_json_to({"type": "message", "body": "How do I export a large project?", "client_id": "m-1"})
    bots = []
    while not bots:
        frame = await socket.receive_json_from(timeout=3)
        if frame["type"] == "message" and frame["message"]["kind"] == "bot":
            bots.append(frame["message"])
    answer = await sync_to_async(BotAnswer.objects.get)(chat=chat)
    line = await sync_to_async(ChatMessage.objects.get)(pk=bots[0]["id"])
    assert (bots[0]["kind"], bots[0]["ask"], bots[0]["seq"]) == ("bot", answer.pk, 4)
    assert bots[0]["time"] == timezone.localtime(line.created_at).strftime("%H:%M")
    assert '<a href="/kb/export/"><strong>Export large projects</strong></a>' in bots[0]["html"]
    await socket.disconnect()


async def test_talk_to_a_person_puts_the_member_socket_in_the_queue():
    """The hand-over moves the chat to the queue: the member's socket gets the state and its queue position."""

    def build():
        member = make_member(role=Role.CUSTOMER)
        return member, services.chat_start(member=member, topic="Exports", body="How do I export everything?")

    member, chat = await sync_to_async(build)()
    assert chat.status == ChatStatus.BOT
    socket, connected, _code = await connect(f"/ws/chat/{chat.pk}/", member)
    hello = await socket.receive_json_from()
    assert (hello["chat"]["status"], hello["queue"]) == ("bot", None)
    await sync_to_async(services.chat_handover)(chat=chat, member=member)
    frames = await frames_until(socket, "queue")
    state = next(f for f in frames if f["type"] == "state")
    assert (state["status"], frames[-1]["position"]) == ("waiting", 1)
    await socket.disconnect()


async def test_take_tells_every_open_page_so_take_chat_and_while_you_wait_go():
    """Another agent's page and the member's page get the new state the moment one agent takes the chat."""
    member, moderator, chat = await sync_to_async(_bot_chat)()
    other = await sync_to_async(make_member)(role=Role.MODERATOR)
    member_socket, _c, _code = await connect(f"/ws/chat/{chat.pk}/", member)
    other_socket, _c, _code = await connect(f"/ws/chat/{chat.pk}/", other)
    await member_socket.receive_json_from()
    assert (await other_socket.receive_json_from())["role"] == "observer"
    await sync_to_async(services.chat_take)(chat=chat, moderator=moderator)
    for socket in (member_socket, other_socket):
        state = (await frames_until(socket, "state"))[-1]
        assert (state["status"], state["moderator_id"]) == ("active", moderator.pk)
        await socket.disconnect()
