"""What a member follows and keeps: watches on threads, forums and tags, bookmarks, and how far they read."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.models.forum import Forum, Post, Tag, Thread


class WatchLevel(models.TextChoices):
    WATCHING = "watching", _("Watching")
    TRACKING = "tracking", _("Tracking")
    MUTED = "muted", _("Muted")


# Which level a member's forum and tag choices add up to for one thread: muted beats the others.
SCOPE_RANK = {WatchLevel.MUTED: 0, WatchLevel.WATCHING: 1, WatchLevel.TRACKING: 2}


class Watch(models.Model):
    """A member's choice for a thread, a forum or a tag: be told of every reply, only count unread, or silence it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="community_watches")
    # Exactly one target; a thread's own choice overrides the choices of its forum and tags.
    thread = models.ForeignKey(
        Thread, null=True, blank=True, on_delete=models.CASCADE, related_name="watches", verbose_name=_("thread")
    )
    forum = models.ForeignKey(
        Forum, null=True, blank=True, on_delete=models.CASCADE, related_name="watches", verbose_name=_("forum")
    )
    tag = models.ForeignKey(
        Tag, null=True, blank=True, on_delete=models.CASCADE, related_name="watches", verbose_name=_("tag")
    )
    level = models.CharField(_("level"), max_length=10, choices=WatchLevel.choices)
    created_at = models.DateTimeField(_("since"), default=timezone.now)

    class Meta:
        verbose_name = _("watch")
        verbose_name_plural = _("watches")
        constraints = [
            models.CheckConstraint(
                condition=Q(thread__isnull=False, forum__isnull=True, tag__isnull=True)
                | Q(thread__isnull=True, forum__isnull=False, tag__isnull=True)
                | Q(thread__isnull=True, forum__isnull=True, tag__isnull=False),
                name="watch_one_target",
            ),
            models.UniqueConstraint(
                fields=["user", "thread"], condition=Q(thread__isnull=False), name="watch_one_per_thread"
            ),
            models.UniqueConstraint(
                fields=["user", "forum"], condition=Q(forum__isnull=False), name="watch_one_per_forum"
            ),
            models.UniqueConstraint(fields=["user", "tag"], condition=Q(tag__isnull=False), name="watch_one_per_tag"),
        ]
        # The notification fan-out reads a target's watchers; the user-first unique indexes serve the lists.
        indexes = [
            models.Index(fields=["thread", "level"], name="watch_thread_idx"),
            models.Index(fields=["forum", "level"], name="watch_forum_idx"),
            models.Index(fields=["tag", "level"], name="watch_tag_idx"),
        ]

    def __str__(self):
        target = (
            f"thread {self.thread_id}"
            if self.thread_id
            else f"forum {self.forum_id}"
            if self.forum_id
            else f"tag {self.tag_id}"
        )
        return f"{self.user_id} {self.level} {target}"


class Bookmark(models.Model):
    """A thread or a post a member keeps to come back to; only the member sees it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="community_bookmarks")
    thread = models.ForeignKey(
        Thread, null=True, blank=True, on_delete=models.CASCADE, related_name="bookmarks", verbose_name=_("thread")
    )
    post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.CASCADE, related_name="bookmarks", verbose_name=_("post")
    )
    created_at = models.DateTimeField(_("saved"), default=timezone.now)

    class Meta:
        verbose_name = _("bookmark")
        verbose_name_plural = _("bookmarks")
        constraints = [
            models.CheckConstraint(
                condition=Q(thread__isnull=False, post__isnull=True) | Q(thread__isnull=True, post__isnull=False),
                name="bookmark_one_target",
            ),
            models.UniqueConstraint(
                fields=["user", "thread"], condition=Q(thread__isnull=False), name="bookmark_one_per_thread"
            ),
            models.UniqueConstraint(
                fields=["user", "post"], condition=Q(post__isnull=False), name="bookmark_one_per_post"
            ),
        ]
        indexes = [models.Index(fields=["user", "-created_at", "-id"], name="bookmark_list_idx")]

    def __str__(self):
        return (
            f"{self.user_id} kept {'thread ' + str(self.thread_id) if self.thread_id else 'post ' + str(self.post_id)}"
        )


class ThreadRead(models.Model):
    """How far a member has read a thread, so lists show what is new since their last visit."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="community_thread_reads")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="reads", verbose_name=_("thread"))
    # The id of the newest post the member has seen; only ever moves forward. Posts keep their id
    # when a thread is merged, so a plain id (not a foreign key) survives moves and deletions.
    last_read_post_id = models.BigIntegerField(_("last post read"), default=0)
    read_at = models.DateTimeField(_("read"), default=timezone.now)

    class Meta:
        verbose_name = _("read position")
        verbose_name_plural = _("read positions")
        constraints = [models.UniqueConstraint(fields=["user", "thread"], name="thread_read_unique")]

    def __str__(self):
        return f"{self.user_id} read {self.thread_id} up to {self.last_read_post_id}"
