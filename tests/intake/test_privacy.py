"""Data protection of the intake: its retention category, and requests of outside people by e-mail address."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from consent import retention
from consent.registry import is_classified, rules_for
from crm.models import AssigneeStrategy, InterestCard, OutboxMessage, TagRule
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


def _in_progress(request, dpo, on_commit):
    """The request's identity is checked with the code mailed to the address, and work starts."""
    from django.core import mail

    from consent.dsar import services as dsar

    with on_commit(execute=True):
        dsar.verification_send(request=request, actor=dpo)
    assert mail.outbox[-1].to == [request.requester_email]
    request.refresh_from_db()  # now waiting for the code
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    assert dsar.verification_check(request=request, code=code) == dsar.CodeResult.OK
    return dsar.request_transition(request=request, to="in_progress", actor=dpo)


def test_access_request_of_an_outside_author_exports_their_records(
    stored_mailbox, dpo, mailoutbox, django_capture_on_commit_callbacks
):
    """An access request for an address in the DPO console: its JSON holds that author's records and no one else's."""
    from consent.dsar import services as dsar

    mine, _ = services.mail_ingest(mailbox=stored_mailbox, raw=mails.latin1_inquiry())
    services.mail_ingest(mailbox=stored_mailbox, raw=mails.plain(n=1))
    request = dsar.address_request_create(address="Guenther@Kunde.example", kind="access", actor=dpo)
    _in_progress(request, dpo, django_capture_on_commit_callbacks)
    client = Client()
    client.force_login(dpo)
    url = reverse("dsar_admin:detail", args=[request.pk])

    page = client.get(url).content.decode()
    assert "Anfrage für ein Angebot" in page
    assert "Angebot für 12 Stück" not in page  # the console lists subjects, not the texts
    export = client.post(url, {"action": "export"})

    assert export["Content-Disposition"] == f'attachment; filename="request-{request.pk}.json"'
    data = json.loads(export.content)
    assert data["address"] == "Guenther@Kunde.example"
    assert [(row["author_name"], row["text"]) for row in data["sources"]["intake"]] == [("Günther Weiß", mine.text)]
    assert IntakeMail.objects.count() == 2  # an export erases nothing


def test_erasure_of_an_outside_author_removes_their_records_and_anonymises_the_cards(
    stored_mailbox, dpo, mailoutbox, django_capture_on_commit_callbacks
):
    """The erasure deletes the author's records, keeps their cards without author, title and text, and reports it."""
    from consent.dsar import services as dsar
    from consent.dsar.models import ErasureReport

    mine, _ = services.mail_ingest(mailbox=stored_mailbox, raw=mails.latin1_inquiry())
    other, _ = services.mail_ingest(mailbox=stored_mailbox, raw=mails.plain(n=1))
    request = dsar.address_request_create(address="guenther@kunde.example", kind="erasure", actor=dpo, language="de")
    _in_progress(request, dpo, django_capture_on_commit_callbacks)
    client = Client()
    client.force_login(dpo)
    url = reverse("dsar_admin:detail", args=[request.pk])

    wrong = client.post(url, {"action": "erase", "confirm_address": "someone@else.example"})
    assert wrong.status_code == 400
    assert IntakeMail.objects.count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "erase", "confirm_address": "Guenther@kunde.example"})

    assert list(IntakeMail.objects.values_list("pk", flat=True)) == [other.pk]
    card = InterestCard.objects.get(pk=mine.card_id)
    report = ErasureReport.objects.get(request=request)
    assert (card.title, card.text, card.outside_author, card.erasure_report_id) == ("(erased)", "", "", report.pk)
    assert card.source_url == card.reply_url
    assert InterestCard.objects.get(pk=other.card_id).outside_author == "Kim Kunde"
    assert [(entry["model"], entry["rows"], entry["action"]) for entry in report.removed] == [
        ("intake.IntakeMail", 1, "deleted"),
        ("crm.InterestCard", 1, "anonymised"),
    ]
    request.refresh_from_db()
    assert (request.state, report.member_id) == ("completed", None)
    assert [message.to for message in mailoutbox] == [["guenther@kunde.example"], ["guenther@kunde.example"]]
    assert mailoutbox[-1].subject == "Ihre Anfrage wurde erledigt"


def test_a_members_erasure_takes_the_mails_they_sent_from_outside(stored_mailbox, dpo):
    """Mails a member sent to the intake's mailbox from their account's address go with the member's erasure."""
    from consent.dsar import services as dsar
    from tests.factories import make_member

    member = make_member(email="guenther@kunde.example")
    mine, _ = services.mail_ingest(mailbox=stored_mailbox, raw=mails.latin1_inquiry())
    other, _ = services.mail_ingest(mailbox=stored_mailbox, raw=mails.plain(n=1))

    report = dsar.member_erase(member=member, actor=dpo)

    assert list(IntakeMail.objects.values_list("pk", flat=True)) == [other.pk]
    assert InterestCard.objects.get(pk=mine.card_id).erasure_report_id == report.pk
    assert {"model": "intake.IntakeMail", "rows": 1, "action": "deleted"}.items() <= next(
        entry for entry in report.removed if entry["model"] == "intake.IntakeMail"
    ).items()


def test_the_intake_menu_leads_into_the_dpo_console(dpo, moderator):
    """Intake has no screen of its own for requests: its menu entry is the console's form for non-members."""
    client = Client()
    client.force_login(dpo)
    assert client.get(reverse("dsar_admin:create_address")).status_code == 200
    client.force_login(moderator)
    refused = client.get(reverse("dsar_admin:create_address"))
    assert (refused.status_code, refused["Location"]) == (302, reverse("wagtailadmin_home"))


@pytest.fixture
def crm_mailbox(webhook_connection):
    """A mailbox whose cards go to the webhook CRM on loopback (a real receiver that keeps one task per card)."""
    rule = TagRule.objects.create(
        tag="outside-crm",
        action_type="inquiry",
        assignee_strategy=AssigneeStrategy.CLAIM,
        connection=webhook_connection,
    )
    return services.mailbox_save(
        mailbox=Mailbox(name="Sales", host="imap.example.com", port=993, username="sales", rule=rule),
        password="s3cret-imap",
    )


def test_erasure_of_an_outside_author_redacts_the_crm_copy(
    crm_mailbox, dpo, crm_store, django_capture_on_commit_callbacks
):
    """The CRM received the card with the author's name and text; the erasure sends a redaction it acknowledges."""
    from consent.dsar import selectors as dsar_selectors
    from consent.dsar import services as dsar

    with django_capture_on_commit_callbacks(execute=True):
        mine, _ = services.mail_ingest(mailbox=crm_mailbox, raw=mails.latin1_inquiry())
    key = str(mine.card.key)
    assert crm_store.tasks[key]["author"]["name"] == "Günther Weiß"
    assert "12 Stück Widget Pro" in crm_store.tasks[key]["text"]
    request = dsar.address_request_create(address="guenther@kunde.example", kind="erasure", actor=dpo)
    _in_progress(request, dpo, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        report = dsar.address_erase(request=request, actor=dpo, confirmation="guenther@kunde.example")

    stored = crm_store.tasks[key]
    assert (stored["event"], stored["title"], stored["text"], stored["author"]) == (
        "card.redacted",
        "(erased)",
        "",
        {"pseudonym": None, "outside": True, "name": ""},
    )
    assert "Günther" not in json.dumps(stored, ensure_ascii=False)
    assert "Weiß" not in json.dumps(stored, ensure_ascii=False)
    assert crm_store.arrivals[key] == 2  # the card, then its redaction
    redaction = OutboxMessage.objects.get(card_id=mine.card_id)
    assert (redaction.kind, redaction.state) == ("redact", "sent")  # the upsert that named the author is gone
    assert dsar_selectors.erasure_recipients(report=report) == [
        {
            "recipient": "Test CRM (Signed webhook)",
            "copies": 1,
            "acknowledged": 1,
            "pending": 0,
            "failed": 0,
            "unsent": 0,
        }
    ]


def test_erasure_before_the_crm_received_the_card_sends_nothing(
    stored_mailbox, dpo, django_capture_on_commit_callbacks
):
    """A card whose delivery had not left yet: the delivery is dropped, nothing reaches the CRM, the report says so."""
    from consent.dsar import selectors as dsar_selectors
    from consent.dsar import services as dsar

    mine, _ = services.mail_ingest(mailbox=stored_mailbox, raw=mails.latin1_inquiry())  # not committed: not sent
    assert OutboxMessage.objects.filter(card_id=mine.card_id, state="pending").count() == 1
    request = dsar.address_request_create(address="guenther@kunde.example", kind="erasure", actor=dpo)
    _in_progress(request, dpo, django_capture_on_commit_callbacks)

    report = dsar.address_erase(request=request, actor=dpo, confirmation="guenther@kunde.example")

    assert OutboxMessage.objects.filter(card_id=mine.card_id).count() == 0
    assert dsar_selectors.erasure_recipients(report=report) == [
        {
            "recipient": "Sales CRM (Signed webhook)",
            "copies": 1,
            "acknowledged": 0,
            "pending": 0,
            "failed": 0,
            "unsent": 1,
        }
    ]
