"""Assignment of cards (crm): load-based distribution, reassign and release, for intake cards like any card."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from crm import services as crm_services
from crm.models import AssigneeStrategy, InterestCard, OutboxMessage
from intake import services
from intake.models import Mailbox
from portal.roles import Role
from tests.factories import make_member
from tests.intake import mails


@pytest.fixture
def team(db):
    return Group.objects.create(name="Social team")


@pytest.fixture
def stored_mailbox(crm_rule):
    return services.mailbox_save(
        mailbox=Mailbox(name="Info", host="imap.example.com", port=993, username="info", rule=crm_rule),
        password="s3cret-imap",
    )


def test_least_loaded_member_gets_the_next_card(stored_mailbox, crm_rule, team):
    """Load-based: each new card goes to the team member with the fewest open cards (ties: longest-standing)."""
    first, second = make_member(role=Role.MODERATOR), make_member(role=Role.MODERATOR)
    first.groups.add(team)
    second.groups.add(team)
    crm_rule.assignee_strategy, crm_rule.team = AssigneeStrategy.LEAST_LOADED, team
    crm_rule.save()

    owners = [services.mail_ingest(mailbox=stored_mailbox, raw=mails.plain(n=n))[0].card.assignee for n in range(3)]
    assert owners == [first, second, first]

    InterestCard.objects.filter(assignee=first).update(processed_at="2026-11-01T00:00:00Z")
    fourth = services.mail_ingest(mailbox=stored_mailbox, raw=mails.plain(n=3))[0].card
    assert fourth.assignee == first  # first's cards are processed: 0 open against second's 1


def test_release_and_reassign(stored_mailbox, moderator, other_moderator, customer):
    """The assignee gives a card back or hands it on; others may not; a customer cannot receive it."""
    card = services.mail_ingest(mailbox=stored_mailbox, raw=mails.plain(n=1))[0].card
    crm_services.card_claim(card=card, user=moderator)

    with pytest.raises(PermissionDenied):
        crm_services.card_release(card=card, user=other_moderator)
    with pytest.raises(ValidationError):
        crm_services.card_reassign(card=card, user=moderator, to=customer)

    crm_services.card_reassign(card=card, user=moderator, to=other_moderator)
    card.refresh_from_db()
    assert card.assignee == other_moderator
    crm_services.card_release(card=card, user=other_moderator)
    card.refresh_from_db()
    assert (card.assignee, card.claimed_at) == (None, None)
    assert OutboxMessage.objects.filter(card=card).count() == 1  # one open upsert carries the latest owner


def test_hand_over_from_the_card_screen(stored_mailbox, moderator, other_moderator):
    """On the card screen the owner hands the card to a colleague."""
    record = services.mail_ingest(mailbox=stored_mailbox, raw=mails.plain(n=1))[0]
    crm_services.card_claim(card=record.card, user=moderator)
    client = Client()
    client.force_login(moderator)
    assert "Hand over" in client.get(reverse("intake_admin:mail", args=[record.pk])).content.decode()

    client.post(reverse("intake_admin:release", args=[record.pk]), {"to": str(other_moderator.pk)})

    record.card.refresh_from_db()
    assert record.card.assignee == other_moderator
