"""Login throttling (issue 18, finding 4): per (client address, account) and per address, never a global lockout."""

from __future__ import annotations

import re

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.urls import reverse

from portal.login_throttle import account_key
from portal.models import User
from portal.roles import Role
from tests.factories import PASSWORD, make_member

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.66"
OWNER = "198.51.100.7"
LOGIN_URL = "/account/login/"


def login(client, email, password, address):
    return client.post(LOGIN_URL, {"username": email, "password": password}, REMOTE_ADDR=address)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_attackers_failures_do_not_lock_the_owner_out_from_their_own_address(client, customer, settings):
    """Five wrong passwords from an attacker's address lock that address for the account, not the owner elsewhere."""
    settings.LOGIN_FAILURE_LIMIT = 5
    for attempt in range(4):
        response = login(client, customer.email, "wrong-password", ATTACKER)
        assert response.status_code == 200
        assert "not correct" in response.content.decode()
    fifth = login(client, customer.email, "wrong-password", ATTACKER)
    assert fifth.status_code == 429
    assert "too many failed login attempts from your network" in fifth.content.decode()

    # The right password from the attacker's address is refused too: the pair is locked.
    refused = login(client, customer.email, PASSWORD, ATTACKER)
    assert refused.status_code == 429
    assert not logged_in(client)

    owner = login(client, customer.email, PASSWORD, OWNER)
    assert owner.status_code == 302
    assert logged_in(client)


def test_spraying_many_accounts_from_one_address_is_blocked(client, settings):
    """40 accounts with one wrong password each from one address: the address is refused after its budget."""
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 20
    members = [make_member(role=Role.CUSTOMER) for _ in range(40)]
    statuses = [login(client, member.email, "wrong-password", ATTACKER).status_code for member in members]
    assert statuses[:19] == [200] * 19
    assert statuses[19:] == [429] * 21
    # Even a correct password is refused from that address now ...
    assert login(client, members[-1].email, PASSWORD, ATTACKER).status_code == 429
    assert not logged_in(client)
    # ... but not from another one.
    assert login(client, members[-1].email, PASSWORD, OWNER).status_code == 302


def test_the_cool_off_grows_with_every_failure_past_the_limit(client, customer, settings):
    """Each failure while locked doubles how long the lock lasts, up to the maximum."""
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_LOCKOUT_SECONDS = 60
    settings.LOGIN_LOCKOUT_MAX_SECONDS = 240

    def minutes_left(response):
        return int(re.search(r"try again in (\d+) minute", response.content.decode()).group(1))

    for _ in range(2):
        login(client, customer.email, "wrong-password", ATTACKER)
    assert minutes_left(login(client, customer.email, "wrong-password", ATTACKER)) == 1
    assert minutes_left(login(client, customer.email, "wrong-password", ATTACKER)) == 2
    assert minutes_left(login(client, customer.email, "wrong-password", ATTACKER)) == 4
    assert minutes_left(login(client, customer.email, "wrong-password", ATTACKER)) == 4


def test_a_completed_password_reset_unlocks_the_account(client, customer, settings):
    """The lockout page leads to a password reset; the new password then works from the locked address."""
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    for _ in range(3):
        locked = login(client, customer.email, "wrong-password", ATTACKER)
    assert locked.status_code == 429
    assert reverse("password_reset") in locked.content.decode()

    client.post(reverse("password_reset"), {"email": customer.email}, REMOTE_ADDR=ATTACKER)
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+(/account/password/reset/\S+/\S+/)", mail.outbox[0].body).group(1)
    set_url = client.get(link, follow=True, REMOTE_ADDR=ATTACKER).redirect_chain[-1][0]
    done = client.post(
        set_url, {"new_password1": "brand-new-secret-42", "new_password2": "brand-new-secret-42"}, REMOTE_ADDR=ATTACKER
    )
    assert done.status_code == 302
    assert AccessAttempt.objects.filter(username=account_key(customer.email)).count() == 0

    response = login(client, customer.email, "brand-new-secret-42", ATTACKER)
    assert response.status_code == 302
    assert logged_in(client)


def test_wagtail_admin_login_is_throttled_too(client, moderator, settings):
    """Staff log in at /admin/login/: the same throttle applies there."""
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        response = client.post(
            "/admin/login/", {"username": moderator.email, "password": "wrong-password"}, REMOTE_ADDR=ATTACKER
        )
    assert response.status_code == 429
    refused = client.post("/admin/login/", {"username": moderator.email, "password": PASSWORD}, REMOTE_ADDR=ATTACKER)
    assert refused.status_code == 429
    assert not logged_in(client)
    assert (
        AccessAttempt.objects.get(username=account_key(moderator.email), ip_address=ATTACKER).failures_since_start == 4
    )


def test_a_successful_login_clears_only_its_own_failures(client, customer, other_customer, settings):
    """Logging in resets the pair's count; the address keeps the failures it made against other accounts."""
    settings.LOGIN_FAILURE_LIMIT = 3
    login(client, customer.email, "wrong-password", OWNER)
    login(client, other_customer.email, "wrong-password", OWNER)
    assert login(client, customer.email, PASSWORD, OWNER).status_code == 302
    assert list(AccessAttempt.objects.values_list("username", "failures_since_start")) == [
        (account_key(other_customer.email), 1)
    ]


def test_failure_records_keep_no_address_in_clear(client, customer, settings):
    """A dump of axes' table shows keyed hashes: the member's address and a guessed one alike."""
    login(client, customer.email.upper(), "wrong-password", ATTACKER)
    login(client, "Nobody@Example.com", "wrong-password", ATTACKER)
    stored = sorted(AccessAttempt.objects.values_list("username", flat=True))
    assert stored == sorted([account_key(customer.email), account_key("nobody@example.com")])
    assert all("@" not in value and "example" not in value.lower() for value in stored)
    assert User.objects.with_email(customer.email).get().email_index == account_key(customer.email)


def test_staff_see_lockouts_in_the_back_office_and_lift_them(client, customer, administrator, settings):
    """Administrators find the locks under Settings > Login lockouts and can lift one."""
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        login(client, customer.email, "wrong-password", ATTACKER)
    client.force_login(administrator)
    dashboard = client.get("/admin/").content.decode()
    assert reverse("portal_admin:lockouts") in dashboard

    page = client.get(reverse("portal_admin:lockouts"))
    assert page.status_code == 200
    html = page.content.decode()
    assert ATTACKER in html
    assert f"@{customer.handle}" in html  # the account by its handle; the address is not kept
    assert customer.email not in html
    assert "No login is locked right now." not in html

    lifted = client.post(
        reverse("portal_admin:lockout_lift"),
        {"ip_address": ATTACKER, "username": account_key(customer.email)},
        follow=True,
    )
    assert "The lock is lifted." in lifted.content.decode()
    assert "No login is locked right now." in lifted.content.decode()
    assert AccessAttempt.objects.count() == 0


def test_lockouts_are_hidden_from_staff_without_the_permission(client, customer, moderator, settings):
    """A moderator is sent back to the dashboard (Wagtail's answer to PermissionDenied) and lifts nothing."""
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        login(client, customer.email, "wrong-password", ATTACKER)
    client.force_login(moderator)
    assert client.get(reverse("portal_admin:lockouts")).url == "/admin/"
    assert client.post(reverse("portal_admin:lockout_lift"), {"ip_address": ATTACKER}).url == "/admin/"
    assert AccessAttempt.objects.filter(ip_address=ATTACKER).count() == 1
    assert reverse("portal_admin:lockouts") not in client.get("/admin/").content.decode()


def test_after_a_reset_the_owner_passes_even_an_address_locked_by_spraying(client, customer, settings):
    """A shared address locked by someone else's spraying: the owner's completed reset lets that browser log in."""
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    for member in [make_member(role=Role.CUSTOMER) for _ in range(3)]:
        login(client, member.email, "wrong-password", ATTACKER)
    assert login(client, customer.email, PASSWORD, ATTACKER).status_code == 429

    client.post(reverse("password_reset"), {"email": customer.email}, REMOTE_ADDR=ATTACKER)
    link = re.search(r"https?://\S+(/account/password/reset/\S+/\S+/)", mail.outbox[0].body).group(1)
    set_url = client.get(link, follow=True, REMOTE_ADDR=ATTACKER).redirect_chain[-1][0]
    client.post(set_url, {"new_password1": "brand-new-secret-42", "new_password2": "brand-new-secret-42"})

    assert login(client, customer.email, "brand-new-secret-42", ATTACKER).status_code == 302
    assert logged_in(client)
    client.logout()
    # The pass is for that account only: the address stays locked for the others.
    assert login(client, "someone-else@example.com", "whatever-password", ATTACKER).status_code == 429
