"""The moderators' buttons: the thread page and the back office run the same handlers with the same outcome."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from community.models import ModerationAction, Post
from community.models.forum import PostStatus, ThreadState
from tests.community.conftest import reply


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize(
    "url",
    ["/forums/p/{pk}/moderate/", "/admin/community/posts/{pk}/action/"],
    ids=["thread page", "back office"],
)
def test_post_buttons_behave_the_same_in_both_places(client, thread, other_customer, moderator, home_page, url):
    """Hide without a reason is refused with the service's reason, hide with one works, restore undoes it."""
    post = reply(thread, other_customer, "rude words")
    client.force_login(moderator)
    refused = client.post(url.format(pk=post.pk), {"action": "hide"})
    assert Post.objects.get(pk=post.pk).status == PostStatus.PUBLISHED
    done = client.post(url.format(pk=post.pk), {"action": "hide", "reason": "Be kind"})
    # Redirects are not followed, so each response carries every message not shown yet.
    assert (refused.status_code, done.status_code) == (302, 302)
    assert _messages(done) == ["Give a reason; the author will see it.", "Done."]
    client.post(url.format(pk=post.pk), {"action": "restore"})
    assert Post.objects.get(pk=post.pk).status == PostStatus.PUBLISHED
    assert list(ModerationAction.objects.order_by("id").values_list("kind", "reason")) == [
        ("hide_post", "Be kind"),
        ("restore_post", ""),
    ]


def test_unknown_post_button_changes_nothing_in_either_place(client, thread, other_customer, moderator, home_page):
    """An unknown action is refused: a 400 page on the forum, a message in the back office; nothing is logged."""
    post = reply(thread, other_customer)
    client.force_login(moderator)
    assert client.post(f"/forums/p/{post.pk}/moderate/", {"action": "explode"}).status_code == 400
    response = client.post(f"/admin/community/posts/{post.pk}/action/", {"action": "explode"})
    assert (response.status_code, _messages(response)) == (302, ["Unknown action."])
    assert ModerationAction.objects.count() == 0


def test_back_office_lock_hide_and_restore_use_the_thread_handlers(client, thread, moderator):
    """Thread tools lock, hide (with the reason) and restore a thread; pinning stays a thread-page button."""
    client.force_login(moderator)
    url = f"/admin/community/threads/{thread.pk}/"
    assert client.post(url, {"action": "lock"})["Location"] == url
    client.post(url, {"action": "hide", "reason": "Off topic"})
    client.post(url, {"action": "restore"})
    pinned = client.post(url, {"action": "pin"})
    thread.refresh_from_db()
    assert (pinned.status_code, thread.state, thread.is_pinned) == (200, ThreadState.OPEN, False)
    assert list(ModerationAction.objects.order_by("id").values_list("kind", "reason")) == [
        ("lock", ""),
        ("hide_thread", "Off topic"),
        ("restore_thread", ""),
    ]
