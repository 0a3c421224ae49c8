"""Sign-up, e-mail confirmation, login, logout, password reset and change, handles."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from portal.handles import HANDLE_RE
from portal.models import User
from portal.roles import Role
from tests.factories import PASSWORD, make_member

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/account/signup/confirm/\S+/")


def signup(client, email="new@example.com", password="a-long-secret-77", language="en"):
    return client.post(
        reverse("signup"),
        {"email": email, "password1": password, "password2": password, "preferred_language": language},
    )


def test_signup_sends_a_real_email_and_the_link_confirms_the_account(
    client, smtp_server, django_capture_on_commit_callbacks
):
    """A new member gets the confirmation mail through SMTP; following the link activates login."""
    with django_capture_on_commit_callbacks(execute=True):
        response = signup(client)
    assert response.status_code == 302
    assert response.url == reverse("signup_done")
    user = User.objects.with_email("new@example.com").get()
    assert user.email_confirmed_at is None
    assert HANDLE_RE.match(user.handle)
    assert list(user.groups.values_list("name", flat=True)) == [Role.CUSTOMER]

    messages = smtp_server.wait_for(1)
    assert len(messages) == 1
    assert messages[0]["to"] == ["new@example.com"]
    body = smtp_server.body(messages[0])
    assert f"@{user.handle}" in body
    url = LINK.search(body).group(0)
    path = url.split("://", 1)[1].split("/", 1)[1]

    refused = client.post(reverse("login"), {"username": "new@example.com", "password": "a-long-secret-77"})
    assert refused.status_code == 200
    assert "confirm your e-mail address first" in refused.content.decode()

    confirmed = client.get("/" + path)
    assert confirmed.status_code == 302
    assert confirmed.url == reverse("login")
    user.refresh_from_db()
    assert user.email_confirmed_at is not None

    logged_in = client.post(reverse("login"), {"username": "NEW@example.com", "password": "a-long-secret-77"})
    assert logged_in.status_code == 302
    assert client.get(reverse("account")).status_code == 200


def test_signup_page_has_no_pre_ticked_boxes(client):
    """Privacy by default: nothing on the sign-up form is checked in advance."""
    html = client.get(reverse("signup")).content.decode()
    assert "<form" in html
    assert "checked" not in html


def test_signup_creates_no_second_account_and_refuses_mismatched_passwords(client, customer):
    """A taken address answers like a new one (tests/portal/test_signup_enumeration.py) but adds no account;
    bad passwords get clear errors."""
    before = User.objects.count()
    response = signup(client, email=customer.email.upper())
    assert response.status_code == 302
    assert response.url == reverse("signup_done")
    assert "already exists" not in client.get(response.url).content.decode()
    response = client.post(
        reverse("signup"),
        {
            "email": "x@example.com",
            "password1": "a-long-secret-77",
            "password2": "other-secret-77",
            "preferred_language": "en",
        },
    )
    assert "do not match" in response.content.decode()
    response = signup(client, email="y@example.com", password="12345678901")
    assert response.status_code == 200
    assert User.objects.count() == before
    assert len(mail.outbox) == 0


def test_tampered_or_stale_confirmation_link_is_refused(client):
    """A forged token or one for a changed address does not confirm anything."""
    signup(client)
    user = User.objects.with_email("new@example.com").get()
    response = client.get(reverse("signup_confirm", args=["not-a-token"]))
    assert response.status_code == 400
    from portal.services import confirmation_token

    token = confirmation_token(user)
    User.objects.filter(pk=user.pk).update(email="changed@example.com")
    response = client.get(reverse("signup_confirm", args=[token]))
    assert response.status_code == 400
    user.refresh_from_db()
    assert user.email_confirmed_at is None


def test_login_locks_the_address_after_repeated_failures(client, customer, settings):
    """After the configured number of wrong passwords even the right one is refused from that address for a
    while (more in tests/portal/test_login_throttle.py: other addresses, spraying, unlocking)."""
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(2):
        response = client.post(reverse("login"), {"username": customer.email, "password": "wrong-password"})
        assert "not correct" in response.content.decode()
    response = client.post(reverse("login"), {"username": customer.email, "password": "wrong-password"})
    assert response.status_code == 429
    response = client.post(reverse("login"), {"username": customer.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_requires_post_and_ends_the_session(client, customer):
    client.force_login(customer)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_reset_mail_link_sets_a_new_password(client, customer):
    """The reset mail carries a working one-time link; the old password stops working."""
    response = client.post(reverse("password_reset"), {"email": customer.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://\S+/account/password/reset/\S+/\S+/", mail.outbox[0].body).group(0)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": "brand-new-secret-42", "new_password2": "brand-new-secret-42"})
    assert done.status_code == 302
    customer.refresh_from_db()
    assert customer.check_password("brand-new-secret-42")
    assert not customer.check_password(PASSWORD)


def test_password_reset_for_unknown_address_reveals_nothing(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 0


def test_password_change(client, customer):
    client.force_login(customer)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "another-secret-55", "new_password2": "another-secret-55"},
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.check_password("another-secret-55")


def test_handle_change_validates_and_stays_unique(client, customer, other_customer):
    """Handles are public: format checked, unique, and the old one is free again."""
    client.force_login(customer)
    old = customer.handle
    taken = client.post(reverse("account"), {"save_handle": "1", "handle": other_customer.handle})
    assert "This handle is taken" in taken.content.decode()
    bad = client.post(reverse("account"), {"save_handle": "1", "handle": "Bad Handle!"})
    assert "lower-case letters" in bad.content.decode()
    customer.refresh_from_db()
    assert customer.handle == old
    ok = client.post(reverse("account"), {"save_handle": "1", "handle": "sunny-badger-7"})
    assert ok.status_code == 302
    customer.refresh_from_db()
    assert customer.handle == "sunny-badger-7"


def test_only_the_handle_is_public(client, home_page):
    """Pages never show the private name or e-mail of a member."""
    member = make_member(first_name="Clara", last_name="Geheim", email="clara.geheim@example.com")
    client.force_login(member)
    html = client.get("/").content.decode()
    assert member.handle in html
    assert "Geheim" not in html
    assert "clara.geheim" not in html


def test_new_account_holds_no_elevated_rights(customer):
    """A customer is in the Customer role only and cannot reach the back office."""
    assert not customer.is_staff and not customer.is_superuser
    assert not customer.has_perm("wagtailadmin.access_admin")
