"""Data protection of the intake: its retention category, and requests of outside people by e-mail address."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from consent import retention
from consent.registry import is_classified, rules_for
from crm.models import InterestCard, OutboxMessage
from intake import services
from intake.models import IntakeMail, Mailbox
from tests.intake import mails


@pytest.fixture
def stored_mailbox(crm_rule):
    return services.mailbox_save(
        mailbox=Mailbox(name="Info", host="imap.example.com", port=993, username="info", rule=crm_rule),
        password="s3cret-imap",
    )


def test_every_intake_model_is_classified():
    """The registry knows every model of the intake; the mails are kept under a written reason."""
    from django.apps import apps

    models = apps.get_app_config("intake").get_models()
    assert all(is_classified(model) for model in models)
    assert rules_for(IntakeMail)[0].reason.startswith("Mails of outside authors")


def test_retention_deletes_cards_180_days_after_processed(stored_mailbox, moderator):
    """The intake_cards category: processed cards older than the period go with their records; open ones stay."""
    category = retention.category("intake.cards")
    assert category.default_days == 180
    old, _ = services.mail_ingest(mailbox=stored_mailbox, raw=mails.plain(n=1))
    recent, _ = services.mail_ingest(mailbox=stored_mailbox, raw=mails.plain(n=2))
    open_card, _ = services.mail_ingest(mailbox=stored_mailbox, raw=mails.plain(n=3))
    now = timezone.now()
    InterestCard.objects.filter(pk=old.card_id).update(processed_at=now - timedelta(days=181))
    InterestCard.objects.filter(pk=recent.card_id).update(processed_at=now - timedelta(days=10))
    cutoff = now - timedelta(days=180)

    assert category.preview(cutoff) == 1
    assert category.apply(cutoff) == 1

    assert sorted(IntakeMail.objects.values_list("pk", flat=True)) == [recent.pk, open_card.pk]
    assert not InterestCard.objects.filter(pk=old.card_id).exists()
    assert not OutboxMessage.objects.filter(card_id=old.card_id).exists()
    assert InterestCard.objects.count() == 2


def test_dpo_finds_exports_and_erases_an_address(stored_mailbox, dpo):
    """An outside person's access and erasure request: the DPO finds their mails, downloads them, erases them."""
    mine, _ = services.mail_ingest(mailbox=stored_mailbox, raw=mails.latin1_inquiry())
    other, _ = services.mail_ingest(mailbox=stored_mailbox, raw=mails.plain(n=1))
    client = Client()
    client.force_login(dpo)
    url = reverse("intake_admin:address_requests")

    page = client.get(url, {"address": "Guenther@Kunde.example"}).content.decode()
    assert "1 record from Guenther@Kunde.example" in page
    assert "Anfrage für ein Angebot" in page

    export = client.post(url, {"address": "guenther@kunde.example", "action": "export"})
    data = json.loads(export.content)
    assert [row["text"] for row in data["records"]] == [mine.text]
    assert data["records"][0]["author_name"] == "Günther Weiß"

    client.post(url, {"address": "guenther@kunde.example", "action": "erase"})
    assert list(IntakeMail.objects.values_list("pk", flat=True)) == [other.pk]
    assert not InterestCard.objects.filter(pk=mine.card_id).exists()
    assert InterestCard.objects.filter(pk=other.card_id).exists()


def test_moderators_cannot_use_the_address_requests(moderator, administrator):
    """Requests of outside people are the DPO's: neither moderators nor a bare administrator see them."""
    for user in (moderator, administrator):
        client = Client()
        client.force_login(user)
        assert client.get(reverse("intake_admin:address_requests")).status_code in (302, 403)
