"""Watching threads, forums and tags: who is notified of a new post, at which level, and by which channel."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from community import services
from community.models import Tag, Watch, WatchLevel
from community.selectors import thread_watch_levels
from portal.models import Notification
from portal.notifications import notification_send, preferences_update, wording
from portal.roles import Role
from tests.community.conftest import reply
from tests.factories import make_member


@pytest.fixture
def watcher(db):
    return make_member(role=Role.CUSTOMER)


def _notices(post_kind=None) -> list[tuple[int, str, str]]:
    rows = Notification.objects.values_list("recipient_id", "kind", "message")
    return sorted(row for row in rows if post_kind is None or row[1] == post_kind)


def _publish(django_capture_on_commit_callbacks, thread, author, body="A reply"):
    with django_capture_on_commit_callbacks(execute=True):
        return reply(thread, author, body)


def test_watching_a_thread_notifies_of_each_reply_in_app_without_mail_by_default(
    thread, customer, other_customer, watcher, django_capture_on_commit_callbacks
):
    """A watcher gets one in-app notice per reply, with a link to the post; mail only when asked for."""
    services.watch_set(user=watcher, thread=thread, level=WatchLevel.WATCHING)
    mail.outbox.clear()
    post = _publish(django_capture_on_commit_callbacks, thread, other_customer)
    notice = Notification.objects.get(recipient=watcher)
    assert (notice.kind, notice.message, notice.url) == (
        "community.watching",
        "community.watched_reply",
        f"/forums/p/{post.pk}/",
    )
    assert notice.params == {"handle": other_customer.public_name, "title": thread.title}
    assert [m.to for m in mail.outbox] == [[customer.email]]  # the thread author's reply mail only


def test_watch_mail_goes_out_when_the_member_chose_it(
    thread, other_customer, watcher, django_capture_on_commit_callbacks
):
    """The member's notification preferences decide the mail of a watched thread."""
    services.watch_set(user=watcher, thread=thread, level=WatchLevel.WATCHING)
    preferences_update(user=watcher, choices={"community.watching": (True, True)})
    mail.outbox.clear()
    _publish(django_capture_on_commit_callbacks, thread, other_customer)
    assert [m.to for m in mail.outbox if m.to == [watcher.email]] == [[watcher.email]]
    watcher_mail = next(m for m in mail.outbox if m.to == [watcher.email])
    assert watcher_mail.subject == f"@{other_customer.public_name} replied in “{thread.title}”, which you watch"


def test_exact_recipients_for_each_level(
    thread, customer, other_customer, moderator, watcher, django_capture_on_commit_callbacks
):
    """Watching: notified; tracking: not notified; muted: not notified; the writer never hears of their own post."""
    tracker = make_member(role=Role.CUSTOMER)
    muter = make_member(role=Role.CUSTOMER)
    services.watch_set(user=watcher, thread=thread, level=WatchLevel.WATCHING)
    services.watch_set(user=tracker, thread=thread, level=WatchLevel.TRACKING)
    services.watch_set(user=muter, thread=thread, level=WatchLevel.MUTED)
    services.watch_set(user=other_customer, thread=thread, level=WatchLevel.WATCHING)
    _publish(django_capture_on_commit_callbacks, thread, other_customer)
    assert _notices() == sorted(
        [
            (customer.pk, "community.reply", "community.reply"),
            (watcher.pk, "community.watching", "community.watched_reply"),
        ]
    )


def test_muted_thread_silences_replies_to_the_authors_own_thread_and_mentions(
    thread, customer, other_customer, django_capture_on_commit_callbacks
):
    """Muted wins: the author of a muted thread hears neither of replies nor of being mentioned there."""
    services.watch_set(user=customer, thread=thread, level=WatchLevel.MUTED)
    _publish(django_capture_on_commit_callbacks, thread, other_customer, f"Thanks @{customer.handle}!")
    assert _notices() == []
    services.watch_set(user=customer, thread=thread, level=None)
    assert not Watch.objects.filter(user=customer).exists()
    _publish(django_capture_on_commit_callbacks, thread, other_customer, f"Again @{customer.handle}!")
    assert _notices() == [(customer.pk, "community.mention", "community.mention")]


def test_forum_watchers_hear_of_new_threads_and_replies(
    forum, customer, other_customer, watcher, django_capture_on_commit_callbacks
):
    """Watching a forum: a notice for a new thread and for each reply in it."""
    services.watch_set(user=watcher, forum=forum, level=WatchLevel.WATCHING)
    with django_capture_on_commit_callbacks(execute=True):
        thread = services.thread_create(forum=forum, author=customer, title="Printer offline", body="Help")
    assert _notices() == [(watcher.pk, "community.watching", "community.watched_thread")]
    _publish(django_capture_on_commit_callbacks, thread, other_customer)
    assert _notices("community.watching") == [
        (watcher.pk, "community.watching", "community.watched_reply"),
        (watcher.pk, "community.watching", "community.watched_thread"),
    ]


def test_tag_watchers_are_notified_and_a_muted_forum_beats_a_watched_tag(
    forum, customer, other_customer, watcher, django_capture_on_commit_callbacks
):
    """Tag watchers hear of threads with the tag; a member who muted the forum hears nothing from it."""
    muter = make_member(role=Role.CUSTOMER)
    thread = services.thread_create(forum=forum, author=customer, title="Key lost", body="x", tags=["api"])
    api = Tag.objects.get(slug="api")
    services.watch_set(user=watcher, tag=api, level=WatchLevel.WATCHING)
    services.watch_set(user=muter, tag=api, level=WatchLevel.WATCHING)
    services.watch_set(user=muter, forum=forum, level=WatchLevel.MUTED)
    assert thread_watch_levels(thread=thread) == {watcher.pk: "watching", muter.pk: "muted"}
    _publish(django_capture_on_commit_callbacks, thread, other_customer)
    assert _notices("community.watching") == [(watcher.pk, "community.watching", "community.watched_reply")]


def test_a_thread_level_choice_overrides_the_forum(
    thread, forum, other_customer, watcher, django_capture_on_commit_callbacks
):
    """Watching one thread of a muted forum notifies of that thread; muting one thread of a watched forum silences it."""
    services.watch_set(user=watcher, forum=forum, level=WatchLevel.MUTED)
    services.watch_set(user=watcher, thread=thread, level=WatchLevel.WATCHING)
    _publish(django_capture_on_commit_callbacks, thread, other_customer)
    assert _notices("community.watching") == [(watcher.pk, "community.watching", "community.watched_reply")]
    Notification.objects.all().delete()
    services.watch_set(user=watcher, forum=forum, level=WatchLevel.WATCHING)
    services.watch_set(user=watcher, thread=thread, level=WatchLevel.MUTED)
    _publish(django_capture_on_commit_callbacks, thread, other_customer)
    assert _notices("community.watching") == []


def test_own_reply_never_notifies_the_writer(thread, customer, django_capture_on_commit_callbacks):
    """The thread's author watching their thread does not hear of their own reply."""
    services.watch_set(user=customer, thread=thread, level=WatchLevel.WATCHING)
    _publish(django_capture_on_commit_callbacks, thread, customer, "Update: still broken")
    assert _notices() == []


def test_private_threads_notify_only_members_who_may_see_them(
    private_forum, private_thread, beta_member, moderator, watcher, django_capture_on_commit_callbacks
):
    """A forum watcher who lost access hears nothing; a moderator watching the forum does."""
    other_beta = make_member(role=Role.CUSTOMER)
    services.forum_grant_access(forum=private_forum, user=other_beta)
    services.watch_set(user=other_beta, forum=private_forum, level=WatchLevel.WATCHING)
    # A watch left over from a time the member could see the forum (access revoked since).
    Watch.objects.create(user=watcher, forum=private_forum, level=WatchLevel.WATCHING)
    services.watch_set(user=moderator, forum=private_forum, level=WatchLevel.WATCHING)
    # An offline chat message: a private thread only its author and the forum's moderators see.
    secret = services.thread_create(
        forum=private_forum, author=beta_member, title="My invoice", body="Private", is_private=True
    )
    _publish(django_capture_on_commit_callbacks, secret, moderator, "We look into it")
    _publish(django_capture_on_commit_callbacks, private_thread, beta_member, "More details")
    assert _notices("community.watching") == sorted(
        [
            (other_beta.pk, "community.watching", "community.watched_reply"),
            (moderator.pk, "community.watching", "community.watched_reply"),
        ]
    )


def test_hidden_and_held_posts_do_not_notify_watchers(
    thread, other_customer, moderator, watcher, django_capture_on_commit_callbacks, _no_first_post_hold
):
    """A held post notifies when a moderator approves it; a post hidden before the task runs notifies nobody."""
    services.watch_set(user=watcher, thread=thread, level=WatchLevel.WATCHING)
    _no_first_post_hold.hold_first_posts = True
    _no_first_post_hold.save()
    newcomer = make_member(role=Role.CUSTOMER)
    held = _publish(django_capture_on_commit_callbacks, thread, newcomer, "My first post")
    assert held.status == "held"
    assert _notices("community.watching") == []
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post = reply(thread, other_customer, "Spam link")
    services.post_hide(post=post, moderator=moderator, reason="Spam")
    for callback in callbacks:
        callback()
    assert _notices("community.watching") == []
    with django_capture_on_commit_callbacks(execute=True):
        services.post_approve(post=held, moderator=moderator)
    assert _notices("community.watching") == [(watcher.pk, "community.watching", "community.watched_reply")]


def test_watchers_of_a_thread_hidden_before_the_task_runs_hear_nothing(
    thread, other_customer, moderator, watcher, django_capture_on_commit_callbacks
):
    """A reply whose thread a moderator hid before the notifications went out notifies no watcher."""
    services.watch_set(user=watcher, thread=thread, level=WatchLevel.WATCHING)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reply(thread, other_customer, "Same question again")
    services.thread_set_hidden(thread=thread, moderator=moderator, hidden=True, reason="Duplicate")
    for callback in callbacks:
        callback()
    assert _notices("community.watching") == []


def test_watch_set_refuses_unknown_levels_and_unseen_targets(private_thread, private_forum, watcher, moderator):
    """Only the offered levels; a member cannot watch what they cannot see, nor a staff-only tag."""
    with pytest.raises(ValidationError):
        services.watch_set(user=watcher, forum=private_thread.forum, level="shouting")
    with pytest.raises(PermissionDenied):
        services.watch_set(user=watcher, forum=private_forum, level=WatchLevel.WATCHING)
    with pytest.raises(PermissionDenied):
        services.watch_set(user=watcher, thread=private_thread, level=WatchLevel.WATCHING)
    lead = services.tag_visibility_set(name="lead", internal=True, actor=None)
    with pytest.raises(PermissionDenied):
        services.watch_set(user=watcher, tag=lead, level=WatchLevel.WATCHING)
    assert Watch.objects.filter(user=watcher).count() == 0
    assert services.watch_set(user=moderator, tag=lead, level=WatchLevel.TRACKING).level == "tracking"


def test_the_watch_messages_read_in_both_languages():
    """The registered sentences exist in English and German."""
    from django.utils import translation

    params = {"handle": "anna", "title": "Drucker"}
    with translation.override("en"):
        assert wording("community.watched_reply", params)[0] == "@anna replied in “Drucker”, which you watch"
    with translation.override("de"):
        assert wording("community.watched_reply", params)[0] == "@anna hat in „Drucker“ geantwortet, das Sie beobachten"
        assert (
            wording("community.watched_thread", params)[0]
            == "@anna hat „Drucker“ begonnen, wo Sie neue Themen beobachten"
        )


def test_notification_send_accepts_the_watch_kind(watcher):
    notice = notification_send(
        recipient=watcher,
        kind="community.watching",
        message="community.watched_thread",
        params={"handle": "anna", "title": "T"},
    )
    assert notice.kind == "community.watching"


# --- the controls ----------------------------------------------------------------------------------------


def test_the_thread_control_works_without_javascript(client, thread, watcher, home_page):
    """POST then redirect back with a message; the page shows the chosen level selected."""
    client.force_login(watcher)
    response = client.post(f"/forums/t/{thread.pk}/watch/", {"level": "watching"})
    assert response.status_code == 302 and response["Location"] == f"/forums/t/{thread.pk}/"
    assert Watch.objects.get(user=watcher).level == "watching"
    html = client.get(response["Location"]).content.decode()
    assert '<option value="watching" selected>' in html
    assert 'for="watch-level-thread"' in html
    assert "You are watching it now" in html


def test_the_controls_answer_json_for_the_script(client, thread, forum, watcher, home_page):
    client.force_login(watcher)
    response = client.post(f"/forums/{forum.slug}/watch/", {"level": "tracking"}, HTTP_ACCEPT="application/json")
    assert response.json() == {
        "level": "tracking",
        "message": "You are tracking it now: lists show how many posts are new.",
    }
    response = client.post(f"/forums/t/{thread.pk}/watch/", {"level": "loud"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert list(Watch.objects.filter(user=watcher).values_list("forum_id", "thread_id", "level")) == [
        (forum.pk, None, "tracking")
    ]


def test_tag_page_lists_threads_across_forums_and_has_the_control(
    client, forum, private_forum, customer, watcher, home_page
):
    """The tag page shows the tag's threads from every forum the viewer sees (not private ones) and its control."""
    from community.models import Forum

    other = Forum.objects.create(name="Billing", slug="billing")
    services.thread_create(forum=forum, author=customer, title="Key one", body="x", tags=["api"])
    services.thread_create(forum=other, author=customer, title="Key two", body="x", tags=["api"])
    services.thread_create(forum=forum, author=customer, title="Untagged", body="x")
    member = make_member(role=Role.CUSTOMER)
    services.forum_grant_access(forum=private_forum, user=member)
    services.thread_create(forum=private_forum, author=member, title="Key secret", body="x", tags=["api"])
    client.force_login(watcher)
    response = client.get("/forums/tag/api/")
    assert response.status_code == 200
    assert [t.title for t in response.context["threads"]] == ["Key two", "Key one"]
    client.post("/forums/tag/api/watch/", {"level": "watching"})
    assert Watch.objects.get(user=watcher).tag.slug == "api"
    assert client.get("/forums/tag/nope/").status_code == 404
