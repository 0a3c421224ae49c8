"""Live where it matters (issue 17): a reply arriving live has its buttons, the counter and the bell follow,
and "@" suggests handles in the editor. Two members in two browser contexts, in English and German."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.test_accessibility import _audit

pytestmark = pytest.mark.e2e

ASKER = ("customer@example.com", "customer-demo-2026")
HELPER = ("customer2@example.com", "customer2-demo-2026")

WORDS = {
    "en": {
        "locale": "en-GB",
        "replies": "1 reply",
        "helpful": "Helpful",
        "helpful_done": "Helpful ✓",
        "found": "Found helpful: 1",
        "flag": "Flag",
        "quote": "Quote",
        "accept": "Accept this answer",
        "reply_box": "Your reply",
        "post": "Post reply",
        "new_reply": "New reply from {handle}",
        "unread": "Notifications: {count} unread",
        "suggestions": "members found",
    },
    "de": {
        "locale": "de-DE",
        "replies": "1 Antwort",
        "helpful": "Hilfreich",
        "helpful_done": "Hilfreich ✓",
        "found": "Als hilfreich markiert: 1",
        "flag": "Melden",
        "quote": "Zitieren",
        "accept": "Diese Antwort akzeptieren",
        "reply_box": "Ihre Antwort",
        "post": "Antwort senden",
        "new_reply": "Neue Antwort von {handle}",
        "unread": "Benachrichtigungen: {count} ungelesen",
        "suggestions": "Mitglieder gefunden",
    },
}


def _printed(output: str) -> str:
    """The last line a shell command printed (Django's shell first reports its automatic imports)."""
    return output.strip().splitlines()[-1]


def _shell(live_server, code: str) -> str:
    """Run ``code`` in the server's environment; a SQLite "database is locked" while the worker writes is retried."""
    for _attempt in range(5):
        result = live_server.manage("shell", "-c", code, check=False)
        if result.returncode == 0:
            return result.stdout
        if "database is locked" not in result.stderr:
            break
        time.sleep(1)
    raise AssertionError(f"shell command failed: {result.stderr[-2000:]}")


def _handle(live_server, email: str) -> str:
    return _printed(
        _shell(live_server, f"from portal.models import User; print(User.objects.with_email('{email}').get().handle)")
    )


def _member_page(new_page, live_server, language: str, email: str, password: str):
    """A logged-in browser context in ``language`` (by the language cookie: the demo accounts stay untouched)."""
    page = new_page(locale=WORDS[language]["locale"])
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page.goto("/account/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    return page


def _wait_for_mention(live_server, email: str, after: int) -> int:
    """The member's unread count once the worker has stored the mention notice (it may still be busy with
    what seed_demo queued)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = _printed(
            _shell(
                live_server,
                "from portal.models import Notification, User; "
                f"u = User.objects.with_email('{email}').get(); "
                f"print(Notification.objects.filter(recipient=u, pk__gt={after}, kind='community.mention').count(), "
                "u.unread_notifications)",
            )
        ).split()
        if found[0] == "1":
            return int(found[1])
        time.sleep(0.5)
    raise AssertionError("the worker stored no mention notice")


@pytest.mark.parametrize("language", ["en", "de"])
def test_a_live_reply_has_its_buttons_the_counter_and_the_bell_follow(new_page, live_server, screenshot, language):
    """Member A watches their question; member B picks A's handle from the "@" suggestions with the keyboard and
    replies. Without a reload A sees the reply with react, flag, quote and accept, marks it helpful in place,
    reads "1 reply", and A's bell counts the mention."""
    words = WORDS[language]
    asker_handle, helper_handle = _handle(live_server, ASKER[0]), _handle(live_server, HELPER[0])
    title = f"Live check {language}: sync stops after the update"
    thread_id = _printed(
        _shell(
            live_server,
            "from community.models import Forum; from community.services import thread_create; "
            "from portal.models import User; "
            f"thread = thread_create(forum=Forum.objects.get(slug='acme-cloud'), author=User.objects.with_email('{ASKER[0]}').get(), title='{title}', "
            "body='Since the update the sync stops after a minute.'); print(thread.pk)",
        )
    )
    newest_before = int(
        _printed(
            _shell(
                live_server,
                "from portal.models import Notification, User; "
                f"print(Notification.objects.filter(recipient=User.objects.with_email('{ASKER[0]}').get()).order_by('-pk')"
                ".values_list('pk', flat=True).first() or 0)",
            )
        )
    )
    path = f"/forums/t/{thread_id}/"

    asker = _member_page(new_page, live_server, language, *ASKER)
    asker.goto(path)
    expect(asker.locator("#post-list")).to_have_attribute("data-live", "connected")
    bell = asker.locator("[data-notifications-live]")
    expect(bell).to_have_attribute("data-live", "connected")

    helper = _member_page(new_page, live_server, language, *HELPER)
    helper.goto(path)
    box = helper.get_by_role("textbox", name=words["reply_box"])
    box.click()
    box.press_sequentially(f"Same here, @{asker_handle[:4]}", delay=20)
    listbox = helper.get_by_role("listbox")
    expect(listbox).to_be_visible()
    # The asker wrote in this thread, so they come first; the arrow keys move, Enter picks.
    options = listbox.get_by_role("option")
    expect(options.first).to_have_text(f"@{asker_handle}")
    expect(box).to_have_attribute("aria-activedescendant", re.compile(r"-mentions-0$"))
    expect(helper.get_by_role("status").filter(has_text=words["suggestions"])).to_have_count(1)
    if options.count() > 1:
        box.press("ArrowDown")
        expect(options.nth(1)).to_have_attribute("aria-selected", "true")
        box.press("ArrowUp")
    expect(options.first).to_have_attribute("aria-selected", "true")
    if language == "en":
        listbox.scroll_into_view_if_needed()
        screenshot(helper, "mention_en", full_page=False)
        assert _audit(helper) == []
    box.press("Enter")
    expect(listbox).to_be_hidden()
    expect(box).to_have_value(f"Same here, @{asker_handle} ")
    box.press_sequentially("try signing out and in again.", delay=5)
    helper.get_by_role("button", name=words["post"]).click()
    expect(helper.locator(".post").filter(has_text="try signing out and in again.")).to_be_visible()

    live = asker.locator("#post-list article.post").filter(has_text="try signing out and in again.")
    expect(live).to_be_visible(timeout=15_000)
    assert asker.url.endswith(path)  # no reload, no navigation
    expect(live.get_by_role("button", name=words["helpful"], exact=True)).to_be_visible()
    expect(live.get_by_role("link", name=words["flag"])).to_be_visible()
    expect(live.get_by_role("link", name=words["quote"])).to_be_visible()
    expect(live.get_by_role("button", name=words["accept"])).to_be_visible()
    expect(asker.locator("#replies-heading")).to_have_text(words["replies"])
    status = asker.locator("#live-status")
    expect(status).to_have_text(words["new_reply"].format(handle=helper_handle))
    assert status.evaluate("(el) => el.getBoundingClientRect().width <= 1 && el.classList.contains('visually-hidden')")

    # The bell counts the mention without a reload, and says so politely.
    unread = _wait_for_mention(live_server, ASKER[0], newest_before)
    expect(bell.locator("[data-unread-count]")).to_have_text(str(unread), timeout=15_000)
    expect(asker.locator("[data-notifications-status]")).to_have_text(words["unread"].format(count=unread))
    screenshot(asker, f"live_reply_{language}")

    # Reacting works in place: the post is re-fetched with the pressed button and the new count.
    live.get_by_role("button", name=words["helpful"], exact=True).click()
    pressed = live.get_by_role("button", name=words["helpful_done"])
    expect(pressed).to_have_attribute("aria-pressed", "true")
    expect(pressed).to_be_focused()
    expect(live).to_contain_text(words["found"])
    assert asker.url.endswith(path)
    assert _audit(asker) == []

    # Put back the demo member's state: the notices this journey caused are marked read.
    _shell(
        live_server,
        "from portal.models import Notification, User; from portal.notifications import notifications_mark_read; "
        f"u = User.objects.with_email('{ASKER[0]}').get(); "
        f"ids = list(Notification.objects.filter(recipient=u, pk__gt={newest_before}).values_list('pk', flat=True)); "
        "notifications_mark_read(user=u, ids=ids)",
    )
