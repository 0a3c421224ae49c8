"""Browser journeys of the forums, the moderation queue and the blog workflow (Daphne + worker + Chromium)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

CUSTOMER = ("customer@example.com", "customer-demo-2026")
CUSTOMER2 = ("customer2@example.com", "customer2-demo-2026")
MODERATOR = ("moderator@example.com", "moderator-demo-2026")
EDITOR = ("editor@example.com", "editor-demo-2026")
ADMIN = ("admin@example.com", "admin-demo-2026")


def test_customer_asks_moderator_answers_live_customer_accepts(new_page, as_user, screenshot):
    """The answer appears on the asker's open page over the WebSocket; the asker accepts it."""
    asker = new_page()
    as_user(asker, *CUSTOMER)
    asker.goto("/forums/")
    expect(asker.get_by_role("heading", name="Help forums")).to_be_visible()
    expect(asker.get_by_role("link", name="Beta programme")).to_be_visible()
    screenshot(asker, "forum-index")
    asker.get_by_role("link", name="Acme Cloud").first.click()
    asker.get_by_role("link", name="Ask a question").click()
    asker.get_by_label("Title").fill("Dashboard widgets disappear after login")
    asker.locator("#id_body").fill("Since yesterday my **dashboard widgets** vanish after I log in.")
    asker.get_by_label("Tags").fill("dashboard")
    asker.get_by_role("button", name="Publish question").click()
    expect(asker.get_by_role("heading", level=1)).to_have_text("Dashboard widgets disappear after login")
    expect(asker.locator("#post-list")).to_have_attribute("data-live", "connected")
    thread_url = asker.url

    helper = new_page()
    as_user(helper, *MODERATOR)
    helper.goto(thread_url)
    helper.get_by_role("textbox", name="Your reply").fill(
        "Clear the browser cache, then reload: the widgets come back."
    )
    helper.get_by_role("button", name="Post reply").click()
    expect(helper.locator(".post").filter(has_text="Clear the browser cache")).to_be_visible()

    live = asker.locator("#post-list .post").filter(has_text="Clear the browser cache")
    expect(live).to_be_visible(timeout=10_000)
    assert asker.url == thread_url  # no reload happened

    asker.reload()
    asker.get_by_role("button", name="Accept this answer").click()
    expect(asker.get_by_role("heading", name="Accepted answer")).to_be_visible()
    expect(asker.locator(".thread-state, div.cluster .status--success").first).to_be_visible()
    screenshot(asker, "thread-page")


def test_customer_sees_german_forum_pages(new_page, as_user):
    """The forum pages are translated for a German visitor."""
    page = new_page(locale="de-DE")
    page.goto("/forums/")
    page.locator(".language-switcher button[value=de]").click()
    expect(page.get_by_role("heading", name="Hilfeforen")).to_be_visible()
    page.get_by_role("link", name="Erste Schritte").click()
    expect(page.get_by_role("link", name="Frage stellen")).to_be_visible()
    expect(page.get_by_role("link", name="Unbeantwortet")).to_be_visible()


def test_customer_flags_a_post_and_moderator_hides_it_in_the_queue(new_page, as_user, screenshot, live_server):
    """A flag lands in the back-office queue; hiding it there removes the post for everyone else."""
    reporter = new_page()
    as_user(reporter, *CUSTOMER2)
    reporter.goto("/forums/acme-cloud/")
    reporter.get_by_role("link", name="Can I schedule reports weekly?").click()
    thread_url = reporter.url
    # Another member posts something that needs moderation.
    spammer = new_page()
    as_user(spammer, *CUSTOMER)
    spammer.goto(thread_url)
    spammer.get_by_role("textbox", name="Your reply").fill("Buy cheap watches at the best prices today!")
    spammer.get_by_role("button", name="Post reply").click()
    reporter.reload()
    post = reporter.locator(".post").filter(has_text="Buy cheap watches")
    post.get_by_role("link", name="Flag").click()
    reporter.get_by_label("Spam or advertising").check()
    reporter.get_by_role("button", name="Send to the moderators").click()
    expect(reporter.get_by_text("A moderator will look at this post.")).to_be_visible()

    moderator = new_page()
    as_user(moderator, *MODERATOR)
    moderator.goto("/admin/community/queue/")
    item = moderator.locator(".queue-item").filter(has_text="Buy cheap watches")
    expect(item).to_be_visible()
    expect(item).to_contain_text("Spam or advertising")
    screenshot(moderator, "moderation-queue")
    item.get_by_label("Reason (shown to the author)").fill("Advertising is not allowed")
    item.get_by_role("button", name="Hide").click()
    expect(moderator.locator(".queue-item").filter(has_text="Buy cheap watches")).to_have_count(0)

    reporter.goto(thread_url)
    expect(reporter.get_by_text("Buy cheap watches")).to_have_count(0)
    spammer.goto(thread_url)
    expect(spammer.get_by_text("Advertising is not allowed")).to_be_visible()
    log = moderator
    log.goto("/admin/community/log/")
    expect(log.get_by_role("cell", name="Advertising is not allowed")).to_be_visible()


def test_a_dropped_live_connection_catches_up_on_what_it_missed(new_page, as_user):
    """The socket drops, a reply is posted meanwhile (its push is lost), the page reconnects and shows it once."""
    asker = new_page()
    # Keep a handle on the page's sockets so the test can cut the connection the way a network drop does.
    # While window.__offline is set, new sockets go nowhere, as during a network outage.
    asker.add_init_script(
        "(() => { const Native = window.WebSocket; window.__sockets = []; window.__offline = false;"
        " window.WebSocket = function (url) {"
        "   const s = new Native(window.__offline ? 'ws://127.0.0.1:9/' : url); window.__sockets.push(s); return s; };"
        " window.WebSocket.prototype = Native.prototype; })();"
    )
    as_user(asker, *CUSTOMER)
    asker.goto("/forums/")
    asker.get_by_role("link", name="Acme Cloud").first.click()
    asker.get_by_role("link", name="Ask a question").click()
    asker.get_by_label("Title").fill("Export button greyed out in reports")
    asker.locator("#id_body").fill("The export button in reports stays grey.")
    asker.get_by_role("button", name="Publish question").click()
    expect(asker.locator("#post-list")).to_have_attribute("data-live", "connected")
    thread_url = asker.url

    asker.evaluate("window.__offline = true; window.__sockets.forEach((s) => s.close())")
    expect(asker.locator("#post-list")).to_have_attribute("data-live", "closed")
    helper = new_page()
    as_user(helper, *MODERATOR)
    helper.goto(thread_url)
    helper.get_by_role("textbox", name="Your reply").fill("Reports export needs the Analyst role.")
    helper.get_by_role("button", name="Post reply").click()
    expect(helper.locator(".post").filter(has_text="Reports export needs the Analyst role.")).to_be_visible()

    expect(asker.locator("#post-list .post").filter(has_text="Analyst role")).to_have_count(0)
    # The network comes back; the next reconnect fetches the missed reply: once, without a reload.
    asker.evaluate("window.__offline = false")
    expect(asker.locator("#post-list")).to_have_attribute("data-live", "connected", timeout=30_000)
    caught_up = asker.locator("#post-list .post").filter(has_text="Reports export needs the Analyst role.")
    expect(caught_up).to_have_count(1, timeout=10_000)
    assert asker.url == thread_url
    expect(asker.locator("#live-fallback")).to_be_hidden()
