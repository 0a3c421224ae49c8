"""Idea boards in a real browser: post with suggestions, vote, PM answers with a status, roadmap, merge."""

from __future__ import annotations

import re
import time

import pytest

pytestmark = pytest.mark.e2e

TITLE = "Bulk edit for invoice line items"


def _shell(live_server, code: str) -> str:
    """The last line the code printed (Django's shell prints its auto-import note first)."""
    return live_server.shell(code).strip().splitlines()[-1]


def _unread(page) -> int:
    badge = page.locator("[data-unread-count]")
    return int(badge.inner_text()) if badge.count() else 0


def _idea_id(live_server, title: str) -> int:
    return int(_shell(live_server, f"from ideas.models import Idea; print(Idea.objects.get(title={title!r}).pk)"))


def test_post_vote_answer_notify_roadmap(new_page, live_server, as_user, screenshot):
    """A customer posts and votes, another votes, the PM plans it, the first customer sees notice and roadmap entry."""
    customer = new_page()
    as_user(customer, "customer@example.com", "customer-demo-2026")
    customer.goto("/ideas/")
    customer.click("text=Acme Cloud")
    customer.wait_for_url("**/ideas/acme-cloud/")
    assert customer.locator("h1").inner_text() == "Acme Cloud"
    screenshot(customer, "ideas-board")

    customer.click("text=Post an idea")
    customer.fill("input[name=title]", "PDF reports")
    suggestions = customer.locator("[data-similar-results]")
    suggestions.wait_for(state="visible")
    assert "Export reports as PDF" in suggestions.inner_text()
    customer.fill("input[name=title]", TITLE)
    customer.fill("textarea[name=body]", "Editing **many** line items at once would save hours.")
    customer.click("main button:has-text('Continue')")
    assert customer.locator("h1").inner_text() == "Check your idea"
    customer.click("main button:has-text('Post idea')")
    customer.wait_for_url(re.compile(r".*/ideas/idea/\d+/$"))
    assert customer.locator("h1").inner_text() == TITLE
    assert customer.locator(".prose strong").inner_text() == "many"

    customer.click("main .ideas-vote button")
    customer.locator(".ideas-vote button[aria-pressed=true]").wait_for()
    assert customer.locator("[data-vote-count] strong").inner_text() == "1"
    screenshot(customer, "idea-page")
    idea_id = _idea_id(live_server, TITLE)

    other = new_page(locale="de-DE")
    as_user(other, "customer2@example.com", "customer2-demo-2026")
    other.goto(f"/ideas/idea/{idea_id}/")
    other.click("main .ideas-vote button")
    other.locator(".ideas-vote button[aria-pressed=true]").wait_for()
    assert other.locator("[data-vote-count] strong").inner_text() == "2"
    assert (
        _shell(live_server, f"from ideas.models import Idea; print(Idea.objects.get(pk={idea_id}).vote_count)") == "2"
    )

    customer.reload()
    unread_before = _unread(customer)
    pm = new_page(width=1400)
    as_user(pm, "pm@example.com", "pm-demo-2026")
    pm.goto("/admin/ideas-review/")
    assert pm.locator("table.listing").get_by_text(TITLE).count() == 1
    screenshot(pm, "review-console")
    pm.goto(f"/admin/ideas-review/{idea_id}/")
    pm.select_option("select[name=status]", "planned")
    pm.fill("textarea[name=response]", "Planned for the spring release.")
    pm.click("button:has-text('Save status')")
    pm.wait_for_url(f"**/admin/ideas-review/{idea_id}/")
    assert "Status saved" in pm.content()

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        customer.goto("/ideas/roadmap/")
        if _unread(customer) > unread_before:
            break
        time.sleep(0.5)
    assert _unread(customer) == unread_before + 1
    planned = customer.locator("section[aria-labelledby=col-planned]")
    assert TITLE in planned.inner_text()
    assert "Planned for the spring release." in planned.inner_text()
    screenshot(customer, "roadmap")
    customer.click(".notifications-link")
    assert f"Idea “{TITLE}” is now: Planned" in customer.locator("main").inner_text()

    other.goto(f"/ideas/idea/{idea_id}/")
    other.click("button[name=language][value=de]")
    other.wait_for_load_state()
    assert "Geplant" in other.locator(".status").first.inner_text()
    assert other.locator("#response-heading").inner_text() == "Antwort des Produktteams"


def test_pm_merges_duplicate(new_page, live_server, as_user):
    """A PM merges a duplicate into the original in the console; its votes move there and it takes no more votes."""
    live_server.shell(
        "from ideas import services; from ideas.models import Board; from portal.models import User; "
        "b = Board.objects.get(slug='acme-mobile'); a = User.objects.with_email('customer2@example.com').get(); "
        "d = services.idea_create(board=b, author=a, title='Work offline on the train', body=''); "
        "services.vote_set(idea_id=d.pk, voter=User.objects.with_email('editor@example.com').get(), voted=True)"
    )
    duplicate_id = _idea_id(live_server, "Work offline on the train")
    original_id = _idea_id(live_server, "Offline mode for the mobile app")
    before = int(
        _shell(live_server, f"from ideas.models import Idea; print(Idea.objects.get(pk={original_id}).vote_count)")
    )
    pm = new_page(width=1400)
    as_user(pm, "pm@example.com", "pm-demo-2026")
    pm.goto(f"/admin/ideas-review/{duplicate_id}/")
    pm.fill("input[name=merge-original]", str(original_id))
    pm.click("button:has-text('Merge into the original')")
    pm.wait_for_url(f"**/admin/ideas-review/{original_id}/")
    assert "Merged into" in pm.content()
    after = _shell(
        live_server,
        f"from ideas.models import Idea; o = Idea.objects.get(pk={original_id}); d = Idea.objects.get(pk={duplicate_id}); "
        "print(o.vote_count, d.status, d.merged_into_id)",
    ).split()
    assert after == [str(before + 1), "duplicate", str(original_id)]

    editor = new_page()
    as_user(editor, "editor@example.com", "editor-demo-2026")
    editor.goto(f"/ideas/idea/{duplicate_id}/")
    assert "This idea was merged into another one" in editor.locator("main").inner_text()
    assert editor.locator(".ideas-vote button").count() == 0
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        editor.goto("/account/notifications/")
        if "was merged into" in editor.locator("main").inner_text():
            break
        time.sleep(0.5)
    assert (
        "“Work offline on the train” was merged into “Offline mode for the mobile app”"
        in editor.locator("main").inner_text()
    )
