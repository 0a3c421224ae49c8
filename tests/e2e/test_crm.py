"""A moderator tags a thread as a lead in the forum; the card reaches the demo CRM; a staff member claims it."""

import re

import pytest

pytestmark = pytest.mark.e2e

THREAD = "Export fails with a timeout for large projects"


def _thread_id(live_server) -> int:
    out = live_server.shell(f"from community.models import Thread; print(Thread.objects.get(title={THREAD!r}).pk)")
    return int(out.strip().splitlines()[-1])


def test_tagged_thread_becomes_a_card_that_staff_claim(page, live_server, as_user, screenshot):
    thread_id = _thread_id(live_server)
    as_user(page, "moderator@example.com", "moderator-demo-2026")
    page.goto(f"/forums/t/{thread_id}/")
    page.fill("#id_tag", "lead")
    page.locator("#id_tag").press("Enter")
    page.wait_for_url(f"**/forums/t/{thread_id}/**")
    assert page.locator("a.tag", has_text="#lead").count() == 1

    row = page.locator("#crm-cards tbody tr", has_text=THREAD)
    for _ in range(40):  # the worker sends the card to the demo CRM within moments
        page.goto("/admin/crm/cards/")
        if row.count() and row.locator("[data-state=sent]").count():
            break
        page.wait_for_timeout(500)
    assert row.locator("[data-state=sent]").inner_text() == "Sent"
    remote = row.locator("a", has_text="Open task")
    assert re.search(r"/admin/crm/demo-receiver/#receipt-\d+$", remote.get_attribute("href"))

    row.locator("button", has_text="Claim").click()
    page.wait_for_url("**/admin/crm/cards/")
    assert "You own this card now." in page.locator(".messages").inner_text()
    row = page.locator("#crm-cards tbody tr", has_text=THREAD)
    assert "Mona Moderat" in row.inner_text()
    assert row.locator("button", has_text="Claim").count() == 0
    screenshot(page, "crm-cards")

    page.goto("/admin/crm/demo-receiver/")
    receipt = page.locator(".crm-receipt", has_text=THREAD)
    assert receipt.count() == 1
    screenshot(page, "crm-demo-receiver")

    receipt.locator("button", has_text="Mark task done").click()  # the demo CRM calls back, signed
    page.wait_for_url("**/admin/crm/demo-receiver/")
    done = page.locator("#crm-cards tbody tr", has_text=THREAD)
    for _ in range(40):
        page.goto("/admin/crm/cards/?processed=yes")
        if done.count():
            break
        page.wait_for_timeout(500)
    assert done.locator("[data-state=processed]").inner_text() == "Processed"

    stored = live_server.shell(
        "from crm.models import InterestCard as C; "
        f"c = C.objects.get(source_id={thread_id}, tag='lead'); print(c.state, c.assignee.email, c.identity_sent)"
    ).splitlines()[-1]
    assert stored.split() == ["processed", "moderator@example.com", "False"]


def test_card_list_in_german(new_page, live_server, as_user, screenshot):
    live_server.shell(
        "from django.contrib.auth.models import Group; from django.utils import timezone; from portal.models import User; "
        "u = User.objects.create_user(email='crm-de@example.com', password='crm-de-demo-2026', handle='crm-de-1', "
        "preferred_language='de', first_name='Karl', last_name='Karte', email_confirmed_at=timezone.now()); "
        "u.groups.add(Group.objects.get(name='Moderator'))"
    )
    page = new_page(locale="de-DE")
    as_user(page, "crm-de@example.com", "crm-de-demo-2026")
    page.goto("/admin/crm/cards/")
    assert page.locator("#crm-cards caption").text_content().strip() == "Interessenkarten"
    screenshot(page, "crm-cards-de")
