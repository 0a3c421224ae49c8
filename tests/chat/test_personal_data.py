"""The personal-data warning in the chat: on the socket for the member's messages and on the start form."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from community.chat import services
from community.chat.models import Chat, ChatMessage, MessageKind
from portal.roles import Role
from tests.chat.conftest import connect, frames_until, socket_app
from tests.factories import make_member


def _setup():
    customer = make_member(role=Role.CUSTOMER)
    moderator = make_member(role=Role.MODERATOR)
    chat = services.chat_start(member=customer, topic="Invoice is missing", body="Where is it?")
    return customer, moderator, chat


def _member_bodies(chat) -> list[str]:
    return list(
        ChatMessage.objects.filter(chat=chat, kind=MessageKind.MEMBER).order_by("seq").values_list("body", flat=True)
    )


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_member_message_with_personal_data_waits_for_the_members_answer():
    """The member is warned with the findings and nothing is stored; each answer is then honoured."""
    customer, _moderator, chat = await sync_to_async(_setup)()
    socket, connected, _ = await connect(f"/ws/chat/{chat.pk}/", customer)
    assert connected
    await socket.receive_json_from()  # hello
    frame = {"type": "message", "body": "Mail me at max@example.org", "client_id": "p-1", "ref": 3}
    await socket.send_json_to(frame)
    warning = (await frames_until(socket, "pii_warning"))[-1]
    assert warning == {
        "type": "pii_warning",
        "client_id": "p-1",
        "findings": [{"kind": "email", "label": "e-mail address", "text": "max@example.org"}],
        "ref": 3,
    }
    assert await sync_to_async(_member_bodies)(chat) == ["Where is it?"]

    await socket.send_json_to({**frame, "action": "remove_pii"})
    removed = (await frames_until(socket, "ack"))[-1]
    await socket.send_json_to(
        {"type": "message", "body": "Call +49 30 1234567", "client_id": "p-2", "action": "post_anyway"}
    )
    kept = (await frames_until(socket, "ack"))[-1]
    assert (removed["client_id"], removed["duplicate"], kept["client_id"]) == ("p-1", False, "p-2")
    assert await sync_to_async(_member_bodies)(chat) == [
        "Where is it?",
        "Mail me at [removed]",
        "Call +49 30 1234567",
    ]
    await socket.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_warning_labels_follow_the_sockets_language():
    """A German socket names the findings in German."""
    customer, _moderator, chat = await sync_to_async(_setup)()
    communicator = WebsocketCommunicator(socket_app(), f"/ws/chat/{chat.pk}/?lang=de")
    communicator.scope["user"] = customer
    await communicator.connect()
    await communicator.receive_json_from()  # hello
    await communicator.send_to(text_data=json.dumps({"type": "message", "body": "max@example.org", "client_id": "d"}))
    warning = (await frames_until(communicator, "pii_warning"))[-1]
    assert warning["findings"] == [{"kind": "email", "label": "E-Mail-Adresse", "text": "max@example.org"}]
    assert await sync_to_async(_member_bodies)(chat) == ["Where is it?"]
    await communicator.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_moderator_messages_are_sent_without_the_warning():
    """Support staff write contact details as part of their work: no warning, stored at once."""
    customer, moderator, chat = await sync_to_async(_setup)()
    await sync_to_async(services.chat_take)(chat=chat, moderator=moderator)
    socket, connected, _ = await connect(f"/ws/chat/{chat.pk}/", moderator)
    assert connected
    await socket.receive_json_from()  # hello
    await socket.send_json_to({"type": "message", "body": "Write to billing@example.org", "client_id": "s-1"})
    frames = await frames_until(socket, "ack")
    assert [f["type"] for f in frames if f["type"] == "pii_warning"] == []
    stored = await sync_to_async(ChatMessage.objects.get)(chat=chat, client_id="s-1")
    assert (stored.kind, stored.body) == (MessageKind.STAFF, "Write to billing@example.org")
    await socket.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_closed_chat_refuses_instead_of_warning():
    """A message to a closed chat is refused as before; the warning never stands in for the refusal."""
    customer, _moderator, chat = await sync_to_async(_setup)()
    socket, connected, _ = await connect(f"/ws/chat/{chat.pk}/", customer)
    await socket.receive_json_from()  # hello
    await sync_to_async(services.chat_close)(chat=chat, actor=customer)
    await socket.send_json_to({"type": "message", "body": "max@example.org", "client_id": "late", "ref": 9})
    error = (await frames_until(socket, "error"))[-1]
    assert (error["error"], error["ref"]) == ("forbidden", 9)
    assert await sync_to_async(_member_bodies)(chat) == ["Where is it?"]
    await socket.disconnect()


def test_start_form_warns_and_starts_nothing(client, customer, home_page):
    """A first message with a phone number shows the warning on the start page; no chat is opened."""
    client.force_login(customer)
    response = client.post("/chat/", {"topic": "Please call me", "body": "My number is +49 30 1234567"})
    html = response.content.decode()
    assert response.status_code == 200
    assert [f.kind for f in response.context["findings"]] == ["phone"]
    assert 'id="pii-warning"' in html and "Remove it and send" in html and "Send as written" in html
    assert Chat.objects.count() == 0


@pytest.mark.parametrize(
    ("answer", "body"), [("remove_pii", "My number is [removed]"), ("post_anyway", "My number is +49 30 1234567")]
)
def test_start_form_answers_start_the_chat(client, customer, home_page, answer, body):
    """ "Remove it and send" starts the chat without the number, "Send as written" with it."""
    client.force_login(customer)
    response = client.post(
        "/chat/", {"topic": "Please call me", "body": "My number is +49 30 1234567", "action": answer}
    )
    chat = Chat.objects.get(member=customer)
    assert response["Location"] == f"/chat/{chat.pk}/"
    assert _member_bodies(chat) == [body]


def test_room_has_the_warning_ready_for_the_script_and_the_console_has_none(client, waiting_chat, moderator):
    """The member's room carries the hidden warning chat.js fills in; the moderator's console page does not."""
    client.force_login(waiting_chat.member)
    room = client.get(f"/chat/{waiting_chat.pk}/").content.decode()
    assert '<div class="message message--warning stack" role="alert" id="pii-warning"' in room
    assert 'aria-labelledby="pii-warning-title" hidden>' in room
    assert "Remove it and send" in room
    client.force_login(moderator)
    assert 'id="pii-warning"' not in client.get(f"/chat/console/{waiting_chat.pk}/").content.decode()


def test_start_form_warning_is_german_for_german_members(client, home_page):
    """The warning speaks the member's language."""
    member = make_member(role=Role.CUSTOMER, preferred_language="de")
    client.force_login(member)
    html = client.post("/chat/", {"topic": "Rückruf bitte", "body": "max@example.org"}).content.decode()
    assert "Das sieht nach personenbezogenen Daten aus:" in html
    assert "Entfernen und senden" in html and "So senden" in html
    assert "E-Mail-Adresse: <code>max@example.org</code>" in html
