"""Knowledge base journeys: a moderator promotes an accepted answer, an editor approves it, a customer finds it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

CUSTOMER = ("customer@example.com", "customer-demo-2026")
MODERATOR = ("moderator@example.com", "moderator-demo-2026")
EDITOR = ("editor@example.com", "editor-demo-2026")
TITLE = "Where do I switch the export format to JSON?"


def _shell(live_server, code: str) -> str:
    """Run Python in the server's environment; fail with its traceback if it raised."""
    result = live_server.manage("shell", "--no-imports", "-c", code, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def _answered_thread(live_server) -> str:
    """A public thread with an accepted answer by customer2, made through the community services."""
    return _shell(
        live_server,
        "from community import services\n"
        "from community.models import Forum, ModerationSettings\n"
        "from portal.models import User\n"
        "config = ModerationSettings.load(); config.hold_first_posts = False; config.save()\n"
        "asker = User.objects.with_email('customer@example.com').get()\n"
        "helper = User.objects.with_email('customer2@example.com').get()\n"
        "forum = Forum.objects.get(slug='acme-cloud')\n"
        f"thread = services.thread_create(forum=forum, author=asker, title={TITLE!r},"
        " body='I need **JSON** instead of CSV for the nightly export.')\n"
        "post = services.post_create(thread=thread, author=helper,"
        " body='Open *Export settings* and pick **JSON** under *Format*; the next export uses it.')\n"
        "services.answer_accept(thread=thread, post=post, actor=asker)\n"
        "print(thread.pk)\n",
    )


def test_promote_review_publish_and_find(new_page, as_user, live_server, screenshot):
    """Moderator promotes, editor approves in the back office, a customer finds it by search and while typing."""
    thread_id = _answered_thread(live_server)
    assert thread_id.isdigit(), thread_id
    state = _shell(
        live_server,
        "from community.models import Thread\n"
        f"t = Thread.objects.get(pk={thread_id}); print(t.accepted_post_id is not None, t.is_public)",
    )
    assert state == "True True", state

    moderator = new_page()
    as_user(moderator, *MODERATOR)
    moderator.goto(f"/kb-tools/promote/{thread_id}/")
    expect(moderator.get_by_role("heading", level=1)).to_have_text("Promote to the knowledge base")
    expect(moderator.get_by_text("(credited to @brave-falcon-1207)")).to_be_visible()
    moderator.get_by_label("Place the article in").select_option(label="Knowledge base › Exports and reports")
    with moderator.expect_navigation():
        moderator.get_by_role("button", name="Create draft article").click()
    assert "/admin/pages/" in moderator.url
    article_id = _shell(
        live_server,
        "from knowledgebase.models import ThreadArticleLink\n"
        f"link = ThreadArticleLink.objects.get(thread_id={thread_id})\n"
        "print(link.article_id, link.article.live, link.article.workflow_in_progress)\n",
    ).split()
    assert article_id[1:] == ["False", "True"]
    article_id = article_id[0]

    editor = new_page()
    as_user(editor, *EDITOR)
    editor.goto(f"/admin/pages/{article_id}/edit/")
    approve = editor.locator("[data-workflow-action-name=approve]:not([data-workflow-action-modal-url])")
    if not approve.is_visible():
        editor.get_by_role("button", name="More actions").click()
    with editor.expect_navigation():
        approve.click()
    live = _shell(
        live_server,
        f"from knowledgebase.models import KBArticlePage; print(KBArticlePage.objects.get(pk={article_id}).live)",
    )
    assert live == "True"

    customer = new_page()
    as_user(customer, *CUSTOMER)
    customer.goto("/kb/")
    expect(customer.get_by_role("heading", level=1)).to_have_text("Knowledge base")
    screenshot(customer, "kb-index")
    search = customer.get_by_role("searchbox", name="Search terms")
    search.press_sequentially("export format json", delay=40)
    suggestion = customer.locator("#kb-search-suggestions").get_by_role("link", name=TITLE)
    expect(suggestion).to_be_visible(timeout=10_000)
    search.press("Enter")
    customer.wait_for_url("**/kb-tools/search/?q=*")
    hit = customer.locator(".kb-hit--article").filter(has_text="switch the export format")
    expect(hit).to_be_visible()
    expect(customer.locator(".kb-hit--article mark").first).to_be_visible()
    expect(customer.locator(".kb-hit--thread").filter(has_text="switch the export format")).to_be_visible()
    screenshot(customer, "search-results")
    hit.get_by_role("link").click()
    expect(customer.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(customer.get_by_text("Based on an answer by @brave-falcon-1207")).to_be_visible()
    expect(customer.get_by_text("Mustermann")).to_have_count(0)
    customer.get_by_role("button", name="Yes").click()
    expect(customer.get_by_text("Thank you for your feedback.")).to_be_visible()
    screenshot(customer, "kb-article")


def test_anonymous_german_visitor_reads_a_cached_article(new_page):
    """The demo article reads in German for a German browser, the second view comes from the page cache."""
    visitor = new_page(locale="de-DE")
    visitor.goto("/kb/")
    expect(visitor.get_by_role("heading", name="Neueste Artikel")).to_be_visible()
    visitor.get_by_role("link", name="Große Projekte ohne Zeitüberschreitung exportieren").first.click()
    expect(visitor.get_by_text("War dieser Artikel hilfreich?")).to_be_visible()
    response = visitor.reload()
    assert response.headers.get("x-kb-cache") == "hit"
    visitor.get_by_role("button", name="Ja").click()
    expect(visitor.get_by_text("Vielen Dank für Ihre Rückmeldung.")).to_be_visible()
