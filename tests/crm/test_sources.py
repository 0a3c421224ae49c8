"""Chats and ideas become interest cards too: tagged by staff, sent like thread cards, synced back, redacted."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from consent import services as consent
from consent.pseudonyms import pseudonym_for
from crm import services
from crm.models import CARD_NAMESPACE, CardState, InterestCard, OutboxKind, OutboxMessage, OutboxState, SourceType
from portal.roles import Role
from tests.crm.test_inbound import _post, _signed
from tests.factories import make_member

BASE = "https://community.example.com"


@pytest.fixture
def member(db):
    """A member whose every identifier is distinctive, so a leak cannot hide in a coincidence."""
    return make_member(
        role=Role.CUSTOMER, id=987_654_321, email="zelda.quixote@example.org", first_name="Zelda", last_name="Quixote"
    )


@pytest.fixture
def neighbour(db):
    return make_member(role=Role.CUSTOMER, email="olaf.neighbour@example.org", first_name="Olaf", last_name="Nachbar")


def _identifiers(user) -> list[str]:
    return [user.email, user.first_name, user.last_name, user.get_full_name(), user.handle, str(user.pk)]


def _chat_by(member, neighbour, make_chat):
    return make_chat(
        member,
        topic=f"{member.first_name} wants seats",
        lines=(
            f"Hi, I am {member.get_full_name()} ({member.email}), call me on +49 30 1234567.",
            f"My colleague @{neighbour.handle} said the premium tier is cheaper. Signed, {member.handle}",
        ),
        answer=f"Thanks {member.first_name}, I will ask sales.",
    )


def _idea_by(member, neighbour, make_idea):
    return make_idea(
        member,
        title=f"{member.first_name} wants PDF exports",
        body=f"I am {member.get_full_name()}, {member.email}. @{neighbour.handle} agrees. {member.handle}",
    )


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _assert_no_identifiers(text: str, *users) -> None:
    for user in users:
        for identifier in _identifiers(user):
            assert identifier.lower() not in text.lower(), identifier


# --- chats ------------------------------------------------------------------------------------------------------


def test_moderator_tagging_a_chat_creates_a_card_pointing_at_the_console(
    customer, moderator, make_chat, tag_chat, lead_rule, crm_store
):
    """A #lead on a chat becomes one sent card: console links, topic as title, the member's lines as text."""
    chat = make_chat(customer, lines=("We want to buy 40 seats.", "Do you offer a discount?"), answer="Let me check.")
    tag_chat(chat, moderator)

    card = InterestCard.objects.get()
    assert card.key == uuid.uuid5(CARD_NAMESPACE, f"chat:{chat.pk}:lead")
    assert card.source_type == SourceType.CHAT
    assert card.source_id == chat.pk
    assert card.source_url == f"{BASE}/chat/console/{chat.pk}/"
    assert card.reply_url == f"{BASE}/chat/console/{chat.pk}/"
    assert card.title == "Buying 40 seats"
    assert card.text == "We want to buy 40 seats.\nDo you offer a discount?"
    assert card.product == ""
    assert card.member == customer
    assert (card.action_type, card.priority, card.is_automatic) == ("lead", "high", False)
    assert card.due_on == (timezone.localtime(card.created_at) + timedelta(days=2)).date()
    assert card.state == CardState.SENT
    message = OutboxMessage.objects.get()
    assert (message.kind, message.state, message.attempts) == (OutboxKind.UPSERT, OutboxState.SENT, 1)
    assert list(crm_store.tasks) == [str(card.key)]


def test_chat_card_payload_without_consent_is_pseudonymous(
    member, neighbour, moderator, make_chat, tag_chat, lead_rule, webhook_receiver, crm_store
):
    """The exact chat payload without consent: pseudonyms for the member and the colleague, no identifier anywhere."""
    chat = _chat_by(member, neighbour, make_chat)
    tag_chat(chat, moderator)

    card = InterestCard.objects.get()
    alias, other = (
        pseudonym_for(member, lead_rule.connection.pseudonym_domain),
        pseudonym_for(neighbour, lead_rule.connection.pseudonym_domain),
    )
    payload = crm_store.tasks[str(card.key)]
    assert payload == {
        "schema": "portal.interest-card/1",
        "event": "card.upserted",
        "key": str(card.key),
        "source_type": "chat",
        "source_url": f"{BASE}/chat/console/{chat.pk}/",
        "reply_url": f"{BASE}/chat/console/{chat.pk}/",
        "created_at": card.created_at.isoformat(),
        "action_type": "lead",
        "priority": "high",
        "due_on": card.due_on.isoformat(),
        "tag": "lead",
        "automatic": False,
        "title": f"{alias} wants seats",
        "text": f"Hi, I am {alias} ({alias}), call me on [removed].\n"
        f"My colleague {other} said the premium tier is cheaper. Signed, {alias}",
        "product": "",
        "author": {"pseudonym": alias},
        "assignee": None,
        "processed": False,
        "sent_at": payload["sent_at"],
    }
    assert payload == OutboxMessage.objects.get().payload
    bodies = [request.body.decode() for request in webhook_receiver.requests]
    assert len(bodies) == 1
    for body in bodies:
        _assert_no_identifiers(body, member)
        assert neighbour.handle not in body
        assert "1234567" not in body
        assert "Thanks" not in body  # the moderator's answer is not the member's interest
    assert card.identity_sent is False


def test_chat_card_with_consent_carries_name_and_email(
    member, neighbour, moderator, make_chat, tag_chat, lead_rule, crm_store
):
    """With crm_followup consent the chat card names the member; the colleague stays a pseudonym."""
    consent.consent_grant(user=member, purpose="crm_followup")
    tag_chat(_chat_by(member, neighbour, make_chat), moderator)

    card = InterestCard.objects.get()
    payload = crm_store.tasks[str(card.key)]
    assert payload["author"] == {
        "pseudonym": pseudonym_for(member, lead_rule.connection.pseudonym_domain),
        "name": "Zelda Quixote",
        "email": "zelda.quixote@example.org",
    }
    assert payload["text"].startswith("Hi, I am Zelda Quixote (zelda.quixote@example.org)")
    assert neighbour.handle not in json.dumps(payload)
    assert (card.identity_sent, OutboxMessage.objects.get().with_identity) == (True, True)


def test_chat_tag_without_a_rule_creates_no_card(customer, moderator, make_chat, tag_chat, lead_rule, crm_store):
    """A console tag nobody wrote a rule for stays a label: no card, no outbox row, nothing sent."""
    tag_chat(make_chat(customer), moderator, name="billing")

    assert InterestCard.objects.count() == 0
    assert OutboxMessage.objects.count() == 0
    assert crm_store.tasks == {}


def test_chat_tagged_by_a_non_moderator_is_ignored(customer, make_chat, lead_rule, crm_store):
    """The CRM only takes staff tags: an event with an actor who may not tag the chat creates nothing."""
    from community.chat.models import ChatTag

    chat = make_chat(customer)
    tag = ChatTag.objects.create(chat=chat, name="lead", slug="lead", added_by=customer)

    assert services.chat_tagged(chat=chat, tag=tag, actor=customer) is None
    assert services.chat_tagged(chat=chat, tag=tag, actor=None) is None
    assert InterestCard.objects.count() == 0
    assert crm_store.tasks == {}


def test_offline_chat_card_carries_the_message_of_its_thread(
    customer, moderator, tag_chat, lead_rule, crm_store, forum, django_capture_on_commit_callbacks
):
    """An offline message has no chat lines: the card's text is what the member wrote into its private thread."""
    from community.chat import services as chat_services
    from community.chat.models import ChatSettings, ChatStatus

    config = ChatSettings.load()
    config.hours_enabled = True  # and no opening hours: support is offline
    config.save()
    with django_capture_on_commit_callbacks(execute=True):
        chat = chat_services.chat_start(member=customer, topic="Quote for 40 seats", body="Please send a quote.")
    assert chat.status == ChatStatus.OFFLINE
    tag_chat(chat, moderator)

    card = InterestCard.objects.get()
    assert (card.source_type, card.title, card.text) == ("chat", "Quote for 40 seats", "Please send a quote.")
    assert card.reply_url == f"{BASE}/chat/console/{chat.pk}/"


# --- ideas ------------------------------------------------------------------------------------------------------


def test_product_manager_tagging_an_idea_creates_a_card_pointing_at_the_idea(
    customer, product_manager, make_idea, tag_idea, lead_rule, crm_store
):
    """A #lead on an idea becomes one sent card: idea page links, description as text, the author as member."""
    idea = make_idea(customer)
    tag_idea(idea, product_manager, "lead", "reporting")

    card = InterestCard.objects.get()
    assert card.key == uuid.uuid5(CARD_NAMESPACE, f"idea:{idea.pk}:lead")
    assert card.source_type == SourceType.IDEA
    assert card.source_id == idea.pk
    assert card.source_url == f"{BASE}/ideas/idea/{idea.pk}/"
    assert card.reply_url == f"{BASE}/ideas/idea/{idea.pk}/#comments"
    assert card.title == "Export reports as PDF"
    assert card.text == "We need PDF exports for 40 seats."
    assert card.product == "Acme Reports"
    assert card.member == customer
    assert card.state == CardState.SENT
    assert OutboxMessage.objects.get().state == OutboxState.SENT
    assert list(crm_store.tasks) == [str(card.key)]


def test_idea_card_payload_without_consent_is_pseudonymous(
    member, neighbour, product_manager, make_idea, tag_idea, lead_rule, webhook_receiver, crm_store
):
    """The exact idea payload without consent: pseudonyms only, no e-mail, name, handle or id of the author."""
    idea = _idea_by(member, neighbour, make_idea)
    tag_idea(idea, product_manager, "lead")

    card = InterestCard.objects.get()
    alias, other = (
        pseudonym_for(member, lead_rule.connection.pseudonym_domain),
        pseudonym_for(neighbour, lead_rule.connection.pseudonym_domain),
    )
    payload = crm_store.tasks[str(card.key)]
    assert payload == {
        "schema": "portal.interest-card/1",
        "event": "card.upserted",
        "key": str(card.key),
        "source_type": "idea",
        "source_url": f"{BASE}/ideas/idea/{idea.pk}/",
        "reply_url": f"{BASE}/ideas/idea/{idea.pk}/#comments",
        "created_at": card.created_at.isoformat(),
        "action_type": "lead",
        "priority": "high",
        "due_on": card.due_on.isoformat(),
        "tag": "lead",
        "automatic": False,
        "title": f"{alias} wants PDF exports",
        "text": f"I am {alias}, {alias}. {other} agrees. {alias}",
        "product": "Acme Reports",
        "author": {"pseudonym": alias},
        "assignee": None,
        "processed": False,
        "sent_at": payload["sent_at"],
    }
    bodies = [request.body.decode() for request in webhook_receiver.requests]
    assert len(bodies) == 1
    for body in bodies + [json.dumps(OutboxMessage.objects.get().payload)]:
        _assert_no_identifiers(body, member)
        assert neighbour.handle not in body
    assert card.identity_sent is False


def test_idea_card_with_consent_carries_name_and_email(
    member, product_manager, make_idea, tag_idea, lead_rule, crm_store
):
    """With crm_followup consent the idea's author is named in the CRM."""
    consent.consent_grant(user=member, purpose="crm_followup")
    tag_idea(make_idea(member), product_manager, "lead")

    card = InterestCard.objects.get()
    assert crm_store.tasks[str(card.key)]["author"] == {
        "pseudonym": pseudonym_for(member, lead_rule.connection.pseudonym_domain),
        "name": "Zelda Quixote",
        "email": "zelda.quixote@example.org",
    }
    assert card.identity_sent is True


def test_saving_the_same_idea_tags_again_sends_nothing_new(
    customer, product_manager, make_idea, tag_idea, lead_rule, crm_store
):
    """Only newly added tags count: a status change that keeps #lead, or re-adding it later, keeps one card."""
    from ideas import services as idea_services

    idea = make_idea(customer)
    tag_idea(idea, product_manager, "lead")
    idea_services.idea_set_status(
        idea=idea, by=product_manager, status="planned", response="On the roadmap.", tags=["lead"]
    )
    tag_idea(idea, product_manager)  # removed
    tag_idea(idea, product_manager, "lead")  # and added again

    assert InterestCard.objects.count() == 1
    assert OutboxMessage.objects.count() == 1
    assert list(crm_store.arrivals.values()) == [1]


def test_idea_tag_without_a_rule_creates_no_card(customer, product_manager, make_idea, tag_idea, lead_rule, crm_store):
    """Console tags without a rule are for filtering only."""
    tag_idea(make_idea(customer), product_manager, "reporting")

    assert InterestCard.objects.count() == 0
    assert crm_store.tasks == {}


def test_idea_tagged_by_someone_without_review_rights_is_ignored(customer, make_idea, lead_rule, crm_store):
    """An idea_tagged event whose actor may not set tags creates nothing."""
    from taggit.models import Tag

    idea = make_idea(customer)
    assert services.idea_tagged(idea=idea, tag=Tag.objects.create(name="lead"), actor=customer) is None
    assert InterestCard.objects.count() == 0
    assert crm_store.tasks == {}


# --- the way back: status, withdrawal, erasure ------------------------------------------------------------------


@pytest.fixture
def chat_and_idea_cards(
    member, neighbour, moderator, product_manager, make_chat, tag_chat, make_idea, tag_idea, lead_rule
):
    """A chat card and an idea card of the same member, both sent with the identity (consent given)."""
    consent.consent_grant(user=member, purpose="crm_followup")
    tag_chat(_chat_by(member, neighbour, make_chat), moderator)
    tag_idea(_idea_by(member, neighbour, make_idea), product_manager, "lead")
    chat_card = InterestCard.objects.get(source_type=SourceType.CHAT)
    idea_card = InterestCard.objects.get(source_type=SourceType.IDEA)
    assert (chat_card.identity_sent, idea_card.identity_sent) == (True, True)
    return chat_card, idea_card


def test_crm_done_marks_chat_and_idea_cards_processed(
    client, chat_and_idea_cards, webhook_connection, signing_secret, crm_store
):
    """A signed "done" status for a chat card and an idea card marks each processed, like a thread card."""
    for card in chat_and_idea_cards:
        document = {"type": "task.status", "data": {"key": str(card.key), "status": "done", "id": f"T-{card.pk}"}}
        body, headers = _signed(signing_secret, document, msg_id=f"msg_{card.pk}")
        response = _post(client, webhook_connection, body, headers)
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "processed": True}

    for card in chat_and_idea_cards:
        card.refresh_from_db()
        assert (card.state, card.remote_status) == (CardState.PROCESSED, "done")
        assert card.processed_at is not None


def test_withdrawal_redacts_chat_and_idea_cards(
    member, chat_and_idea_cards, crm_store, django_capture_on_commit_callbacks
):
    """Withdrawing crm_followup sends a redaction for the chat card and the idea card alike."""
    with django_capture_on_commit_callbacks(execute=True):
        consent.consent_withdraw(user=member, purpose="crm_followup")

    redactions = OutboxMessage.objects.filter(kind=OutboxKind.REDACT)
    assert sorted(redactions.values_list("card__source_type", "state")) == [("chat", "sent"), ("idea", "sent")]
    for card in chat_and_idea_cards:
        card.refresh_from_db()
        assert card.identity_sent is False
        stored = crm_store.tasks[str(card.key)]
        assert stored["event"] == "card.redacted"
        assert stored["author"] == {"pseudonym": pseudonym_for(member, card.connection.pseudonym_domain)}
        _assert_no_identifiers(json.dumps(stored), member)


def test_erasure_redacts_chat_and_idea_cards(
    member, chat_and_idea_cards, crm_store, django_capture_on_commit_callbacks
):
    """Erasure (the registry's anonymisation, then the erasure event) redacts the chat and the idea card."""
    from consent.dsar.erasure import anonymise_values
    from consent.dsar.events import member_erased
    from consent.registry import rules_for

    (rule,) = [r for r in rules_for(InterestCard) if r.subject == "member"]
    # What consent's erasure run does to the member's cards.
    InterestCard.objects.filter(member=member).update(**anonymise_values(rule, uuid.uuid4()))
    with django_capture_on_commit_callbacks(execute=True):
        member_erased.send(user_id=member.pk, report_id=None)

    redactions = OutboxMessage.objects.filter(kind=OutboxKind.REDACT)
    assert sorted(redactions.values_list("card__source_type", "state")) == [("chat", "sent"), ("idea", "sent")]
    for card in chat_and_idea_cards:
        card.refresh_from_db()
        assert card.identity_sent is False
        stored = crm_store.tasks[str(card.key)]
        assert stored["event"] == "card.redacted"
        assert stored["author"] == {"pseudonym": None, "deleted": True}
        assert stored["text"] == ""
        _assert_no_identifiers(json.dumps(stored), member)


# --- back office ------------------------------------------------------------------------------------------------


@pytest.fixture
def three_cards(
    customer, moderator, product_manager, make_thread, tag, make_chat, tag_chat, make_idea, tag_idea, lead_rule
):
    tag(make_thread(customer, title="Thread lead"), moderator)
    tag_chat(make_chat(customer, topic="Chat lead"), moderator)
    tag_idea(make_idea(customer, title="Idea lead"), product_manager, "lead")
    return {card.source_type: card for card in InterestCard.objects.all()}


def test_card_list_shows_and_filters_the_source_type(three_cards, moderator):
    """Each row names its source; the source filter narrows the list to threads, chats or ideas."""
    client = _login(moderator)

    def rows(query=""):
        body = client.get("/admin/crm/cards/" + query).content.decode()
        return sorted(t for t in ("Thread lead", "Chat lead", "Idea lead") if f">{t}</a>" in body), body

    titles, body = rows()
    assert titles == ["Chat lead", "Idea lead", "Thread lead"]
    assert '<td data-source-type="forum_thread">Forum thread</td>' in body
    assert '<td data-source-type="chat">Chat</td>' in body
    assert '<td data-source-type="idea">Idea</td>' in body
    assert rows("?source_type=chat")[0] == ["Chat lead"]
    assert rows("?source_type=idea")[0] == ["Idea lead"]
    assert rows("?source_type=forum_thread&state=sent")[0] == ["Thread lead"]
    assert rows("?source_type=blog_comment")[0] == []


def test_card_list_pages_keep_the_filters(lead_rule, customer, moderator, make_idea, tag_idea, product_manager):
    """The next-page link carries the source filter along."""
    for n in range(51):
        services.card_create(
            rule=lead_rule,
            source_type=SourceType.IDEA,
            source_id=50_000 + n,
            source_url=f"{BASE}/ideas/idea/{n}/",
            reply_url=f"{BASE}/ideas/idea/{n}/#comments",
            title=f"Idea {n}",
            text="",
            product="",
            member=customer,
            automatic=False,
        )
    body = _login(moderator).get("/admin/crm/cards/?source_type=idea").content.decode()
    assert 'href="?source_type=idea&amp;p=2"' in body


def test_reply_links_open_where_staff_answer(three_cards, moderator, customer):
    """The card's reply link names where staff answer and opens: the thread, the chat console, the idea page."""
    client = _login(moderator)
    labels = {
        "forum_thread": "Answer in the thread",
        "chat": "Answer in the chat console",
        "idea": "Answer on the idea page",
    }
    for source_type, card in three_cards.items():
        detail = client.get(f"/admin/crm/cards/{card.pk}/").content.decode()
        assert f'<a href="{card.reply_url}">{labels[source_type]}</a>' in detail
        path = card.reply_url.removeprefix(BASE).split("#")[0]
        assert client.get(path).status_code == 200, path
    assert _login(customer).get(three_cards["chat"].reply_url.removeprefix(BASE)).status_code in (302, 403)


def test_demo_receiver_page_shows_the_source_types(three_cards, moderator, webhook_connection):
    """The demo CRM lists what it received with each card's source type and a link to the source."""
    from crm.models import DemoReceipt

    for card in three_cards.values():
        services.demo_receipt_record(webhook_id=str(card.key), payload=card.outbox.get().payload, signature_valid=True)
    webhook_connection.url = "https://community.example.com/crm/demo-receiver/"
    webhook_connection.save(update_fields=["url"])
    body = _login(moderator).get("/admin/crm/demo-receiver/").content.decode()

    assert DemoReceipt.objects.count() == 3
    for source_type, label in (("forum_thread", "Forum thread"), ("chat", "Chat"), ("idea", "Idea")):
        card = three_cards[source_type]
        assert f'<span data-source-type="{source_type}">{label}</span>' in body
        assert f'(<a href="{card.source_url}">open the source</a>)' in body


def test_new_back_office_strings_in_german(three_cards, moderator):
    """The source column, its filter, the reply links and the demo page speak German."""
    moderator.preferred_language = "de"
    moderator.save(update_fields=["preferred_language"])
    client = _login(moderator)
    client.cookies["django_language"] = "de"

    listing = client.get("/admin/crm/cards/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<label for="id_source_type">Quelle</label>' in listing
    assert '<td data-source-type="chat">Chat</td>' in listing
    assert '<td data-source-type="idea">Idee</td>' in listing
    chat_detail = client.get(f"/admin/crm/cards/{three_cards['chat'].pk}/", HTTP_ACCEPT_LANGUAGE="de")
    assert "In der Chat-Konsole antworten" in chat_detail.content.decode()
    idea_detail = client.get(f"/admin/crm/cards/{three_cards['idea'].pk}/", HTTP_ACCEPT_LANGUAGE="de")
    assert "Auf der Ideenseite antworten" in idea_detail.content.decode()
    demo = client.get("/admin/crm/demo-receiver/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Versehen Sie ein Thema, einen Chat oder eine Idee mit einem Schlagwort" in demo
