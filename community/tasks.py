"""Background work after a forum change: a published post's search entry, notifications."""

from __future__ import annotations

from django.db.models import Q
from django_tasks import task
from wagtail.search import index

from community import events
from portal.models import User
from portal.notifications import notification_send
from portal.task_leases import effect_once


@task(queue_name="default")
def post_published(*, post_id: int) -> int:
    """Index a new post and tell the thread's author, mentioned members and watchers; returns notifications sent.

    A member who muted the thread (or its forum or a tag, with no choice of their own on the thread) hears
    of nothing, not even a reply to their own thread or a mention; the writer never hears of their own post.
    """
    from community.models import Mention, Post, WatchLevel
    from community.models.forum import PostStatus
    from community.permissions import can_view_thread_for_notice
    from community.selectors import thread_watch_levels
    from community.services.drafts import drafts_posted_clear

    post = Post.objects.select_related("thread", "thread__forum", "thread__author", "author").filter(pk=post_id).first()
    if post is None or post.status != PostStatus.PUBLISHED:
        return 0
    # The apps subscribed to post_created (crm's auto-tagging, insight, webhooks) hear of the post
    # here in the worker, so the member's request ends with one queued task instead of their work.
    with effect_once("post_created") as first:
        if first:
            events.post_created.send(post=post)
    drafts_posted_clear(post=post)
    index.insert_or_update_object(post)
    if post.is_question:
        index.insert_or_update_object(post.thread)
    thread = post.thread
    author_name = post.author.public_name if post.author else ""
    sent = 0
    notified: set[int] = set()
    if post.author_id:
        notified.add(post.author_id)
    levels = thread_watch_levels(thread=thread)
    notified |= {user_id for user_id, level in levels.items() if level == WatchLevel.MUTED}
    mentioned = User.objects.filter(
        Q(pk__in=Mention.objects.filter(post=post).values("user_id")), is_active=True, erased_at__isnull=True
    )
    for user in mentioned:
        if user.pk in notified or not can_view_thread_for_notice(user, thread):
            continue
        with effect_once("notify", user.pk) as first:
            if first:  # a run whose worker died may have told this member already
                notification_send(
                    recipient=user,
                    kind="community.mention",
                    message="community.mention",
                    params={"handle": author_name, "title": thread.title},
                    url=post.get_absolute_url(),
                )
        notified.add(user.pk)
        sent += 1
    recipient = thread.author
    if (
        not post.is_question
        and recipient is not None
        and recipient.pk not in notified
        and can_view_thread_for_notice(recipient, thread)
    ):
        with effect_once("notify", recipient.pk) as first:
            if first:
                notification_send(
                    recipient=recipient,
                    kind="community.reply",
                    message="community.reply",
                    params={"handle": author_name, "title": thread.title},
                    url=post.get_absolute_url(),
                )
        notified.add(recipient.pk)
        sent += 1
    watching = [user_id for user_id, level in levels.items() if level == WatchLevel.WATCHING]
    return sent + _notify_watchers(post, [user_id for user_id in watching if user_id not in notified], author_name)


WATCHERS_PER_QUERY = 500


def _notify_watchers(post, user_ids: list[int], author_name: str) -> int:
    """Tell the members watching the thread (or its forum or tags) of a new post they may see."""
    from community.models.forum import ThreadState
    from community.permissions import can_view_thread_for_notice

    thread = post.thread
    if not user_ids or thread.state == ThreadState.HIDDEN or thread.is_held:
        return 0
    message = "community.watched_thread" if post.is_question else "community.watched_reply"
    sent = 0
    user_ids = sorted(user_ids)
    for start in range(0, len(user_ids), WATCHERS_PER_QUERY):
        chunk = user_ids[start : start + WATCHERS_PER_QUERY]
        for user in User.objects.filter(pk__in=chunk, is_active=True, erased_at__isnull=True).order_by("pk"):
            if not can_view_thread_for_notice(user, thread):
                continue
            with effect_once("notify", user.pk) as first:
                if first:
                    notification_send(
                        recipient=user,
                        kind="community.watching",
                        message=message,
                        params={"handle": author_name, "title": thread.title},
                        url=post.get_absolute_url(),
                    )
            sent += 1
    return sent


@task(queue_name="default")
def answer_accepted(*, post_id: int, actor_id: int) -> bool:
    """Tell the answer's author that it was accepted."""
    from community.models import Post
    from community.permissions import can_view_thread_for_notice

    post = Post.objects.select_related("thread", "thread__forum", "author").filter(pk=post_id).first()
    if post is None or post.author is None or post.author_id == actor_id:
        return False
    if not can_view_thread_for_notice(post.author, post.thread):
        return False
    with effect_once("notify", post.author_id) as first:
        if first:
            notification_send(
                recipient=post.author,
                kind="community.accepted",
                message="community.accepted",
                params={"title": post.thread.title},
                url=post.get_absolute_url(),
            )
    return True


@task(queue_name="default")
def publish_scheduled() -> int:
    """Make scheduled pages go live and expired ones go offline (Wagtail's ``publish_scheduled``); returns how many went live."""
    import io

    from django.core.management import call_command
    from django.utils import timezone
    from wagtail.models import Revision

    due = Revision.objects.filter(approved_go_live_at__lt=timezone.now()).count()
    call_command("publish_scheduled", stdout=io.StringIO())
    return due


@task(queue_name="default")
def post_images_after_erasure(*, user_id: int) -> int:
    """An erasure deleted the member's uploads: posts still embedding them are rendered without them."""
    from community.services.drafts import posts_without_erased_images

    return posts_without_erased_images()
