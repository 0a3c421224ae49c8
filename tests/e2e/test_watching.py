"""Watching, bookmarks and unread in the browser, in English and German (issue 17).

A member watches a thread; another member replies; the worker turns it into the member's notification
and the bell shows it. The forum list shows "1 new" with a "first unread" link that lands on the reply;
the member bookmarks the thread and finds it on the bookmarks page. Everything the journey changed on
the shared demo data is put back at the end.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

CUSTOMER = ("customer@example.com", "customer-demo-2026")

WORDS = {
    "en": {
        "control": "Notifications for this thread",
        "saved": "You are watching it now",
        "notice": "replied in “{title}”, which you watch",
        "new": "1 new",
        "first": "First unread",
        "bookmark": "Bookmark thread",
        "bookmarks": "Bookmarks",
        "remove": "Remove",
    },
    "de": {
        "control": "Benachrichtigungen für dieses Thema",
        "saved": "Sie beobachten es jetzt",
        "notice": "hat in „{title}“ geantwortet, das Sie beobachten",
        "new": "1 neu",
        "first": "Zum ersten ungelesenen Beitrag",
        "bookmark": "Thema merken",
        "bookmarks": "Lesezeichen",
        "remove": "Entfernen",
    },
}


def _printed(output: str) -> str:
    return output.strip().splitlines()[-1]


def _shell(live_server, code: str) -> str:
    """Run Python in the server's environment; a failure shows its traceback."""
    result = live_server.manage("shell", "-c", code, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.fixture
def fresh_thread(live_server, request):
    """A thread by the moderator in the first public forum; removed with everything the journey added."""
    language = request.node.callspec.params["language"]
    title = f"Scanner drops pages ({language})"
    pk = _printed(
        _shell(
            live_server,
            "from community.models import Forum; from community.services import thread_create; "
            "from portal.models import User; "
            "forum = Forum.objects.filter(is_private=False).exclude(slug='blog-comments').order_by('order', 'pk').first(); "
            "mod = User.objects.with_email('moderator@example.com').get(); "
            f"t = thread_create(forum=forum, author=mod, title='{title}', body='Every second page is missing.'); "
            "print(t.pk)",
        )
    )
    language_before = _printed(
        _shell(
            live_server,
            f"from portal.models import User; print(User.objects.with_email('{CUSTOMER[0]}').get().preferred_language or '-')",
        )
    )
    yield int(pk), title
    restored = "" if language_before == "-" else language_before
    _shell(
        live_server,
        f"from portal.models import User; User.objects.with_email('{CUSTOMER[0]}').update(preferred_language='{restored}')",
    )
    _shell(
        live_server,
        "from community.models import Bookmark, Thread, ThreadRead, Watch; from community.services import forum_recount; "
        "from portal.models import Notification, User; from portal.notifications import unread_recount; "
        f"t = Thread.objects.get(pk={pk}); forum = t.forum; "
        f"urls = [f'/forums/p/{{p}}/' for p in t.posts.values_list('pk', flat=True)]; "
        "Notification.objects.filter(url__in=urls).delete(); "
        f"Watch.objects.filter(thread_id={pk}).delete(); Bookmark.objects.filter(thread_id={pk}).delete(); "
        f"ThreadRead.objects.filter(thread_id={pk}).delete(); t.delete(); forum_recount(forum); "
        "unread_recount()",
    )


def _wait_for_notice(live_server, reply_id: int) -> None:
    deadline = time.monotonic() + 120  # the worker also works through what seed_demo queued
    while time.monotonic() < deadline:
        found = _printed(
            _shell(
                live_server,
                "from portal.models import Notification, User; print(Notification.objects.filter("
                f"recipient=User.objects.with_email('{CUSTOMER[0]}').get(), kind='community.watching', url='/forums/p/{reply_id}/').count())",
            )
        )
        if found == "1":
            return
        time.sleep(0.5)
    raise AssertionError("the worker made no watch notification")


@pytest.mark.parametrize(("language", "locale"), [("en", "en-GB"), ("de", "de-DE")])
def test_watch_reply_bell_unread_and_bookmarks(
    new_page, as_user, live_server, screenshot, fresh_thread, language, locale
):
    words = WORDS[language]
    thread_id, title = fresh_thread
    _shell(
        live_server,
        f"from portal.models import User; User.objects.with_email('{CUSTOMER[0]}').update(preferred_language='{language}')",
    )
    page = new_page(locale=locale)
    as_user(page, *CUSTOMER)

    # Watch the thread with the labelled select; the script saves it in place and says so.
    page.goto(f"/forums/t/{thread_id}/")
    page.get_by_label(words["control"]).select_option("watching")
    page.locator("[data-watch-form] button[type=submit]").click()
    expect(page.locator("[data-watch-status]")).to_contain_text(words["saved"])

    # Another member replies; the worker notifies the watcher; the bell shows it.
    reply_id = int(
        _printed(
            _shell(
                live_server,
                "from community.models import Thread; from community.services import post_create; "
                "from portal.models import User; "
                f"t = Thread.objects.get(pk={thread_id}); other = User.objects.with_email('customer2@example.com').get(); "
                "print(post_create(thread=t, author=other, body='Clean the feed rollers, then scan again.').pk)",
            )
        )
    )
    _wait_for_notice(live_server, reply_id)
    page.goto("/forums/")
    badge = page.locator(".notifications-link .badge")
    expect(badge).to_be_visible()
    assert int(badge.inner_text()) >= 1
    page.goto("/account/notifications/")
    expect(page.locator("main li", has_text=title).first).to_contain_text(words["notice"].format(title=title))

    # Unread: the member read the thread before the reply, so its row shows "1 new"; "first unread" lands on it.
    forum_url = _printed(
        _shell(
            live_server,
            f"from community.models import Thread; print(Thread.objects.get(pk={thread_id}).forum.get_absolute_url())",
        )
    )
    page.goto(forum_url)
    row = page.locator("li.thread-row", has=page.get_by_role("link", name=title, exact=True))
    expect(row.locator(".status--new")).to_have_text(words["new"])
    row.scroll_into_view_if_needed()
    screenshot(page, f"unread_{language}")
    row.get_by_role("link", name=re.compile(words["first"])).click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/forums/t/{thread_id}/#post-{reply_id}"), page.url
    expect(page.locator(f"#post-{reply_id}")).to_be_visible()

    # Bookmark the thread; it is on the bookmarks page (linked from the account page); remove it there.
    button = page.get_by_role("button", name=words["bookmark"])
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    page.goto("/account/")
    page.get_by_role("link", name=words["bookmarks"], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["bookmarks"])
    expect(page.get_by_role("link", name=title)).to_be_visible()
    screenshot(page, f"bookmarks_{language}")
    page.get_by_role("button", name=re.compile(f"{words['remove']}.*{re.escape(title)}")).click()
    expect(page.get_by_role("link", name=title)).to_have_count(0)
