"""Sign-up and password reset do not reveal registered addresses (issue 18, finding 5)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.hashers import get_hasher
from django.core import mail
from django.urls import reverse

from portal.models import User
from tests.factories import make_member

pytestmark = pytest.mark.django_db


_commit = None


@pytest.fixture(autouse=True)
def _mail_after_commit(django_capture_on_commit_callbacks):
    """Mails are enqueued on commit: each request runs its callbacks as a real commit would."""
    global _commit
    _commit = django_capture_on_commit_callbacks
    yield
    _commit = None


SECRET = "a-long-secret-77"


def page_without_tokens(response) -> str:
    """The page as a reader sees it: the per-response CSP nonce and CSRF token differ on every page anyway."""
    html = re.sub(r'nonce="[^"]*"', "", response.content.decode())
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def signup(client, email, language="en"):
    with _commit(execute=True):
        return client.post(
            reverse("signup"),
            {"email": email, "password1": SECRET, "password2": SECRET, "preferred_language": language},
            follow=True,
        )


def test_signup_answers_the_same_for_new_and_existing_addresses(client, customer):
    """Same status, same redirect chain, same page; the only difference is in the mailboxes."""
    new = signup(client, "brand-new@example.com")
    existing = signup(client, customer.email.upper())
    assert new.status_code == existing.status_code == 200
    assert new.redirect_chain == existing.redirect_chain == [(reverse("signup_done"), 302)]
    assert page_without_tokens(new) == page_without_tokens(existing)
    assert User.objects.with_email(customer.email).count() == 1


def test_signup_does_the_same_work_for_an_existing_address(client, customer, monkeypatch):
    """Both paths hash the password once and send exactly one mail (similar time)."""
    hasher = get_hasher()
    calls = []
    original = type(hasher).encode

    def counting_encode(self, password, salt, *args, **kwargs):
        calls.append(password)
        return original(self, password, salt, *args, **kwargs)

    monkeypatch.setattr(type(hasher), "encode", counting_encode)
    signup(client, "brand-new@example.com")
    assert (calls, len(mail.outbox)) == ([SECRET], 1)
    calls.clear()
    signup(client, customer.email)
    assert (calls, len(mail.outbox)) == ([SECRET], 2)


def test_the_owner_of_an_existing_address_is_told_in_their_language(client):
    """The owner gets "someone tried to sign up", in the language of their account, with login and reset links."""
    owner = make_member(email="owner@example.com", preferred_language="de")
    signup(client, "Owner@example.com", language="en")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [owner.email]
    assert message.subject == "Jemand wollte sich mit Ihrer E-Mail-Adresse registrieren"
    assert "/account/login/" in message.body
    assert "/account/password/reset/" in message.body
    owner.refresh_from_db()
    assert owner.check_password(SECRET) is False


def test_an_unconfirmed_owner_gets_the_confirmation_link_again(client):
    """A taken but unconfirmed address gets its confirmation link once more instead."""
    signup(client, "pending@example.com")
    signup(client, "pending@example.com")
    assert [m.to for m in mail.outbox] == [["pending@example.com"], ["pending@example.com"]]
    assert "/account/signup/confirm/" in mail.outbox[1].body


def test_signup_attempt_notices_are_limited_per_address(client, customer, settings):
    """Repeated sign-ups with a taken address cannot flood its owner's mailbox."""
    settings.SIGNUP_NOTICES_PER_HOUR = 2
    settings.SIGNUP_RATE_PER_HOUR = 100
    answers = {signup(client, customer.email).redirect_chain[-1] for _ in range(4)}
    assert answers == {(reverse("signup_done"), 302)}
    assert len(mail.outbox) == 2


def reset(client, email, address="198.51.100.9"):
    with _commit(execute=True):
        return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)


def test_password_reset_is_limited_per_address_with_the_same_answer(client, customer, settings):
    """Beyond the per-address limit no mail is sent, and the answer stays the neutral redirect."""
    settings.PASSWORD_RESET_PER_EMAIL_PER_HOUR = 2
    responses = [reset(client, customer.email, address=f"198.51.100.{n}") for n in range(4)]
    assert {(r.status_code, r.url) for r in responses} == {(302, reverse("password_reset_done"))}
    assert len(mail.outbox) == 2
    unknown = reset(client, "nobody@example.com", address="198.51.100.200")
    assert (unknown.status_code, unknown.url) == (302, reverse("password_reset_done"))


def test_password_reset_is_limited_per_client_address(client, settings):
    """One client cannot send reset mails to many addresses."""
    settings.PASSWORD_RESET_PER_CLIENT_PER_HOUR = 3
    members = [make_member() for _ in range(5)]
    responses = [reset(client, member.email) for member in members]
    assert {(r.status_code, r.url) for r in responses} == {(302, reverse("password_reset_done"))}
    assert [m.to for m in mail.outbox] == [[member.email] for member in members[:3]]
    # Another client still gets its mail.
    reset(client, members[4].email, address="192.0.2.1")
    assert mail.outbox[-1].to == [members[4].email]
