"""Bring it into the community: an outside question becomes a forum thread; the card shows its accepted answer."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from community import services as community_services
from community.models import Forum, ModerationSettings, Post, Thread
from intake import services
from intake.models import IntakeMail, Mailbox
from tests.intake import mails


@pytest.fixture
def stored_mailbox(crm_rule):
    return services.mailbox_save(
        mailbox=Mailbox(name="Info", host="imap.example.com", port=993, username="info", rule=crm_rule),
        password="s3cret-imap",
    )


@pytest.fixture
def forum(db):
    config = ModerationSettings.load()
    config.hold_first_posts = False
    config.save()
    return Forum.objects.create(name="Questions", slug="questions")


def test_card_becomes_a_thread_without_the_authors_name(stored_mailbox, moderator, forum, smtp_server, settings):
    """The thread says "a customer via E-mail", copies no name; the author gets a reply with the link."""
    settings.DEFAULT_FROM_EMAIL = "Community <community@example.com>"
    record, _ = services.mail_ingest(mailbox=stored_mailbox, raw=mails.latin1_inquiry())
    client = Client()
    client.force_login(moderator)

    client.post(
        reverse("intake_admin:community", args=[record.pk]),
        {
            "forum": forum.pk,
            "title": "Angebot für 12 Stück Widget Pro?",
            "body": "Gibt es ein Angebot für 12 Stück Widget Pro?",
            "tell_author": "on",
        },
    )

    record.refresh_from_db()
    thread = Thread.objects.get()
    assert record.thread == thread
    assert (thread.title, thread.author, thread.is_private) == ("Angebot für 12 Stück Widget Pro?", moderator, False)
    first = Post.objects.get(thread=thread)
    assert first.body == "*A customer via E-mail asked:*\n\nGibt es ein Angebot für 12 Stück Widget Pro?"
    assert "Günther" not in first.body and "Weiß" not in first.body
    sent = smtp_server.wait_for(1)
    assert sent[0]["to"] == ["guenther@kunde.example"]
    assert f"https://community.example.com{thread.get_absolute_url()}" in smtp_server.body(sent[0])
    assert record.replied_by == moderator

    page = client.get(reverse("intake_admin:mail", args=[record.pk])).content.decode()
    assert f'href="{thread.get_absolute_url()}"' in page
    assert "No accepted answer yet." in page


def test_accepted_answer_shows_on_the_card(stored_mailbox, moderator, other_moderator, forum):
    """When the thread gets an accepted answer, the card shows it; a second "bring in" is refused."""
    record, _ = services.mail_ingest(mailbox=stored_mailbox, raw=mails.facebook_comment())
    services.thread_from_card(
        record=record,
        user=moderator,
        forum=forum,
        title="Widget Pro and 230 V",
        body="Does the Widget Pro work with 230 V?",
        private=True,
        tell_author=True,
    )
    record.refresh_from_db()
    assert record.thread.is_private is True
    assert record.replied_at is None  # a Facebook comment gets no e-mail
    answer = community_services.post_create(thread=record.thread, author=other_moderator, body="Yes, 110–240 V.")
    community_services.answer_accept(thread=record.thread, post=answer, actor=moderator)

    client = Client()
    client.force_login(moderator)
    page = client.get(reverse("intake_admin:mail", args=[record.pk])).content.decode()

    assert "Accepted answer" in page
    assert "Yes, 110–240 V." in page
    assert "Bring into the community" not in page
    assert IntakeMail.objects.get(pk=record.pk).thread_id == record.thread_id


def test_the_authors_name_in_the_text_is_not_copied(stored_mailbox, moderator, forum):
    """A signature with the author's name (whole or in parts) and their address never reaches the thread."""
    record, _ = services.mail_ingest(mailbox=stored_mailbox, raw=mails.latin1_inquiry())

    services.thread_from_card(
        record=record,
        user=moderator,
        forum=forum,
        title="Frage von Günther",
        body=record.text + "\nAntwort an guenther@kunde.example",
        private=False,
        tell_author=False,
    )

    record.refresh_from_db()
    body = Post.objects.get(thread=record.thread).body
    assert body == (
        "*A customer via E-mail asked:*\n\nGuten Tag,\n\nich hätte gern ein Angebot für 12 Stück Widget Pro.\n\n"
        "Grüße\n[…]\nAntwort an […]"
    )
    assert record.thread.title == "Frage von […]"
