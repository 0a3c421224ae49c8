"""An administrator connects a mailbox (a real Dovecot); a mail arrives and becomes a card that a moderator
claims, answers by e-mail and brings into the community; screenshots in English and German."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from tests.intake import mails
from tests.intake.dovecot import Dovecot

pytestmark = pytest.mark.e2e

SUBJECT = "Anfrage für ein Angebot"


@pytest.fixture(scope="module")
def dovecot():
    root = Path(tempfile.mkdtemp(prefix="e2e-dovecot-"))
    root.chmod(0o755)
    server = Dovecot(root).start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


def _set_language(live_server, email: str, language: str) -> None:
    live_server.shell(
        f"from portal.models import User; User.objects.with_email({email!r}).update(preferred_language={language!r})"
    )


def test_mail_becomes_a_card_that_is_answered_and_brought_into_the_community(
    new_page, live_server, as_user, screenshot, dovecot
):
    live_server.shell(
        "from crm.models import CrmConnection, TagRule; "
        "TagRule.objects.get_or_create(tag='outside', defaults={'action_type': 'inquiry', "
        "'assignee_strategy': 'claim', 'connection': CrmConnection.objects.order_by('pk').first()})"
    )
    admin = new_page()
    as_user(admin, "admin@example.com", "admin-demo-2026")
    admin.goto("/admin/intake_mailboxes/new/")
    admin.fill("#id_name", "Info mailbox")
    admin.fill("#id_host", "127.0.0.1")
    admin.fill("#id_port", str(dovecot.port))
    admin.select_option("#id_security", "none")
    admin.fill("#id_username", dovecot.user)
    admin.fill("#id_new_password", dovecot.password)
    admin.select_option("#id_rule", label="#outside → Inquiry")
    admin.get_by_role("button", name="Create").first.click()
    admin.wait_for_url("**/admin/intake_mailboxes/")

    dovecot.append(mails.latin1_inquiry())
    admin.goto("/admin/intake/health/")
    admin.locator("tr", has_text="Info mailbox").locator("button", has_text="Poll now").click()
    row = admin.locator("tr", has_text="Info mailbox")
    for _ in range(120):  # the worker reads the mailbox within moments (longer on a busy machine)
        admin.goto("/admin/intake/health/")
        if row.locator("td").nth(5).inner_text() == "1":
            break
        admin.wait_for_timeout(500)
    assert row.locator("td").nth(1).inner_text() == "Healthy"
    screenshot(admin, "intake-health")

    moderator = new_page()
    as_user(moderator, "moderator@example.com", "moderator-demo-2026")
    moderator.goto("/admin/intake/cards/")
    moderator.locator("a", has_text=SUBJECT).click()
    card_url = moderator.url
    assert "Günther Weiß" in moderator.locator("dl.intake-card").inner_text()
    moderator.locator("button", has_text="Claim").click()
    assert "You own this card now." in moderator.locator(".messages").inner_text()

    moderator.fill("#id_text", "Guten Tag, das Angebot kommt heute.")
    moderator.locator("button", has_text="Send reply").click()
    sent = live_server.wait_for_mail("guenther@kunde.example")
    assert "Guten Tag, das Angebot kommt heute." in sent[0]
    button = moderator.locator("dd button[disabled]", has_text="Reply sent")
    button.wait_for()
    assert button.count() == 1
    screenshot(moderator, "intake-card-en")

    moderator.select_option("#id_forum", index=1)
    moderator.locator("button", has_text="Bring into the community").click()
    moderator.locator("h2:has-text('In the community') + p a").wait_for()
    assert "The question is in the community now." in moderator.locator(".messages").inner_text()
    thread_link = moderator.locator("h2:has-text('In the community') + p a")
    thread_href = thread_link.get_attribute("href")
    moderator.goto(thread_href)
    assert "A customer via E-mail asked:" in moderator.locator("main").inner_text()
    assert "Günther" not in moderator.locator("main").inner_text()

    _set_language(live_server, "moderator@example.com", "de")
    moderator.goto(card_url)
    assert "Antwort gesendet" in moderator.locator("dl.intake-card").inner_text()
    screenshot(moderator, "intake-card-de")
    _set_language(live_server, "moderator@example.com", "en")
