"""Reply from the card: e-mail sources get a threaded mail through the portal's SMTP, social sources a record."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from crm.models import CardState, OutboxMessage
from intake import services
from intake.models import Mailbox
from tests.intake import mails


@pytest.fixture
def stored_mailbox(crm_rule):
    return services.mailbox_save(
        mailbox=Mailbox(name="Info", host="imap.example.com", port=993, username="info", rule=crm_rule),
        password="s3cret-imap",
    )


def test_reply_is_threaded_stored_and_processes_the_card(stored_mailbox, moderator, smtp_server, settings):
    """The reply goes to the author with In-Reply-To and References; the card is processed, the button grey."""
    settings.DEFAULT_FROM_EMAIL = "Community <community@example.com>"
    record, _ = services.mail_ingest(mailbox=stored_mailbox, raw=mails.latin1_inquiry())
    client = Client()
    client.force_login(moderator)

    response = client.post(reverse("intake_admin:reply", args=[record.pk]), {"text": "Gern, das Angebot kommt heute."})

    assert response.status_code == 302
    sent = smtp_server.wait_for(1)
    assert len(sent) == 1
    message = sent[0]["message"]
    assert sent[0]["to"] == ["guenther@kunde.example"]
    assert message["Subject"] == "Re: Anfrage für ein Angebot"
    assert message["In-Reply-To"] == "<anfrage-1@kunde.example>"
    assert message["References"] == "<anfrage-1@kunde.example>"
    assert message["X-Portal-Intake-Loop"] == "1"
    assert smtp_server.body(sent[0]).strip() == "Gern, das Angebot kommt heute."
    record.refresh_from_db()
    assert record.reply_text == "Gern, das Angebot kommt heute."
    assert record.replied_by == moderator
    assert record.reply_message_id == message["Message-ID"]
    card = record.card
    card.refresh_from_db()
    assert card.state == CardState.PROCESSED
    assert card.processed_at == record.replied_at or card.processed_at is not None
    assert OutboxMessage.objects.filter(card=card).count() == 1  # the open upsert carries "processed"

    page = client.get(reverse("intake_admin:mail", args=[record.pk])).content.decode()
    assert 'disabled aria-disabled="true">Reply sent</button>' in page
    assert "Send reply" not in page


def test_second_reply_is_refused(stored_mailbox, moderator, other_moderator, smtp_server):
    """Nobody answers twice: a second reply is refused and sends nothing."""
    record, _ = services.mail_ingest(mailbox=stored_mailbox, raw=mails.plain(n=1))
    stale = type(record).objects.get(pk=record.pk)
    services.reply_send(record=record, user=moderator, text="On its way.")

    with pytest.raises(ValidationError):
        services.reply_send(record=stale, user=other_moderator, text="Also on its way.")

    assert len(smtp_server.wait_for(1)) == 1
    stale.refresh_from_db()
    assert stale.reply_text == "On its way."


def test_smtp_down_stores_nothing(stored_mailbox, moderator, settings):
    """A reply that cannot be sent leaves the card open and unanswered."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens
    record, _ = services.mail_ingest(mailbox=stored_mailbox, raw=mails.plain(n=1))

    with pytest.raises(ValidationError):
        services.reply_send(record=record, user=moderator, text="Hello")

    record.refresh_from_db()
    assert (record.replied_at, record.reply_text) == (None, "")
    assert record.card.processed_at is None


def test_social_answer_is_recorded_with_a_screenshot(stored_mailbox, moderator, settings, tmp_path):
    """A Facebook comment is answered on Facebook: staff record the text and a screenshot; the card is processed."""
    settings.MEDIA_ROOT = tmp_path
    record, _ = services.mail_ingest(mailbox=stored_mailbox, raw=mails.facebook_comment())
    client = Client()
    client.force_login(moderator)
    detail = client.get(reverse("intake_admin:mail", args=[record.pk])).content.decode()
    assert "Open at the source" in detail
    png = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(png, "PNG")
    screenshot = SimpleUploadedFile("answer.png", png.getvalue(), content_type="image/png")

    client.post(
        reverse("intake_admin:reply", args=[record.pk]),
        {"text": "Yes, 230 V works.", "screenshot": screenshot},
    )

    record.refresh_from_db()
    assert record.reply_text == "Yes, 230 V works."
    assert record.reply_screenshot.name.startswith("intake/replies/answer")
    assert record.replied_by == moderator
    record.card.refresh_from_db()
    assert record.card.state == CardState.PROCESSED
