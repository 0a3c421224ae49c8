"""Tags become interest cards with an outbox row, written together; only moderators' and rules' tags count."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from community import services as community
from crm import services
from crm.models import (
    CARD_NAMESPACE,
    AssigneeStrategy,
    CardState,
    InterestCard,
    OutboxKind,
    OutboxMessage,
    OutboxState,
    SourceType,
    TagRule,
)
from portal.roles import Role
from tests.factories import make_member


def test_moderator_tag_creates_one_card_sent_to_the_crm(thread, moderator, tag, lead_rule, crm_store):
    """A moderator's #lead becomes one card, one sent outbox row and one task in the CRM."""
    tag(thread, moderator)

    card = InterestCard.objects.get()
    assert card.key == uuid.uuid5(CARD_NAMESPACE, f"forum_thread:{thread.pk}:lead")
    assert card.source_type == SourceType.THREAD
    assert card.source_id == thread.pk
    assert card.source_url == "https://community.example.com" + thread.get_absolute_url()
    assert card.reply_url == card.source_url + "#reply"
    assert card.title == "Can we get a quote?"
    assert card.text == "We are 40 people and want to buy."
    assert card.product == "Acme Cloud"
    assert card.action_type == "lead"
    assert card.priority == "high"
    assert card.due_on == (timezone.localtime(card.created_at) + timedelta(days=2)).date()
    assert card.member == thread.author
    assert card.assignee is None
    assert card.is_automatic is False
    assert card.state == CardState.SENT
    assert card.remote_id == f"task-{str(card.key)[:8]}"
    assert card.remote_url == f"https://crm.example.com/tasks/{card.key}"
    message = OutboxMessage.objects.get()
    assert (message.kind, message.state, message.attempts) == (OutboxKind.UPSERT, OutboxState.SENT, 1)
    assert list(crm_store.tasks) == [str(card.key)]
    assert crm_store.tasks[str(card.key)] == message.payload
    assert message.payload["source_url"] == card.source_url
    assert message.payload["event"] == "card.upserted"


def test_card_and_outbox_row_exist_before_the_send_and_send_waits_for_commit(
    thread, moderator, lead_rule, crm_store, django_capture_on_commit_callbacks
):
    """The card and its row are written in one transaction; the HTTP send happens only after commit."""
    with django_capture_on_commit_callbacks(execute=False) as tag_callbacks:
        community.thread_tag_add(thread=thread, name="lead", actor=moderator)
    assert InterestCard.objects.count() == 0  # the event itself waits for commit
    with django_capture_on_commit_callbacks(execute=False) as card_callbacks:
        for callback in tag_callbacks:
            callback()
    message = OutboxMessage.objects.get()
    assert message.state == OutboxState.PENDING
    assert crm_store.tasks == {}
    assert len(card_callbacks) == 2  # the delivery task and the card_created event
    for callback in card_callbacks:
        callback()
    message.refresh_from_db()
    assert message.state == OutboxState.SENT
    assert len(crm_store.tasks) == 1


def test_rolled_back_card_leaves_no_outbox_row(thread, lead_rule, crm_store):
    """If the transaction fails, neither the card nor its outbox row survives, and nothing is sent."""
    with pytest.raises(RuntimeError), transaction.atomic():
        services.card_create(
            rule=lead_rule,
            source_type=SourceType.THREAD,
            source_id=thread.pk,
            source_url="https://x/",
            reply_url="https://x/#reply",
            title="t",
            text="b",
            product="",
            member=thread.author,
            automatic=False,
        )
        raise RuntimeError("boom")
    assert InterestCard.objects.count() == 0
    assert OutboxMessage.objects.count() == 0
    assert crm_store.tasks == {}


def test_member_tagging_own_thread_creates_no_card(thread, customer, tag, lead_rule, crm_store):
    """A member's own topic tag is not a request to the company: no card, no row, nothing sent."""
    tag(thread, customer)

    assert thread.tags.filter(name="lead").exists()
    assert InterestCard.objects.count() == 0
    assert OutboxMessage.objects.count() == 0
    assert crm_store.tasks == {}


def test_tag_without_rule_creates_no_card(thread, moderator, tag, lead_rule, crm_store):
    """Only tags with an active rule reach the CRM."""
    tag(thread, moderator, name="api")

    assert InterestCard.objects.count() == 0
    assert crm_store.tasks == {}


def test_inactive_rule_creates_no_card(thread, moderator, tag, lead_rule, crm_store):
    """A switched-off rule stops new cards."""
    TagRule.objects.filter(pk=lead_rule.pk).update(is_active=False)
    tag(thread, moderator)

    assert InterestCard.objects.count() == 0


def test_repeated_event_keeps_one_card_and_one_task(thread, moderator, tag, lead_rule, crm_store):
    """Removing and adding the tag again, or a repeated event, never makes a second card or task."""
    tag(thread, moderator)
    tag_obj = thread.tags.get(name="lead")
    community.thread_tag_remove(thread=thread, tag=tag_obj, actor=moderator)
    tag(thread, moderator)
    services.thread_tagged(thread=thread, tag=tag_obj, actor=moderator, automatic=False)

    assert InterestCard.objects.count() == 1
    assert OutboxMessage.objects.count() == 1
    assert len(crm_store.tasks) == 1


def test_keyword_tags_new_thread_automatically(make_thread, customer, lead_rule, crm_store):
    """A new question naming a rule's keyword is tagged automatically, and the card says so."""
    thread = make_thread(customer, title="Pricing for 40 seats", body="What would the Enterprise  Plan cost?")

    assert list(thread.tags.values_list("name", flat=True)) == ["lead"]
    card = InterestCard.objects.get()
    assert card.is_automatic is True
    assert crm_store.tasks[str(card.key)]["automatic"] is True


def test_keyword_must_be_a_whole_word(make_thread, customer, lead_rule, crm_store):
    """ "pricingly" does not match the keyword "pricing"; the thread stays untagged."""
    thread = make_thread(customer, title="Unpricingly vague", body="nothing to see")

    assert thread.tags.count() == 0
    assert InterestCard.objects.count() == 0


def test_replies_are_not_scanned_for_keywords(
    thread, customer, moderator, lead_rule, django_capture_on_commit_callbacks
):
    """Only the first post can tag a thread automatically; a reply naming a keyword changes nothing."""
    with django_capture_on_commit_callbacks(execute=True):
        community.post_create(thread=thread, author=moderator, body="Ask sales about pricing.")

    assert thread.tags.count() == 0
    assert InterestCard.objects.count() == 0


def test_fixed_owner_rule_assigns_the_owner(make_thread, customer, moderator, tag, webhook_connection):
    """A fixed-owner rule hands every card to its owner."""
    TagRule.objects.create(
        tag="complaint",
        action_type="complaint",
        assignee_strategy=AssigneeStrategy.FIXED,
        owner=moderator,
        connection=webhook_connection,
    )
    tag(make_thread(customer), moderator, name="complaint")

    assert InterestCard.objects.get().assignee == moderator


def test_round_robin_rotates_over_the_team(make_thread, customer, moderator, tag, webhook_connection):
    """Round-robin gives the team's members turns, in a stable order."""
    team = Group.objects.create(name="Bug squad")
    first, second = make_member(role=Role.MODERATOR), make_member(role=Role.MODERATOR)
    team.user_set.add(second, first)
    TagRule.objects.create(
        tag="bug",
        action_type="bug",
        assignee_strategy=AssigneeStrategy.ROUND_ROBIN,
        team=team,
        connection=webhook_connection,
    )
    for n in range(3):
        tag(make_thread(customer, title=f"Crash {n}"), moderator, name="bug")

    assignees = list(InterestCard.objects.order_by("id").values_list("assignee_id", flat=True))
    assert assignees == [first.pk, second.pk, first.pk]


def test_first_claim_wins(thread, moderator, tag, lead_rule, crm_store, django_capture_on_commit_callbacks):
    """The first staff member to claim owns the card; a later claim changes nothing; the CRM learns the owner."""
    tag(thread, moderator)
    card = InterestCard.objects.get()
    stale = InterestCard.objects.get(pk=card.pk)  # what a second staff member's page loaded before the claim
    other = make_member(role=Role.MODERATOR)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.card_claim(card=card, user=moderator) is True
    with django_capture_on_commit_callbacks(execute=True):
        assert services.card_claim(card=stale, user=other) is False

    card.refresh_from_db()
    assert card.assignee == moderator
    assert crm_store.tasks[str(card.key)]["assignee"]["email"] == moderator.email
    assert crm_store.arrivals[str(card.key)] == 2


def test_claim_during_a_send_is_sent_too(thread, moderator, tag, lead_rule, crm_store, monkeypatch):
    """A card claimed while its first send is on the wire gets a second upsert carrying the assignee."""
    from crm.adapters.webhook import WebhookAdapter

    original = WebhookAdapter.upsert_task
    claimed = []

    def claim_meanwhile(self, card, payload):
        if not claimed:
            claimed.append(services.card_claim(card=InterestCard.objects.get(pk=card.pk), user=moderator))
        return original(self, card, payload)

    monkeypatch.setattr(WebhookAdapter, "upsert_task", claim_meanwhile)
    tag(thread, moderator)

    card = InterestCard.objects.get()
    assert claimed == [True]
    assert OutboxMessage.objects.filter(state=OutboxState.SENT).count() == 2
    assert crm_store.arrivals[str(card.key)] == 2
    assert crm_store.tasks[str(card.key)]["assignee"]["email"] == moderator.email
