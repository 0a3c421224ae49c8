"""Moderation: flags, the back-office queue, hide/restore/approve, lock, move, merge, suspend, the log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from community import services
from community.models import Flag, Forum, ModerationAction, ModerationSettings, Post, Thread
from community.models.forum import PostStatus, ThreadState
from portal.models import Notification
from portal.notifications import in_language
from tests.community.conftest import reply


def test_member_flags_a_post_once(client, thread, customer, other_customer, home_page):
    """A flag is stored with its reason; flagging again while open does not duplicate it."""
    post = reply(thread, other_customer, "buy cheap pills")
    client.force_login(customer)
    for _ in range(2):
        response = client.post(f"/forums/p/{post.pk}/flag/", {"reason": "spam", "note": "advert"})
        assert response.status_code == 302
    assert list(Flag.objects.values_list("post_id", "reporter_id", "reason", "note")) == [
        (post.pk, customer.pk, "spam", "advert")
    ]


def test_flag_with_unknown_reason_changes_nothing(client, thread, customer, other_customer, home_page):
    """An invalid reason re-shows the form with an error."""
    post = reply(thread, other_customer)
    client.force_login(customer)
    response = client.post(f"/forums/p/{post.pk}/flag/", {"reason": "nonsense"})
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert Flag.objects.count() == 0


def test_own_post_cannot_be_flagged(thread, customer):
    """Members cannot flag their own posts."""
    with pytest.raises(PermissionDenied):
        services.post_flag(post=Post.objects.get(thread=thread), reporter=customer, reason="spam")
    assert Flag.objects.count() == 0


def test_flag_rate_limit(thread, customer, other_customer):
    """Past the hourly flag limit a member must wait."""
    config = ModerationSettings.load()
    config.flags_per_hour = 1
    config.save()
    first = reply(thread, other_customer, "a")
    second = reply(thread, other_customer, "b")
    services.post_flag(post=first, reporter=customer, reason="spam")
    with pytest.raises(services.PostingBlocked):
        services.post_flag(post=second, reporter=customer, reason="spam")
    assert Flag.objects.count() == 1


def test_queue_lists_flags_and_held_posts(
    client, forum, thread, customer, other_customer, moderator, _no_first_post_hold
):
    """The back-office queue shows open flags and first posts waiting for approval."""
    flagged = reply(thread, other_customer, "rude words")
    services.post_flag(post=flagged, reporter=customer, reason="abuse", note="insult")
    _no_first_post_hold.hold_first_posts = True
    _no_first_post_hold.save()
    from tests.factories import make_member

    newcomer = make_member()
    held = services.thread_create(forum=forum, author=newcomer, title="Newcomer question", body="hello all")
    client.force_login(moderator)
    response = client.get("/admin/community/queue/")
    assert response.status_code == 200
    assert [p.pk for p in response.context["flagged"]] == [flagged.pk]
    assert [p.pk for p in response.context["held"]] == [Post.objects.get(thread=held).pk]
    assert "insult" in response.content.decode()


def test_customer_cannot_open_the_queue(client, customer):
    """Customers have no back-office access: redirected to the admin login, nothing shown."""
    client.force_login(customer)
    response = client.get("/admin/community/queue/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_hide_from_queue_resolves_flags_logs_and_tells_the_author(
    client, thread, customer, other_customer, moderator, django_capture_on_commit_callbacks
):
    """Hiding a flagged post hides it, closes its flags, logs the reason and notifies the author."""
    post = reply(thread, other_customer, "rude words")
    services.post_flag(post=post, reporter=customer, reason="abuse")
    client.force_login(moderator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/community/posts/{post.pk}/action/", {"action": "hide", "reason": "Be kind"})
    assert response.status_code == 302
    post.refresh_from_db()
    thread.refresh_from_db()
    assert (post.status, post.hidden_reason) == (PostStatus.HIDDEN, "Be kind")
    assert Flag.objects.get().resolution == "hidden"
    assert thread.reply_count == 0
    assert list(ModerationAction.objects.values_list("kind", "moderator_id", "member_id", "reason")) == [
        ("hide_post", moderator.pk, other_customer.pk, "Be kind")
    ]
    assert list(Notification.objects.filter(recipient=other_customer).values_list("kind", flat=True)) == [
        "community.moderation"
    ]


def test_hide_requires_a_reason(thread, other_customer, moderator):
    """No reason, no hide."""
    post = reply(thread, other_customer)
    with pytest.raises(ValidationError):
        services.post_hide(post=post, moderator=moderator, reason="  ")
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED
    assert ModerationAction.objects.count() == 0


def test_hidden_post_is_gone_for_others_but_author_sees_the_reason(
    client, thread, customer, other_customer, moderator, home_page
):
    """Other members no longer see a hidden post; its author sees it with the moderator's reason."""
    post = reply(thread, other_customer, "rude words")
    services.post_hide(post=post, moderator=moderator, reason="Be kind")
    client.force_login(customer)
    assert "rude words" not in client.get(f"/forums/t/{thread.pk}/").content.decode()
    client.force_login(other_customer)
    html = client.get(f"/forums/t/{thread.pk}/").content.decode()
    assert "rude words" in html and "Be kind" in html


def test_restore_brings_the_post_and_counters_back(thread, other_customer, moderator):
    """Restore undoes hide exactly."""
    post = reply(thread, other_customer)
    services.post_hide(post=post, moderator=moderator, reason="oops")
    services.post_restore(post=post, moderator=moderator)
    thread.refresh_from_db()
    post.refresh_from_db()
    assert (post.status, post.hidden_reason, thread.reply_count) == (PostStatus.PUBLISHED, "", 1)
    assert Forum.objects.get(pk=thread.forum_id).post_count == 2


def test_hiding_the_accepted_answer_reopens_the_thread(thread, customer, other_customer, moderator):
    """Counters and state stay exact when the accepted answer disappears."""
    answer = reply(thread, other_customer)
    services.answer_accept(thread=thread, post=answer, actor=customer)
    services.post_hide(post=answer, moderator=moderator, reason="wrong")
    thread.refresh_from_db()
    assert (thread.accepted_post_id, thread.state) == (None, ThreadState.OPEN)


def test_customer_cannot_moderate(thread, other_customer, customer):
    """Moderation services refuse customers and change nothing."""
    post = reply(thread, other_customer)
    with pytest.raises(PermissionDenied):
        services.post_hide(post=post, moderator=customer, reason="mine now")
    with pytest.raises(PermissionDenied):
        services.thread_set_locked(thread=thread, moderator=customer, locked=True)
    thread.refresh_from_db()
    post.refresh_from_db()
    assert (post.status, thread.state) == (PostStatus.PUBLISHED, ThreadState.OPEN)
    assert ModerationAction.objects.count() == 0


def test_lock_and_pin_from_the_thread_page(client, thread, moderator, home_page):
    """Moderator tools on the thread page lock and pin the thread, with log entries."""
    client.force_login(moderator)
    client.post(f"/forums/t/{thread.pk}/moderate/", {"action": "lock"})
    client.post(f"/forums/t/{thread.pk}/moderate/", {"action": "pin"})
    thread.refresh_from_db()
    assert (thread.state, thread.is_pinned) == (ThreadState.LOCKED, True)
    assert list(ModerationAction.objects.order_by("id").values_list("kind", flat=True)) == ["lock", "pin"]


def test_move_thread_keeps_both_forums_counters_exact(client, thread, other_customer, moderator):
    """Moving moves the thread's posts out of one forum's counters and into the other's."""
    reply(thread, other_customer)
    target = Forum.objects.create(name="Other", slug="other")
    client.force_login(moderator)
    response = client.post(
        f"/admin/community/threads/{thread.pk}/", {"action": "move", "forum": target.pk, "reason": "wrong place"}
    )
    assert response.status_code == 302
    source = Forum.objects.get(slug="general")
    target.refresh_from_db()
    assert (source.thread_count, source.post_count) == (0, 0)
    assert (target.thread_count, target.post_count) == (1, 2)
    assert ModerationAction.objects.get().details == {"source": "general", "target": "other"}


def test_merge_moves_posts_and_hides_the_source(client, forum, thread, customer, other_customer, moderator):
    """Merging moves every post into the target thread and hides the source."""
    duplicate = services.thread_create(forum=forum, author=other_customer, title="Key reset how?", body="same question")
    reply(duplicate, customer, "dup reply")
    client.force_login(moderator)
    response = client.post(f"/admin/community/threads/{duplicate.pk}/", {"action": "merge", "target": thread.pk})
    assert response.status_code == 302
    thread.refresh_from_db()
    duplicate.refresh_from_db()
    assert duplicate.state == ThreadState.HIDDEN
    assert Post.objects.filter(thread=duplicate).count() == 0
    assert Post.objects.filter(thread=thread).count() == 3
    assert Post.objects.filter(thread=thread, is_question=True).count() == 1
    assert thread.reply_count == 2
    forum.refresh_from_db()
    assert (forum.thread_count, forum.post_count) == (1, 3)


def test_merge_into_unknown_thread_changes_nothing(client, thread, moderator):
    """An unknown target id gives a form error."""
    client.force_login(moderator)
    response = client.post(f"/admin/community/threads/{thread.pk}/", {"action": "merge", "target": 999999})
    assert response.status_code == 200
    assert "target" in response.context["merge_form"].errors
    assert Thread.objects.get(pk=thread.pk).state == ThreadState.OPEN


def test_suspend_member_for_a_period(client, thread, other_customer, moderator, django_capture_on_commit_callbacks):
    """Suspension sets suspended_until, logs and notifies; the member cannot post."""
    client.force_login(moderator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/community/members/{other_customer.pk}/suspend/", {"days": 3, "reason": "spam"})
    assert response.status_code == 302
    other_customer.refresh_from_db()
    assert timedelta(days=2, hours=23) < other_customer.suspended_until - timezone.now() <= timedelta(days=3)
    assert ModerationAction.objects.get().kind == "suspend"
    assert Notification.objects.get(recipient=other_customer).kind == "community.moderation"
    with pytest.raises(services.PostingBlocked):
        reply(thread, other_customer)


def test_moderation_log_lists_actions(client, thread, other_customer, moderator):
    """The log page lists who did what and why."""
    post = reply(thread, other_customer)
    services.post_hide(post=post, moderator=moderator, reason="Spam link")
    client.force_login(moderator)
    response = client.get("/admin/community/log/")
    assert response.status_code == 200
    assert [a.kind for a in response.context["actions"]] == ["hide_post"]
    assert "Spam link" in response.content.decode()


def test_forum_access_grant_by_handle(client, private_forum, customer, moderator):
    """A moderator grants a member access to a private forum by handle."""
    from community.permissions import can_view_forum

    client.force_login(moderator)
    response = client.post(f"/admin/community/forums/{private_forum.pk}/access/", {"handle": customer.handle})
    assert response.status_code == 302
    assert can_view_forum(customer, private_forum) is True
    client.post(f"/admin/community/forums/{private_forum.pk}/access/", {"revoke": customer.pk})
    assert can_view_forum(customer, private_forum) is False


def test_per_forum_moderator_via_guardian(private_forum, private_thread, customer, beta_member):
    """moderate_forum on one forum makes a member a moderator there and nowhere else."""
    from community.permissions import access_thread, can_moderate_thread

    services.forum_grant_access(forum=private_forum, user=customer, moderate=True)
    thread = access_thread(customer, private_thread.pk)
    assert can_moderate_thread(customer, thread) is True
    services.post_hide(post=Post.objects.get(thread=private_thread), moderator=customer, reason="test")
    assert Thread.objects.get(pk=private_thread.pk).state == ThreadState.HIDDEN


def test_moderation_notice_is_in_the_members_language(
    thread, other_customer, moderator, django_capture_on_commit_callbacks
):
    """A German-speaking author is told in German, whatever the moderator's language."""
    other_customer.preferred_language = "de"
    other_customer.save()
    post = reply(thread, other_customer, "off topic")
    with django_capture_on_commit_callbacks(execute=True):
        services.post_hide(post=post, moderator=moderator, reason="Bitte beim Thema bleiben")
    note = Notification.objects.get(recipient=other_customer)
    with in_language(other_customer):  # worded in the reader's language when shown
        assert note.title == f"Ein Moderator hat Ihren Beitrag in „{thread.title}“ ausgeblendet"
