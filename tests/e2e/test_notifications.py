"""A notification in the reader's language: stored as a message and parameters, worded when shown (issue 19)."""

from __future__ import annotations

import re
import time

import pytest

pytestmark = pytest.mark.e2e
EMAIL = "notice.e2e@example.com"
PASSWORD = "notice-e2e-password-1"
TITLE = "Printer export stops at page 3"


def _printed(output: str) -> str:
    """The last line a shell command printed (Django's shell first reports its automatic imports)."""
    return output.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def replied(live_server):
    """A member's thread gets a reply from another member; the worker turns it into the member's notification."""
    live_server.shell(
        "from django.contrib.auth.models import Group; from django.utils import timezone; "
        "from community.models import Forum; from community.services import post_approve, post_create, thread_create; "
        "from portal.models import User; "
        f"u = User.objects.create_user(email='{EMAIL}', password='{PASSWORD}', email_confirmed_at=timezone.now()); "
        "u.groups.add(Group.objects.get(name='Customer')); "
        "forum = Forum.objects.filter(is_private=False).order_by('pk').first(); "
        f"thread = thread_create(forum=forum, author=u, title='{TITLE}', body='It stops at page 3 every time.'); "
        # A new member's first post waits for a moderator: approve it, as the moderation queue would.
        "moderator = User.objects.with_email('moderator@example.com').get(); "
        "first = thread.posts.get(); "
        "first.status == 'held' and post_approve(post=first, moderator=moderator); "
        "other = User.objects.with_email('customer2@example.com').get(); "
        "post_create(thread=thread, author=other, body='Try the export without the cover page.')"
    )
    handle = _printed(
        live_server.shell(
            "from portal.models import User; print(User.objects.with_email('customer2@example.com').get().handle)"
        )
    )
    deadline = time.monotonic() + 120  # the worker also works through what seed_demo queued
    while time.monotonic() < deadline:
        count = _printed(
            live_server.shell(
                "from portal.models import Notification, User; "
                f"print(Notification.objects.filter(recipient=User.objects.with_email('{EMAIL}').get()).count())"
            )
        )
        if count == "1":
            return handle
        time.sleep(0.5)
    state = live_server.shell(
        "from django_tasks_db.models import DBTaskResult; from collections import Counter; "
        "print(Counter((r.task_path, r.status) for r in DBTaskResult.objects.all()).most_common(12))"
    )
    raise AssertionError(f"the worker made no notification; the queue: {state}")


@pytest.mark.parametrize(
    ("language", "locale", "expected", "ago"),
    [
        ("de", "de-DE", "hat auf „{title}“ geantwortet", re.compile(r"vor \d+\s(Sekunden|Minute|Minuten)|gerade eben")),
        ("en", "en-GB", "replied to “{title}”", re.compile(r"\d+\s(seconds?|minutes?) ago|now")),
    ],
)
def test_the_reply_notification_reads_in_the_members_language(
    new_page, as_user, live_server, replied, screenshot, language, locale, expected, ago
):
    """The same stored notification reads German to a German reader and English to an English one, with a relative time."""
    live_server.shell(
        f"from portal.models import User; User.objects.with_email('{EMAIL}').update(preferred_language='{language}')"
    )
    page = new_page(locale=locale)
    as_user(page, EMAIL, PASSWORD)
    page.goto("/account/notifications/")
    item = page.locator("main li", has_text=TITLE).first
    text = item.inner_text()
    assert f"@{replied}" in text
    assert expected.format(title=TITLE) in text
    assert ago.search(text), text
    screenshot(page, f"notification-{language}")
    item.locator("a").first.click()
    page.wait_for_load_state()
    assert re.search(r"/forums/(t/\d+/|p/\d+/)", page.url)
    assert page.locator("h1").inner_text() == TITLE
