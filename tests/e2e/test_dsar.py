"""Data-subject journeys in a real browser: download and open the export, erasure worked by the DPO, an extension."""

from __future__ import annotations

import re
import time
import zipfile

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e
PASSWORD = "dsar-e2e-password-1"
DPO = ("dpo@example.com", "dpo-demo-2026")


def _member(live_server, email: str) -> str:
    live_server.shell(
        "from django.contrib.auth.models import Group; from django.utils import timezone; "
        "from portal.models import User; "
        f"u = User.objects.create_user(email='{email}', password='{PASSWORD}', first_name='Erin', "
        "last_name='Example', email_confirmed_at=timezone.now()); "
        "u.groups.add(Group.objects.get(name='Customer'))"
    )
    return email


def test_member_downloads_the_export_and_opens_index_html(page, new_page, live_server, as_user, screenshot, tmp_path):
    """The member confirms the password, waits for the ZIP, downloads it and reads index.html offline."""
    email = _member(live_server, "dsar.export.e2e@example.com")
    as_user(page, email, PASSWORD)
    page.goto("/privacy/")
    page.click("#your-data a[href$='#export']")
    page.fill("#export input[name=password]", PASSWORD)
    page.click("#export button[type=submit]")
    assert "Your export is being prepared" in page.locator("main").inner_text()
    link = page.locator("#export a", has_text="Download ZIP")
    deadline = time.monotonic() + 60
    while link.count() == 0 and time.monotonic() < deadline:
        time.sleep(1)
        page.reload()
    with page.expect_download() as info:
        link.first.click()
    target = tmp_path / "mydata.zip"
    info.value.save_as(target)
    folder = tmp_path / "mydata"
    zipfile.ZipFile(target).extractall(folder)
    assert {"manifest.json", "schema.json", "profile.json", "index.html"} <= {p.name for p in folder.iterdir()}
    offline = new_page()
    offline.goto((folder / "index.html").as_uri())
    assert offline.locator("h1").inner_text() == "Your data export"
    assert email in offline.locator("main").inner_text()
    screenshot(offline, "export-index")
    logged = live_server.shell(
        "from consent.models import AuditEntry; from portal.models import User; print(list(AuditEntry.objects.filter("
        f"subject=User.objects.with_email('{email}').get()).values_list('action', flat=True)))"
    )
    assert logged.strip().splitlines()[-1] == "['export_download']"


def test_member_requests_erasure_and_the_dpo_completes_it(page, new_page, live_server, as_user, screenshot):
    """The member files an erasure request; the DPO starts it, erases and completes it from the console."""
    email = _member(live_server, "dsar.erase.e2e@example.com")
    as_user(page, email, PASSWORD)
    page.goto("/privacy/requests/")
    page.select_option("#new-request select[name=req-kind]", "erasure")
    page.fill("#new-request input[name=req-password]", PASSWORD)
    page.click("#new-request button[type=submit]")
    assert "Erasure (Art. 17)" in page.locator("#requests").inner_text()

    dpo = new_page()
    as_user(dpo, *DPO)
    dpo.goto("/admin/access-requests/")
    screenshot(dpo, "dpo-console")
    row = dpo.locator("tr.dsar-row").filter(has_text="Erasure")
    row.first.locator("a").click()
    dpo.click("button[value=start]")
    expect(dpo.locator("#request-state")).to_have_text("in progress")
    handle = live_server.shell(
        f"from portal.models import User; print(User.objects.with_email('{email}').get().handle)"
    )
    dpo.fill("#confirm-handle", "not-the-handle")
    dpo.click("button[value=erase]")
    expect(dpo.locator("#request-state")).to_have_text("in progress")
    dpo.fill("#confirm-handle", handle.strip().splitlines()[-1])
    dpo.click("button[value=erase]")
    expect(dpo.locator("body")).to_contain_text("The member was erased and the request is completed.")
    expect(dpo.locator("#request-state")).to_have_text("completed")
    expect(dpo.locator("#erasure-form")).to_have_count(0)
    expect(dpo.locator("body")).to_contain_text("Kept under legal hold")
    out = live_server.shell(
        f"from portal.models import User; print(User.objects.with_email('{email}').count(), "
        "sum(u.email.startswith('erased-') for u in User.objects.filter(erased_at__isnull=False)) >= 1)"
    )
    assert out.strip().splitlines()[-1].split() == ["0", "True"]


def test_dpo_extends_a_request_with_a_reason(new_page, live_server, as_user):
    """The DPO extends an access request by two months; the new due date and the reason show."""
    email = _member(live_server, "dsar.extend.e2e@example.com")
    request_id = (
        live_server.shell(
            "from consent.dsar import services; from portal.models import User; "
            f"m = User.objects.with_email('{email}').get(); "
            "print(services.request_create(member=m, kind='access', actor=m).pk)"
        )
        .strip()
        .splitlines()[-1]
    )
    dpo = new_page()
    as_user(dpo, *DPO)
    dpo.goto(f"/admin/access-requests/{request_id}/")
    dpo.select_option("select[name=months]", "2")
    dpo.fill("textarea[name=reason]", "Records in three systems must be searched.")
    dpo.click("button[value=extend]")
    expect(dpo.locator("#request-due")).to_contain_text("Extended from")
    expect(dpo.locator("#request-due")).to_contain_text("Records in three systems must be searched.")
    expect(dpo.locator("body")).to_contain_text("Member notified")


def _outside_mail(live_server, n: int) -> str:
    """A mail from an outside author (no member) recorded by the intake, as if polled; returns the author's address."""
    live_server.shell(
        "from crm.models import CrmConnection, TagRule; from intake import services; from intake.models import Mailbox; "
        "from tests.intake import mails; "
        "rule, _ = TagRule.objects.get_or_create(tag='outside', defaults={'action_type': 'inquiry', "
        "'assignee_strategy': 'claim', 'connection': CrmConnection.objects.order_by('pk').first()}); "
        "box = Mailbox.objects.filter(name='DSAR e2e').first() or services.mailbox_save(mailbox=Mailbox("
        "name='DSAR e2e', host='imap.example.com', port=993, username='info', rule=rule, is_active=False), "
        "password='unused'); "
        f"services.mail_ingest(mailbox=box, raw=mails.plain(n={n}, subject='Where is order {n}?'))"
    )
    return f"kim{n}@kunde.example"


@pytest.mark.parametrize(
    ("language", "n", "labels"),
    [
        ("en", 7101, {"state": "completed", "done": "The data about this address was erased"}),
        ("de", 7102, {"state": "erledigt", "done": "Die Daten zu dieser Adresse wurden gelöscht"}),
    ],
)
def test_dpo_works_an_erasure_request_of_someone_who_is_not_a_member(
    new_page, live_server, as_user, screenshot, language, n, labels
):
    """A non-member's erasure request by e-mail: recorded, identity confirmed by code, their intake mail erased."""
    address = _outside_mail(live_server, n)
    live_server.shell(
        f"from portal.models import User; User.objects.with_email('{DPO[0]}').update(preferred_language='{language}')"
    )
    try:
        dpo = new_page(locale="de-DE" if language == "de" else "en-GB")
        as_user(dpo, *DPO)
        dpo.goto("/admin/access-requests/new/address/")
        dpo.fill("input[name=address]", address)
        dpo.select_option("select[name=kind]", "erasure")
        dpo.select_option("select[name=channel]", "email")
        dpo.select_option("select[name=language]", language)
        dpo.locator("#address-request-form button[type=submit]").click()
        expect(dpo.locator("#request-address")).to_contain_text(address)
        dpo.click("button[value=send_code]")

        body = live_server.wait_for_mail(address)[-1]
        code = re.search(r"\b(\d{6})\b", body).group(1)
        verify_path = re.search(r"https?://[^/\s]+(/\S+/verify/)", body).group(1)
        requester = new_page(locale="de-DE" if language == "de" else "en-GB")
        requester.goto(verify_path)
        requester.fill("input[name=code]", code)
        requester.locator("main form.stack button[type=submit]").click()
        expect(requester.locator("input[name=code]")).to_have_count(0)  # confirmed: no code asked any more

        dpo.reload()
        dpo.click("button[value=start]")
        expect(dpo.locator("#address-found")).to_contain_text(f"Where is order {n}?")
        screenshot(dpo, f"dsar_nonmember_{language}")
        dpo.fill("#confirm-address", address)
        dpo.click("button[value=erase]")
        expect(dpo.locator("body")).to_contain_text(labels["done"])
        expect(dpo.locator("#request-state")).to_have_text(labels["state"])
        expect(dpo.locator("#address-found")).not_to_contain_text(f"Where is order {n}?")
        expect(dpo.locator("#erasure-form")).to_have_count(0)
    finally:
        live_server.shell(
            f"from portal.models import User; User.objects.with_email('{DPO[0]}').update(preferred_language='en')"
        )
    left = live_server.shell(
        f"from intake.models import IntakeMail; print(IntakeMail.objects.filter(subject='Where is order {n}?').count())"
    )
    assert left.strip().splitlines()[-1] == "0"
