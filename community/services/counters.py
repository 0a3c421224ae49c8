"""The denormalised thread and forum counters the lists show without counting."""

from __future__ import annotations

from django.db.models import Count, Max

from community.models import (
    Forum,
    Post,
    Thread,
)
from community.models.forum import PostStatus, ThreadState


def thread_recount(thread: Thread) -> None:
    """Recompute the thread's denormalised counters from its published posts (exact after any moderation)."""
    stats = Post.objects.filter(thread=thread, status=PostStatus.PUBLISHED).aggregate(
        n=Count("pk"), last=Max("created_at")
    )
    thread.reply_count = max(0, (stats["n"] or 0) - 1)
    thread.last_activity_at = stats["last"] or thread.created_at
    if (
        thread.accepted_post_id
        and not Post.objects.filter(pk=thread.accepted_post_id, thread=thread, status=PostStatus.PUBLISHED).exists()
    ):
        thread.accepted_post = None
    if thread.state == ThreadState.ANSWERED and not thread.accepted_post_id:
        thread.state = ThreadState.OPEN
    thread.save(update_fields=["reply_count", "last_activity_at", "accepted_post", "state"])


def forum_recount(forum: Forum) -> None:
    """Recompute the forum's counters from its public threads and their published posts."""
    public = Thread.objects.filter(forum=forum, is_held=False, is_private=False).exclude(state=ThreadState.HIDDEN)
    stats = public.aggregate(n=Count("pk"), last=Max("last_activity_at"))
    forum.thread_count = stats["n"] or 0
    forum.post_count = Post.objects.filter(thread__in=public, status=PostStatus.PUBLISHED).count()
    forum.last_activity_at = stats["last"]
    forum.save(update_fields=["thread_count", "post_count", "last_activity_at"])
