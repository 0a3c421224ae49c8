"""The back office of the intake: cards from outside with all ten fields, mailboxes, health panel, rule test."""

from __future__ import annotations

import pytest
from django.template.defaultfilters import date as date_filter
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from intake import services
from intake.models import IntakeMail, Mailbox, Product
from tests.intake import mails


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def stored_mailbox(crm_rule):
    """A mailbox that is never polled here: the tests feed it raw mails through the service."""
    return services.mailbox_save(
        mailbox=Mailbox(name="Info", host="imap.example.com", port=993, username="info", rule=crm_rule),
        password="s3cret-imap",
    )


def test_mailbox_password_is_encrypted_and_write_only(administrator, crm_rule):
    """Staff create a mailbox in the back office: the password is stored encrypted and never rendered."""
    client = _login(administrator)
    response = client.post(
        reverse("intake_mailboxes:add"),
        {
            "name": "Social",
            "host": "imap.example.com",
            "port": "993",
            "security": "tls",
            "username": "social@example.com",
            "new_password": "very-secret-pw",
            "folder": "INBOX",
            "processed_action": "seen",
            "move_to": "",
            "rule": str(crm_rule.pk),
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    mailbox = Mailbox.objects.get(name="Social")
    assert mailbox.password.startswith("v1:")
    assert "very-secret-pw" not in mailbox.password
    assert mailbox.secret() == "very-secret-pw"
    edit = client.get(reverse("intake_mailboxes:edit", args=[mailbox.pk]))
    assert edit.status_code == 200
    assert b"very-secret-pw" not in edit.content
    assert mailbox.password.encode() not in edit.content


def test_card_screen_shows_the_ten_fields(stored_mailbox, moderator):
    """The card screen shows link, date, source, author, action, text, product, responsible, processed, reply."""
    Product.objects.create(name="Widget Pro", keywords_en="widget pro", keywords_de="widget pro")
    record, created = services.mail_ingest(mailbox=stored_mailbox, raw=mails.facebook_comment())
    assert created is True
    assert record.product == "Widget Pro"

    page = _login(moderator).get(reverse("intake_admin:mail", args=[record.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    for expected in (
        "<dt>Link to the source</dt>",
        'href="https://www.facebook.com/examplebrand/posts/123?comment_id=456"',
        f"<dt>Date</dt><dd>{date_filter(timezone.localtime(record.sent_at), 'SHORT_DATETIME_FORMAT')}</dd>",
        "<dt>Source type</dt><dd>Facebook (Info)</dd>",
        "Jürgen Müller",
        "<dt>Action</dt><dd>Comment</dd>",
        "Does the Widget Pro work with 230 V?",
        "<dt>Product</dt><dd>Widget Pro</dd>",
        "<dt>Responsible</dt>",
        ">Claim</button>",
        "<dt>Processed</dt><dd>No</dd>",
        "<dt>Reply</dt>",
    ):
        assert expected in html, expected


def test_claim_from_the_card_screen(stored_mailbox, moderator, other_moderator):
    """The first moderator to claim owns the card; the second is told someone was faster."""
    record, _ = services.mail_ingest(mailbox=stored_mailbox, raw=mails.plain(n=1))
    url = reverse("intake_admin:claim", args=[record.pk])

    assert _login(moderator).post(url).status_code == 302
    _login(other_moderator).post(url)

    record.card.refresh_from_db()
    assert record.card.assignee == moderator
    assert record.card.claimed_at is not None


def test_card_list_query_budget_does_not_grow(stored_mailbox, moderator, django_assert_num_queries):
    """The list of cards from outside costs the same number of queries for 3 and for 12 cards."""
    client = _login(moderator)
    for n in range(3):
        services.mail_ingest(mailbox=stored_mailbox, raw=mails.plain(n=n))
    client.get(reverse("intake_admin:cards"))  # the session and the menu's caches are warm from here on
    with django_assert_num_queries(12) as three:
        assert client.get(reverse("intake_admin:cards")).status_code == 200
    for n in range(3, 12):
        services.mail_ingest(mailbox=stored_mailbox, raw=mails.plain(n=n))
    with django_assert_num_queries(len(three.captured_queries)):
        page = client.get(reverse("intake_admin:cards"))
    assert page.content.decode().count("Question about delivery") == 12


def test_health_panel_shows_last_poll_error_and_counts(stored_mailbox, administrator):
    """The health panel names the last error and the counters of each mailbox."""
    Mailbox.objects.filter(pk=stored_mailbox.pk).update(
        mails_seen=7,
        cards_created=5,
        mails_skipped=2,
        last_error="error: b'[AUTHENTICATIONFAILED] Authentication failed.'",
    )
    html = _login(administrator).get(reverse("intake_admin:health")).content.decode()
    assert "<td>7</td>" in html and "<td>5</td>" in html and "<td>2</td>" in html
    assert "AUTHENTICATIONFAILED" in html
    assert "Not polled yet" in html


def test_health_panel_in_german(stored_mailbox, administrator):
    """The back office speaks German to German staff."""
    administrator.preferred_language = "de"
    administrator.save(update_fields=["preferred_language"])
    text = _login(administrator).get(reverse("intake_admin:health")).content.decode()
    assert "Zustand der Postfächer" in text
    assert "Noch nicht abgerufen" in text


def test_rule_test_screen_shows_the_card_and_stores_nothing(administrator, crm_rule):
    """Staff paste a raw mail and see the card it would make; nothing is written."""
    response = _login(administrator).post(
        reverse("intake_admin:rule_test"), {"raw": mails.html_only_instagram().decode()}
    )
    html = response.content.decode()
    assert "<dt>Rule</dt><dd>Instagram</dd>" in html
    assert "<dt>Source type</dt><dd>Instagram</dd>" in html
    assert "<dt>Action</dt><dd>Mention</dd>" in html
    assert "<dt>Author</dt><dd>lena.k</dd>" in html
    assert "@examplebrand my Gadget Mini arrived broken &amp; nobody answers" in html
    assert IntakeMail.objects.count() == 0


def test_rule_test_names_why_a_mail_makes_no_card(administrator, crm_rule):
    """An out-of-office reply: the screen says it is skipped as an automatic reply."""
    html = _login(administrator).post(reverse("intake_admin:rule_test"), {"raw": mails.auto_reply().decode()})
    assert "<strong>No card:</strong> Automatic reply" in html.content.decode()


def test_customers_do_not_see_the_intake(customer, stored_mailbox):
    """The intake screens are for staff only."""
    client = _login(customer)
    for name in ("intake_admin:cards", "intake_admin:health", "intake_admin:rule_test"):
        assert client.get(reverse(name)).status_code in (302, 403)
