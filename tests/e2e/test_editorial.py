"""Editorial journeys: a blog post passes its four departments by four people; a newsletter is composed, tested, sent."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

EDITOR = ("editor@example.com", "editor-demo-2026")
REVIEWERS = (
    ("Product management review", "pm@example.com", "pm-demo-2026"),
    ("PR review", "pr@example.com", "pr-demo-2026"),
    ("Marketing review", "marketing@example.com", "marketing-demo-2026"),
    ("Social media review", "social@example.com", "social-demo-2026"),
)
SLUG = "shared-dashboards"
# Demo accounts whose language these journeys change; other journeys on the same server expect them unchanged.
LANGUAGE_CHANGED = ("editor@example.com", "pr@example.com", "customer@example.com", "customer2@example.com")


@pytest.fixture(scope="module", autouse=True)
def _languages_restored(live_server):
    """Put back the demo accounts' languages after this module (the live server is shared by every journey)."""
    import json

    emails = list(LANGUAGE_CHANGED)
    before = json.loads(
        _shell(
            live_server,
            "import json\nfrom portal.models import User\n"
            "print(json.dumps({e: u.preferred_language for e in "
            f"{emails!r} if (u := User.objects.with_email(e).first())}}))",
        )
    )
    yield
    for email, language in before.items():
        _shell(
            live_server,
            f"from portal.models import User\nUser.objects.with_email({email!r}).update(preferred_language={language!r})",
        )


def _shell(live_server, code: str) -> str:
    """Run Python in the server's environment; fail with its traceback if it raised."""
    result = live_server.manage("shell", "--no-imports", "-c", code, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def _draft(live_server) -> str:
    """The editor's draft post under the English blog (as saved from the editor), not yet submitted."""
    return _shell(
        live_server,
        "import datetime\n"
        "from community.models import BlogIndexPage, BlogPage\n"
        "from portal.models import User\n"
        "editor = User.objects.with_email('editor@example.com').get()\n"
        "index = BlogIndexPage.objects.get(locale__language_code='en')\n"
        f"page = BlogPage(title='Shared dashboards', slug={SLUG!r}, date=datetime.date(2026, 10, 1),"
        " intro='Share a dashboard with your team.', author=editor, owner=editor, live=False,"
        " body=[('paragraph', '<p>Dashboards can now be shared.</p>')])\n"
        "index.add_child(instance=page)\n"
        "page.save_revision(user=editor)\n"
        "print(page.pk)\n",
    )


def _step(live_server, page_id: str) -> str:
    return _shell(
        live_server,
        "from community.models import BlogPage\n"
        f"page = BlogPage.objects.get(pk={page_id})\n"
        "task = page.current_workflow_task\n"
        "print(task.name if task else ('live' if page.live else 'not live'))\n",
    )


def _wait_for_subject(live_server, address: str, subject: str, timeout: float = 30.0):
    """The mail to ``address`` with ``subject`` once the worker has sent it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in live_server.smtp.messages:
            if address in message["to"] and message["message"]["Subject"] == subject:
                return message["message"]
        time.sleep(0.2)
    raise AssertionError(f"no mail {subject!r} to {address}")


def _click_action(page, selector: str) -> None:
    button = page.locator(selector)
    if not button.is_visible():
        page.get_by_role("button", name=re.compile("More actions|Mehr Aktionen")).click()
    with page.expect_navigation():
        button.click()


def test_a_post_goes_through_every_department(new_page, as_user, live_server, screenshot):
    """The editor cannot publish, only submit; four reviewers approve in turn (one in German); then it is live."""
    page_id = _draft(live_server)
    assert page_id.isdigit(), page_id
    _shell(
        live_server,
        "from portal.models import User\nUser.objects.with_email('pr@example.com').update(preferred_language='de')",
    )

    editor = new_page()
    as_user(editor, *EDITOR)
    editor.goto(f"/admin/pages/{page_id}/edit/")
    expect(editor.locator("button[name=action-publish]")).to_have_count(0)
    _click_action(editor, "button[name=action-submit]")
    assert _step(live_server, page_id) == "Product management review"
    screenshot(editor, "editorial-submitted-en")

    for task, email, password in REVIEWERS:
        reviewer = new_page(locale="de-DE" if email.startswith("pr@") else "en-GB")
        as_user(reviewer, email, password)
        reviewer.goto(f"/admin/pages/{page_id}/edit/")
        if email.startswith("pr@"):
            expect(reviewer.locator("html")).to_have_attribute("lang", "de")
            screenshot(reviewer, "editorial-review-de")
        _click_action(reviewer, "[data-workflow-action-name=approve]:not([data-workflow-action-modal-url])")
        expected = REVIEWERS[REVIEWERS.index((task, email, password)) + 1][0] if task != REVIEWERS[-1][0] else "live"
        assert _step(live_server, page_id) == expected
        reviewer.context.close()

    reader = new_page()
    reader.goto(f"/blog/{SLUG}/")
    expect(reader.get_by_role("heading", level=1)).to_have_text("Shared dashboards")
    byline = reader.locator(".member-name--team")
    expect(byline).to_have_text("Erika, Editorial")
    expect(reader.locator(".tag--team").first).to_have_text("Team")
    screenshot(reader, "editorial-published-en")

    history = new_page()
    as_user(history, *EDITOR)
    history.goto(f"/admin/pages/{page_id}/history/")
    for step, who in (
        ("Product management review", "Paul Produkt"),
        ("PR review", "Petra Presse"),
        ("Marketing review", "Mark Markt"),
        ("Social media review", "Sofia Sozial"),
    ):
        expect(history.get_by_role("row", name=re.compile(f"Approved at '{step}'.*{who}"))).to_be_visible()
    expect(history.get_by_role("row", name=re.compile("Published.*Sofia Sozial"))).to_be_visible()
    screenshot(history, "editorial-history-en")


def test_a_campaign_is_composed_tested_and_sent(new_page, as_user, live_server, screenshot):
    """The editor writes both languages, previews, mails a test to themselves, sends; each subscriber gets one."""
    _shell(
        live_server,
        "from django.db import transaction\n"
        "import re\n"
        "from consent import services\n"
        "from portal.models import OutgoingMail, User\n"
        "for email, language in (('customer@example.com', 'en'), ('customer2@example.com', 'de')):\n"
        "    with transaction.atomic():\n"
        "        member = User.objects.with_email(email).get()\n"
        "        member.preferred_language = language\n"
        "        member.save(update_fields=['preferred_language'])\n"
        "        services.consent_grant(user=member, purpose='newsletter')\n"
        "        body = OutgoingMail.objects.filter(user=member, processor='consent.opt_in_mail').last().body\n"
        "        services.opt_in_confirm(token=re.search(r'/privacy/confirm/([^/]+)/', body).group(1))\n",
    )
    # Other journeys on this server may have confirmed subscriptions of their own: all of them get it.
    audience = int(
        _shell(
            live_server,
            "from consent.campaigns.selectors import subscriber_counts\nprint(subscriber_counts()['total'])",
        )
    )
    assert audience >= 2
    editor = new_page()
    as_user(editor, *EDITOR)
    editor.goto("/admin/")
    editor.get_by_role("link", name="Newsletter").first.click()
    editor.get_by_role("link", name=re.compile("Add newsletter campaign")).first.click()
    editor.locator("#id_title").fill("November issue")
    editor.locator("#id_subject_en").fill("Shared dashboards are here")
    editor.locator("#id_subject_de").fill("Geteilte Dashboards sind da")
    for field, text in (
        ("body_en", "Share any dashboard with your team."),
        ("body_de", "Teilen Sie jedes Dashboard mit Ihrem Team."),
    ):
        body = editor.locator(f"[data-field-wrapper]:has(#id_{field}) .public-DraftEditor-content")
        body.click()
        body.press_sequentially(text)
        expect(body).to_contain_text(text)
    editor.locator("#id_title").click()  # Draftail writes its field when the editor loses focus (debounced)
    editor.wait_for_timeout(500)
    with editor.expect_navigation():
        editor.get_by_role("button", name=re.compile("^(Create|Save)$")).first.click()
    expect(editor.locator("#campaign-preview-en")).to_contain_text("Share any dashboard with your team.")
    expect(editor.locator("#campaign-preview-de")).to_contain_text("Teilen Sie jedes Dashboard mit Ihrem Team.")
    expect(editor.locator("#campaign-audience")).to_contain_text(f"{audience} members")

    with editor.expect_navigation():
        editor.locator("#campaign-test").click()
    for subject, text in (
        ("[Test] Shared dashboards are here", "Share any dashboard with your team."),
        ("[Test] Geteilte Dashboards sind da", "Teilen Sie jedes Dashboard mit Ihrem Team."),
    ):
        test_copy = _wait_for_subject(live_server, EDITOR[0], subject)
        assert text in test_copy.get_body(preferencelist=("plain",)).get_content()

    with editor.expect_navigation():
        editor.locator("#campaign-send-now").click()
    newsletter = _wait_for_subject(live_server, "customer@example.com", "Shared dashboards are here")
    assert newsletter["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert str(newsletter["List-Unsubscribe"]).strip().startswith(f"<{live_server.url}/privacy/unsubscribe/")
    _wait_for_subject(live_server, "customer2@example.com", "Geteilte Dashboards sind da")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        editor.reload()
        if editor.locator("[data-count=sent]").inner_text() == str(audience):
            break
        time.sleep(0.5)
    expect(editor.locator("[data-count=sent]")).to_have_text(str(audience))
    expect(editor.locator("#campaign-status")).to_have_attribute("data-status", "sent")
    screenshot(editor, "editorial-campaign-en")

    _shell(
        live_server,
        "from portal.models import User\nUser.objects.with_email('editor@example.com').update(preferred_language='de')",
    )
    german_view = new_page(locale="de-DE")
    as_user(german_view, *EDITOR)
    german_view.goto(editor.url)
    expect(german_view.get_by_role("heading", name="Protokoll")).to_be_visible()
    screenshot(german_view, "editorial-campaign-de")
