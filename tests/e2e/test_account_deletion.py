"""A member deletes their own account in a real browser, in English and German: summary, wrong password,
locked at once, signing in cancels, deleting again and the grace period ending erases with the report mailed."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e
PASSWORD = "deletion-e2e-password-1"

TEXT = {
    "en": {
        "heading": "Delete my account",
        "wrong": "That is not your password.",
        "locked": "Your account is locked and will be erased on",
        "welcome": "Welcome back! You signed in, so the deletion of your account is cancelled.",
        "scheduled_mail": "you asked to delete your account. It is locked now",
        "cancelled_mail": "the deletion you asked for is cancelled and nothing was erased",
        "report_mail": "This is the erasure report",
    },
    "de": {
        "heading": "Mein Konto löschen",
        "wrong": "Das ist nicht Ihr Passwort.",
        "locked": "Ihr Konto ist gesperrt und wird am",
        "welcome": "Willkommen zurück! Sie haben sich angemeldet, daher ist die Löschung Ihres Kontos aufgehoben.",
        "scheduled_mail": "Sie haben die Löschung Ihres Kontos verlangt. Es ist jetzt gesperrt",
        "cancelled_mail": "Die verlangte Löschung ist aufgehoben, nichts wurde gelöscht",
        "report_mail": "Dies ist das Löschprotokoll",
    },
}


def _member(live_server, email: str, language: str) -> None:
    live_server.shell(
        "from django.contrib.auth.models import Group; from django.utils import timezone; "
        "from portal.models import User; "
        f"u = User.objects.create_user(email='{email}', password='{PASSWORD}', preferred_language='{language}', "
        "email_confirmed_at=timezone.now()); u.groups.add(Group.objects.get(name='Customer'))"
    )


def _delete(page, text) -> None:
    page.goto("/account/")
    page.click("#delete-account a")
    expect(page.locator("h1")).to_have_text(text["heading"])
    page.fill("main input[name=password]", PASSWORD)
    page.check("main input[name=understood]")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.parametrize("language", ["en", "de"])
def test_member_deletes_the_account_cancels_by_signing_in_and_is_erased(new_page, live_server, screenshot, language):
    """The whole journey in one language, with the mails in the member's language."""
    text = TEXT[language]
    email = f"leaving.{language}.e2e@example.com"
    _member(live_server, email, language)
    page = new_page(locale="de-DE" if language == "de" else "en-GB")
    login(page, email, PASSWORD)

    page.goto("/account/")
    page.click("#delete-account a")
    expect(page.locator("h1")).to_have_text(text["heading"])
    page.fill("main input[name=password]", "not-my-password")
    page.check("main input[name=understood]")
    page.click("main form button[type=submit]")
    expect(page.locator("main .errorlist")).to_contain_text(text["wrong"])
    screenshot(page, f"deletion_{language}")

    page.fill("main input[name=password]", PASSWORD)
    page.check("main input[name=understood]")
    page.click("main form button[type=submit]")
    expect(page.locator(".messages")).to_contain_text(text["locked"])
    assert page.url.endswith("/privacy/requests/delete-account/done/")
    screenshot(page, f"deletion_done_{language}")
    page.goto("/account/")
    assert "/account/login/" in page.url  # signed out at once
    assert text["scheduled_mail"] in live_server.wait_for_mail(email, count=1, timeout=90)[0]

    login(page, email, PASSWORD)
    expect(page.locator(".messages")).to_contain_text(text["welcome"])
    assert text["cancelled_mail"] in live_server.wait_for_mail(email, count=2, timeout=90)[1]
    state = live_server.shell(
        "from consent.dsar.models import AccessRequest; from portal.models import User; "
        f"u = User.objects.with_email('{email}').get(); "
        "print(list(AccessRequest.objects.filter(member=u).values_list('state', flat=True)), u.erased_at)"
    )
    assert state.strip().splitlines()[-1] == "['withdrawn'] None"

    _delete(page, text)
    expect(page.locator(".messages")).to_contain_text(text["locked"])
    live_server.wait_for_mail(email, count=3, timeout=90)
    # The grace period ends: the scheduled sweep (run by the worker) erases the account and mails the report.
    live_server.shell(
        "from datetime import timedelta; from django.utils import timezone; from portal.models import User; "
        "from consent.dsar.models import AccessRequest; from consent.dsar.tasks import account_deletions_sweep; "
        f"u = User.objects.with_email('{email}').get(); "
        "AccessRequest.objects.filter(member=u, origin='self_service', state='in_progress')"
        ".update(erase_after=timezone.now() - timedelta(minutes=1)); account_deletions_sweep.enqueue()"
    )
    report = live_server.wait_for_mail(email, count=4, timeout=120)[3]
    assert text["report_mail"] in report
    assert "(portal.User): 1" in report

    page.goto("/account/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert "/account/login/" in page.url  # the erased account cannot sign in any more
