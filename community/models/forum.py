"""Forums, threads, posts, tags, reactions and mentions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.search import index

from portal.bilingual import BilingualNameMixin

TITLE_MAX = 200
BODY_MAX = 20_000
TAG_MAX = 40


class Forum(BilingualNameMixin, models.Model):
    """A help category; private ones are visible only through a guardian ``view_forum`` object permission."""

    name = models.CharField(_("name"), max_length=120)
    name_de = models.CharField(
        _("name (German)"), max_length=120, blank=True, help_text=_("Shown to German readers; empty shows the name.")
    )
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    description_de = models.TextField(
        _("description (German)"), blank=True, help_text=_("Shown to German readers; empty shows the description.")
    )
    product = models.CharField(_("product"), max_length=120, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    is_private = models.BooleanField(
        _("private"), default=False, help_text=_("Only members and groups given access can see it.")
    )
    thread_count = models.PositiveIntegerField(default=0, editable=False)
    post_count = models.PositiveIntegerField(default=0, editable=False)
    last_activity_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("forum")
        verbose_name_plural = _("forums")
        permissions = [("moderate_forum", "Can moderate the forum")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("community:forum", args=[self.slug])


class Tag(models.Model):
    """A topic label on threads; the CRM reacts to tags through ``events.thread_tagged``."""

    name = models.CharField(_("name"), max_length=TAG_MAX, unique=True)
    slug = models.SlugField(_("slug"), max_length=TAG_MAX + 10, unique=True)
    # Routing tags (#lead, #complaint) tell staff where a thread goes; members never see them.
    is_internal = models.BooleanField(
        _("staff only"),
        default=False,
        help_text=_("Shown only to moderators; left out of public pages, feeds and search."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self):
        return self.name


class ThreadState(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    LOCKED = "locked", _("Locked")
    HIDDEN = "hidden", _("Hidden")


class Thread(index.Indexed, models.Model):
    """A question and its replies; counters are kept exact by the services so lists never aggregate."""

    forum = models.ForeignKey(Forum, on_delete=models.PROTECT, related_name="threads", verbose_name=_("forum"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="community_threads"
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    state = models.CharField(_("state"), max_length=12, choices=ThreadState.choices, default=ThreadState.OPEN)
    is_pinned = models.BooleanField(_("pinned"), default=False)
    is_held = models.BooleanField(_("held for approval"), default=False)
    is_private = models.BooleanField(
        _("private"),
        default=False,
        help_text=_("Only the author and the moderators of the forum see it (e.g. an offline chat message)."),
    )
    accepted_post = models.ForeignKey(
        "Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("accepted answer")
    )
    reply_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(default=timezone.now)
    tags = models.ManyToManyField(Tag, blank=True, related_name="threads")
    # [[name, slug], ...] of ``tags``, kept by the services so thread lists need no tag query.
    tag_labels = models.JSONField(default=list, blank=True, editable=False)
    blog_page = models.OneToOneField(
        "community.BlogPage", null=True, blank=True, on_delete=models.SET_NULL, related_name="comment_thread"
    )

    # Indexed explicitly after commit by the services (tasks.index_post), never from post_save.
    search_auto_update = False
    search_fields = [
        index.SearchField("title", boost=3),
        index.AutocompleteField("title"),
        index.FilterField("forum_id"),
        index.FilterField("state"),
        index.FilterField("is_held"),
    ]

    class Meta:
        ordering = ["-is_pinned", "-last_activity_at", "-id"]
        verbose_name = _("thread")
        verbose_name_plural = _("threads")
        indexes = [
            # The sort keys, then every column the visibility filters read: a deep page finds its
            # first row with an index-only scan (community.selectors._seek_page).
            models.Index(
                fields=["forum", "-is_pinned", "-last_activity_at", "-id", "state", "is_held", "is_private", "author"],
                name="thread_list_seek_idx",
            ),
            models.Index(fields=["author", "-last_activity_at"], name="thread_author_idx"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("community:thread", args=[self.pk])

    @property
    def is_locked(self) -> bool:
        return self.state == ThreadState.LOCKED

    @property
    def is_hidden(self) -> bool:
        return self.state == ThreadState.HIDDEN

    @property
    def is_public(self) -> bool:
        """Visible to every reader of the forum (and counted in it): not held, hidden or private."""
        return not self.is_held and not self.is_private and self.state != ThreadState.HIDDEN

    @property
    def post_total(self) -> int:
        return self.reply_count + 1


class PostStatus(models.TextChoices):
    PUBLISHED = "published", _("Published")
    HELD = "held", _("Held for approval")
    HIDDEN = "hidden", _("Hidden")


class Post(index.Indexed, models.Model):
    """One message in a thread; the rendered HTML is stored so pages never re-render Markdown."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="community_posts"
    )
    is_question = models.BooleanField(default=False)
    body = models.TextField(_("text"), max_length=BODY_MAX)
    body_html = models.TextField(editable=False)
    status = models.CharField(max_length=12, choices=PostStatus.choices, default=PostStatus.PUBLISHED)
    hidden_reason = models.CharField(_("reason"), max_length=500, blank=True)
    helpful_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)

    search_auto_update = False
    search_fields = [
        index.SearchField("body"),
        # On the question only: one search over posts then finds threads by their title as well.
        index.SearchField("question_title", boost=3),
        index.FilterField("thread_id"),
        index.FilterField("status"),
        index.FilterField("created_at"),  # the unranked order of search results (newest first)
    ]

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        indexes = [
            models.Index(fields=["thread", "created_at", "id", "status", "author"], name="post_thread_seek_idx"),
            models.Index(fields=["author", "status"], name="post_author_idx"),
            models.Index(fields=["status"], name="post_status_idx"),
        ]

    def __str__(self):
        return f"#{self.pk} in {self.thread_id}"

    def get_absolute_url(self):
        return reverse("community:post", args=[self.pk])

    @classmethod
    def get_indexed_objects(cls):
        return super().get_indexed_objects().select_related("thread")

    @property
    def is_published(self) -> bool:
        return self.status == PostStatus.PUBLISHED

    @property
    def question_title(self) -> str:
        return self.thread.title if self.is_question else ""


class PostRevision(models.Model):
    """The text of a post before an edit, so moderators can see what changed."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField()
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"revision of {self.post_id}"


class Reaction(models.Model):
    """A member marking a post as helpful (one per member and post)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="community_reactions")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="reaction_unique")]

    def __str__(self):
        return f"{self.user_id} found {self.post_id} helpful"


class Mention(models.Model):
    """A member named by @handle in a post; the mentioned member is notified once."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="community_mentions")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="mention_unique")]

    def __str__(self):
        return f"@{self.user_id} in {self.post_id}"
