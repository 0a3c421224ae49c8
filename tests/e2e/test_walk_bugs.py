"""Layout faults found walking the demo (issue 19), checked in a real browser: card rows, list bullets, 375 px tables."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e
EMAIL = "walk.e2e@example.com"
PASSWORD = "walk-e2e-password-1"


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


def test_the_home_page_cards_of_one_row_start_at_the_same_height(page, screenshot):
    """The first card of the home page's grid sits as high as its neighbours (no stacked-card margin in a grid)."""
    page.goto("/")
    tops = page.eval_on_selector_all(".grid > *", "cards => cards.map(card => card.getBoundingClientRect().top)")
    assert len(tops) >= 2
    assert round(tops[0]) == round(tops[1])
    screenshot(page, "walk-home-cards", full_page=False)


def test_the_idea_boards_show_no_list_bullets(page):
    """The boards are cards in a grid, without the list's bullets or indent."""
    page.goto("/ideas/")
    styles = page.eval_on_selector_all(
        ".ideas-boards, .ideas-boards > li",
        "nodes => nodes.map(node => [getComputedStyle(node).listStyleType, getComputedStyle(node).paddingLeft])",
    )
    assert len(styles) >= 2
    assert styles[0] == ["none", "0px"]
    assert {style[0] for style in styles[1:]} == {"none"}


def test_the_privacy_history_shows_the_receipt_at_375_px(new_page, as_user, member, screenshot):
    """On a 375 px phone the consent history stacks its rows: the receipt link is on the screen, nothing scrolls sideways."""
    page = new_page(width=375, height=800)
    as_user(page, member, PASSWORD)
    page.goto("/privacy/")
    page.click("#purpose-crm_followup button[value=grant]")
    page.wait_for_load_state()
    page.goto("/privacy/#history")
    receipt = page.locator("#history tbody tr").first.locator("a[download]")
    receipt.scroll_into_view_if_needed()
    box = receipt.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 375
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    label = page.evaluate(
        "cell => getComputedStyle(cell, '::before').content",
        page.locator("#history tbody tr").first.locator("td").last.element_handle(),
    )
    assert label == '"Receipt"'
    screenshot(page, "walk-privacy-history-375")
