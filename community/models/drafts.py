"""Drafts of replies and questions, and images uploaded into posts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.models.forum import BODY_MAX, TITLE_MAX, Forum, Post, Thread

POST_IMAGE_DIR = "posts"


class Draft(models.Model):
    """A reply or question being written, kept on the server so a reload or another device finds it again."""

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="community_drafts")
    # Exactly one target: the thread of a reply, or the forum of a new question.
    thread = models.ForeignKey(Thread, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    forum = models.ForeignKey(Forum, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("title"), max_length=TITLE_MAX, blank=True)
    body = models.TextField(_("text"), max_length=BODY_MAX, blank=True)
    tags = models.CharField(_("tags"), max_length=250, blank=True)
    updated_at = models.DateTimeField(_("saved"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("draft")
        verbose_name_plural = _("drafts")
        constraints = [
            models.UniqueConstraint(
                fields=["author", "thread"], condition=Q(thread__isnull=False), name="draft_one_per_thread"
            ),
            models.UniqueConstraint(
                fields=["author", "forum"], condition=Q(forum__isnull=False), name="draft_one_per_forum"
            ),
            models.CheckConstraint(
                condition=Q(thread__isnull=False, forum__isnull=True) | Q(thread__isnull=True, forum__isnull=False),
                name="draft_one_target",
            ),
        ]

    def __str__(self):
        return f"draft of {self.author_id} for {'thread ' + str(self.thread_id) if self.thread_id else self.forum_id}"


class PostImage(models.Model):
    """An image a member uploaded into a post: re-encoded without metadata, served only by the portal itself."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="community_post_images")
    # The random part of the file name and of its address (/media/posts/<token>.<ext>).
    token = models.CharField(max_length=40, unique=True, editable=False)
    file = models.FileField(_("file"), upload_to=POST_IMAGE_DIR, max_length=120)
    content_type = models.CharField(max_length=20)
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    size = models.PositiveIntegerField(_("size in bytes"))
    # The post it was first published in; None while it waits in the editor (purged after a day then).
    post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="images", verbose_name=_("post")
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("image in a post")
        verbose_name_plural = _("images in posts")

    def __str__(self):
        return self.file.name

    @property
    def url(self) -> str:
        return f"{settings.MEDIA_URL}{self.file.name}"
