"""A member grants and withdraws in the privacy centre, checks a downloaded receipt, and confirms the newsletter."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e
EMAIL = "privacy.e2e@example.com"
PASSWORD = "privacy-e2e-password-1"
CENTRE = re.compile(r"/privacy/(#[a-z_-]+)?$")


@pytest.fixture(scope="module")
def member(live_server):
    """A confirmed member of its own, so other journeys' consents do not interfere."""
    live_server.shell(
        "from django.contrib.auth.models import Group; from django.utils import timezone; "
        "from portal.models import User; "
        f"u = User.objects.create_user(email='{EMAIL}', password='{PASSWORD}', email_confirmed_at=timezone.now()); "
        "u.groups.add(Group.objects.get(name='Customer'))"
    )
    return EMAIL


def _state(page, code: str) -> str:
    return page.locator(f"#purpose-{code} .status").get_attribute("data-state")


def test_grant_withdraw_download_and_verify_a_receipt(page, live_server, as_user, member, screenshot, tmp_path):
    as_user(page, member, PASSWORD)
    page.goto("/privacy/")
    assert page.locator("h1").inner_text() == "Privacy centre"
    assert page.locator("[data-state=off]").count() == 5  # nothing pre-ticked

    page.click("#purpose-crm_followup button[value=grant]")  # one click to agree
    page.wait_for_url(CENTRE)
    assert _state(page, "crm_followup") == "granted"
    assert "you agreed to" in page.locator(".messages").inner_text()
    page.click("#purpose-crm_followup button[value=withdraw]")  # one click to withdraw
    page.wait_for_url(CENTRE)
    assert _state(page, "crm_followup") == "off"
    rows = page.locator("#history tbody tr")
    assert rows.count() == 2
    assert "consent withdrawn" in rows.nth(0).inner_text() and "consent given" in rows.nth(1).inner_text()
    screenshot(page, "privacy-centre")

    with page.expect_download() as info:
        rows.nth(0).locator("a[download]").click()
    download = info.value
    assert re.fullmatch(r"consent-receipt-[0-9a-f-]{36}\.jws", download.suggested_filename)
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    receipt = path.read_text()
    assert receipt.count(".") == 2

    page.goto("/privacy/receipts/verify/")
    page.fill("textarea[name=receipt]", receipt)
    page.click("main button[type=submit]")
    result = page.locator("[data-verify-result]")
    assert result.get_attribute("data-verify-result") == "valid"
    assert page.locator(".checklist li.ok").count() == 5
    assert "crm_followup" in page.locator(".receipt-facts").inner_text()
    screenshot(page, "receipt-verify")

    page.fill("textarea[name=receipt]", receipt[:-6] + "AAAAAA")
    page.click("main button[type=submit]")
    assert page.locator("[data-verify-result]").get_attribute("data-verify-result") == "invalid"


def test_newsletter_double_opt_in_through_the_mailed_link(page, live_server, as_user, member, screenshot):
    as_user(page, member, PASSWORD)
    page.goto("/privacy/")
    before = len(live_server.mails_to(member))
    page.click("#purpose-newsletter button[value=grant]")
    page.wait_for_url(CENTRE)
    assert _state(page, "newsletter") == "pending"
    body = live_server.wait_for_mail(member, count=before + 1)[-1]
    link = re.search(r"http://\S+/privacy/confirm/\S+/", body).group(0)

    page.goto(link)
    page.click("main button[type=submit]")
    assert page.locator("h1").inner_text() == "Subscription confirmed"
    page.goto("/privacy/")
    assert _state(page, "newsletter") == "granted"
    assert "confirmed by e-mail link" in page.locator("#history tbody tr").nth(0).inner_text()


def test_the_privacy_centre_in_german_and_for_visitors(new_page, live_server, as_user, member, screenshot):
    page = new_page(locale="de-DE")
    page.goto("/privacy/")
    assert page.locator("h1").inner_text() == "Datenschutzzentrum"
    assert page.locator("a.button[href^='/account/login/']").count() == 1
    screenshot(page, "privacy-public-de")
    as_user(page, member, PASSWORD)
    page.goto("/privacy/")
    page.click(".language-switcher button[value=de]")
    page.wait_for_url(CENTRE)
    assert page.locator("#purposes-heading").inner_text() == "Ihre Einwilligungen"
    assert page.locator("#purpose-analytics .status").inner_text() == "Aus"
    assert page.locator("#purpose-analytics button[value=grant]").inner_text() == "Zustimmen"
    screenshot(page, "privacy-centre-de")


def test_the_dpo_re_identifies_verifies_the_ledger_and_reads_the_record(page, live_server, as_user, screenshot):
    pseudonym = live_server.shell(
        "from consent.pseudonyms import pseudonym_for; from crm.models import CrmConnection; "
        "from portal.models import User; connection = CrmConnection.objects.get(name='Demo CRM'); "
        "print(pseudonym_for(User.objects.with_email('customer@example.com').get(), connection.pseudonym_domain))"
    ).split()[-1]
    as_user(page, "dpo@example.com", "dpo-demo-2026")
    page.goto("/admin/privacy/reidentify/")
    page.fill("input[name=pseudonym]", pseudonym)
    page.fill("textarea[name=reason]", "Complaint CRM-2231 needs a personal answer")
    page.get_by_role("button", name="Re-identify").click()
    result = page.locator("[data-reidentified]")
    assert "customer@example.com" in result.inner_text()
    screenshot(page, "dpo-reidentify")

    page.goto("/admin/privacy/ledger/")
    page.get_by_role("button", name="Verify the whole ledger now").click()
    assert page.locator("[data-ledger-result]").get_attribute("data-ledger-result") == "ok"

    page.goto("/admin/privacy/record/")
    assert page.locator("table.listing").first.locator("tbody tr").count() == 5
    screenshot(page, "dpo-record-of-processing")

    customer = page.context.browser.new_context(base_url=live_server.url).new_page()
    as_user(customer, "customer@example.com", "customer-demo-2026")
    customer.goto("/privacy/")
    accesses = customer.locator("#accesses").inner_text()
    assert "looked up who stands behind a pseudonym" in accesses and "Complaint CRM-2231" in accesses
    customer.context.close()
