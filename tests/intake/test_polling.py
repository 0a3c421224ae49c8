"""The poller against a real Dovecot: realistic mails become exact cards, once, and the mail is marked after."""

from __future__ import annotations

import pytest

from crm.models import InterestCard, OutboxMessage
from intake import services
from intake.models import IntakeMail, Mailbox, SkipReason
from tests.intake import mails


def _card(message_id: str) -> InterestCard:
    return IntakeMail.objects.get(message_id=message_id).card


def test_realistic_mails_become_exact_cards(dovecot, mailbox):
    """Multipart, HTML-only, RFC 2047 and ISO-8859-1, inline images: each mail makes the card its rule describes."""
    dovecot.append(
        mails.facebook_comment(), mails.html_only_instagram(), mails.latin1_inquiry(), mails.inline_image_form()
    )

    result = services.mailbox_poll(mailbox=mailbox)

    assert (result.read, result.created, result.skipped, result.duplicates, result.error) == (4, 4, 0, 0, "")
    facebook = IntakeMail.objects.get(message_id="<fb-1@facebookmail.com>")
    assert (facebook.source_type, facebook.action_type, facebook.author_name, facebook.author_address) == (
        "facebook",
        "comment",
        "Jürgen Müller",
        "",
    )
    assert facebook.link == "https://www.facebook.com/examplebrand/posts/123?comment_id=456"
    assert facebook.author_picture == "https://scontent.xx.fbcdn.net/v/t1/jm.jpg"
    assert facebook.text == "Does the Widget Pro work with 230 V?"
    card = facebook.card
    assert (card.source_type, card.action_type, card.outside_author, card.member_id, card.title) == (
        "facebook",
        "comment",
        "Jürgen Müller",
        None,
        "Jürgen Müller commented on your post",
    )
    assert card.source_url == facebook.link
    assert card.reply_url == f"https://community.example.com/admin/intake/cards/{facebook.pk}/"
    assert card.text == "Does the Widget Pro work with 230 V?"
    assert OutboxMessage.objects.filter(card=card).count() == 1

    instagram = _card("<ig-1@mail.instagram.com>")
    assert (instagram.source_type, instagram.action_type, instagram.outside_author) == (
        "instagram",
        "mention",
        "lena.k",
    )
    assert instagram.text == "@examplebrand my Gadget Mini arrived broken & nobody answers"

    inquiry = IntakeMail.objects.get(message_id="<anfrage-1@kunde.example>")
    assert (inquiry.source_type, inquiry.action_type, inquiry.subject) == (
        "email",
        "inquiry",
        "Anfrage für ein Angebot",
    )
    assert (inquiry.author_name, inquiry.author_address) == ("Günther Weiß", "guenther@kunde.example")
    assert inquiry.text == "Guten Tag,\n\nich hätte gern ein Angebot für 12 Stück Widget Pro.\n\nGrüße\nGünther Weiß"

    form = IntakeMail.objects.get(message_id="<form-1@example.com>")
    assert (form.source_type, form.author_name, form.author_address, form.link) == (
        "website_form",
        "Anna Schmidt",
        "anna@kundin.example",
        "https://example.com/gadget-mini",
    )
    assert form.text == "Can I return the Gadget Mini after 30 days?"
    assert dovecot.uids(criterion="UNSEEN") == []
    mailbox.refresh_from_db()
    assert (mailbox.mails_seen, mailbox.cards_created, mailbox.mails_skipped, mailbox.last_error) == (4, 4, 0, "")
    assert mailbox.last_success_at == mailbox.last_polled_at


def test_second_poll_reads_nothing_again(dovecot, mailbox):
    """Marked mail is not read again; a mail re-delivered with the same Message-ID makes no second card."""
    dovecot.append(mails.plain(n=1))
    services.mailbox_poll(mailbox=mailbox)
    assert services.mailbox_poll(mailbox=mailbox).read == 0

    dovecot.append(mails.plain(n=1))
    again = services.mailbox_poll(mailbox=mailbox)

    assert (again.read, again.created, again.duplicates) == (1, 0, 1)
    assert InterestCard.objects.count() == 1
    assert IntakeMail.objects.count() == 1


def test_committed_but_unmarked_mail_is_only_marked(dovecot, mailbox, monkeypatch):
    """A poller that dies after the commit but before marking: the next poll marks the mail, makes no second card."""
    dovecot.append(mails.plain(n=1), mails.plain(n=2))
    real_mark = services._mark
    marks = []

    def die_on_second(client, box, uid, *, can_move):
        marks.append(uid)
        if len(marks) == 2:
            raise OSError("killed")
        real_mark(client, box, uid, can_move=can_move)

    monkeypatch.setattr(services, "_mark", die_on_second)
    first = services.mailbox_poll(mailbox=mailbox)
    assert (first.read, first.created, first.error) == (1, 1, "OSError: killed")
    assert IntakeMail.objects.count() == 2  # the second one's card committed before the crash
    assert dovecot.uids(criterion="UNSEEN") == [marks[1]]

    monkeypatch.setattr(services, "_mark", real_mark)
    second = services.mailbox_poll(mailbox=mailbox)

    assert (second.read, second.created, second.duplicates, second.error) == (1, 0, 1, "")
    assert sorted(IntakeMail.objects.values_list("message_id", flat=True)) == [
        "<plain-1@kunde.example>",
        "<plain-2@kunde.example>",
    ]
    assert InterestCard.objects.count() == 2
    assert dovecot.uids(criterion="UNSEEN") == []


def test_processed_mail_is_moved(dovecot, move_mailbox):
    """With "move to a folder", the processed mail leaves the INBOX for that folder."""
    dovecot.append(mails.plain(n=1), mails.plain(n=2))

    result = services.mailbox_poll(mailbox=move_mailbox)

    assert (result.read, result.created) == (2, 2)
    assert dovecot.uids() == []
    assert len(dovecot.uids(folder="Done")) == 2


def test_auto_replies_bulk_and_loops_make_no_card(dovecot, mailbox, settings):
    """Out-of-office replies, bulk newsletters and the portal's own mails are recorded as skipped, marked, no card."""
    settings.DEFAULT_FROM_EMAIL = "Community <community@example.com>"
    own = mails.plain(n=902, subject="Re: your question").replace(
        b"From: Kim Kunde <kim902@kunde.example>", b"From: Community <community@example.com>"
    )
    dovecot.append(mails.auto_reply(), mails.bulk_newsletter(), own)

    result = services.mailbox_poll(mailbox=mailbox)

    assert (result.read, result.created, result.skipped) == (3, 0, 3)
    assert dict(IntakeMail.objects.values_list("message_id", "skipped")) == {
        "<plain-900@kunde.example>": SkipReason.AUTO_REPLY,
        "<plain-901@kunde.example>": SkipReason.BULK,
        "<plain-902@kunde.example>": SkipReason.LOOP,
    }
    assert set(IntakeMail.objects.values_list("text", flat=True)) == {""}
    assert InterestCard.objects.count() == 0
    assert dovecot.uids(criterion="UNSEEN") == []
    mailbox.refresh_from_db()
    assert (mailbox.mails_seen, mailbox.cards_created, mailbox.mails_skipped) == (3, 0, 3)


def test_malformed_mime_keeps_its_readable_text(dovecot, mailbox):
    """A mail with a boundary that never comes still becomes a card with the words that can be read."""
    dovecot.append(mails.malformed())

    result = services.mailbox_poll(mailbox=mailbox)

    assert (result.read, result.created, result.error) == (1, 1, "")
    record = IntakeMail.objects.get()
    assert record.text == "Hi there, is the Widget Pro in stock?"
    assert record.card.title == "Broken =?utf-8?q?mail"


def test_large_attachment_is_not_kept(dovecot, mailbox):
    """A 25 MB attachment: the card has the text, nothing of the attachment is stored."""
    dovecot.append(mails.plain(n=7, size=25 * 1024 * 1024))

    result = services.mailbox_poll(mailbox=mailbox)

    assert (result.read, result.created, result.error) == (1, 1, "")
    record = IntakeMail.objects.get()
    assert record.text == "Hello,\n\nwhen will order 7 arrive?\n\nKim"
    assert len(record.references) < 200


def test_wrong_password_shows_on_the_health_panel(dovecot, make_mailbox):
    """A login failure is the mailbox's last error; no mail is read, nothing is stored."""
    dovecot.append(mails.plain(n=1))
    mailbox = make_mailbox(password="wrong")

    result = services.mailbox_poll(mailbox=mailbox)

    assert result.read == 0
    assert result.error.startswith("error: ")
    assert "AUTHENTICATIONFAILED" in result.error or "Authentication failed" in result.error
    mailbox.refresh_from_db()
    assert mailbox.last_error == result.error
    assert mailbox.last_success_at is None
    assert IntakeMail.objects.count() == 0
    assert len(dovecot.uids(criterion="UNSEEN")) == 1


def test_server_gone_mid_poll_loses_nothing(dovecot, mailbox, monkeypatch):
    """Dovecot stops after the first mail: the error is noted, the next poll reads the rest, none twice."""
    dovecot.append(*(mails.plain(n=n) for n in range(1, 6)))
    real_ingest = services.mail_ingest
    calls = []

    def stop_after_first(**kwargs):
        record = real_ingest(**kwargs)
        calls.append(record)
        if len(calls) == 1:
            dovecot.stop()
        return record

    monkeypatch.setattr(services, "mail_ingest", stop_after_first)
    first = services.mailbox_poll(mailbox=mailbox)
    assert first.error != ""
    assert first.read == 0  # the mark after the first card failed with the server
    assert IntakeMail.objects.count() == 1

    dovecot.start()
    monkeypatch.setattr(services, "mail_ingest", real_ingest)
    second = services.mailbox_poll(mailbox=mailbox)

    assert (second.read, second.created, second.duplicates, second.error) == (5, 4, 1, "")
    assert IntakeMail.objects.count() == 5
    assert InterestCard.objects.count() == 5
    mailbox.refresh_from_db()
    assert mailbox.last_success_at == mailbox.last_polled_at


@pytest.mark.django_db
def test_every_active_mailbox_is_polled(dovecot, make_mailbox):
    """The scheduled poll reads every active mailbox; an inactive one is left alone."""
    active = make_mailbox(name="A")
    make_mailbox(name="B", is_active=False)
    dovecot.append(mails.plain(n=1))

    results = services.mailboxes_poll()

    assert list(results) == [active.pk]
    assert results[active.pk].created == 1
    assert Mailbox.objects.get(name="B").last_polled_at is None


def test_a_thousand_mails_each_become_one_card(dovecot, mailbox, settings):
    """1,000 mails in the mailbox: two polls of 500 read them all, every mail one card, none twice."""
    settings.INTAKE_POLL_BATCH = 500
    dovecot.append(*(mails.plain(n=n) for n in range(1000)))

    first = services.mailbox_poll(mailbox=mailbox)
    second = services.mailbox_poll(mailbox=mailbox)
    third = services.mailbox_poll(mailbox=mailbox)

    assert [(r.read, r.created, r.error) for r in (first, second, third)] == [
        (500, 500, ""),
        (500, 500, ""),
        (0, 0, ""),
    ]
    assert IntakeMail.objects.count() == 1000
    assert InterestCard.objects.count() == 1000
    assert IntakeMail.objects.values("message_id").distinct().count() == 1000
    assert dovecot.uids(criterion="UNSEEN") == []


def test_a_poll_while_another_holds_the_mailbox_reads_nothing(dovecot, mailbox):
    """Another poller's live lease: this poll reads and marks nothing; once the lease ran out, it reads."""
    from datetime import timedelta

    from django.utils import timezone

    dovecot.append(mails.plain(n=1))
    Mailbox.objects.filter(pk=mailbox.pk).update(
        poll_owner="another-poller", poll_lease_until=timezone.now() + timedelta(minutes=1)
    )

    busy = services.mailbox_poll(mailbox=mailbox)

    assert (busy.busy, busy.read, busy.error) == (True, 0, "")
    assert IntakeMail.objects.count() == 0
    assert len(dovecot.uids(criterion="UNSEEN")) == 1
    assert Mailbox.objects.get(pk=mailbox.pk).last_polled_at is None  # the health panel shows the real polls only

    Mailbox.objects.filter(pk=mailbox.pk).update(poll_lease_until=timezone.now() - timedelta(seconds=1))
    result = services.mailbox_poll(mailbox=mailbox)

    assert (result.busy, result.read, result.created) == (False, 1, 1)
    assert dovecot.uids(criterion="UNSEEN") == []
    mailbox.refresh_from_db()
    assert (mailbox.poll_owner, mailbox.poll_lease_until) == ("", None)
