"""Idea boards: ideas, votes, follows, comments, status history and staff notes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager
from wagtail.search import index

from portal.bilingual import BilingualNameMixin


class Board(BilingualNameMixin, models.Model):
    """One board per product, so members find the ideas that concern what they use."""

    name = models.CharField(_("name"), max_length=120)
    name_de = models.CharField(
        _("name (German)"), max_length=120, blank=True, help_text=_("Shown to German readers; empty shows the name.")
    )
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    description_de = models.TextField(
        _("description (German)"), blank=True, help_text=_("Shown to German readers; empty shows the description.")
    )
    is_active = models.BooleanField(_("open for new ideas"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("idea board")
        verbose_name_plural = _("idea boards")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("ideas:board", kwargs={"slug": self.slug})


class Category(BilingualNameMixin, models.Model):
    """An optional area within a board that an idea belongs to (e.g. "Reporting")."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="categories", verbose_name=_("board"))
    name = models.CharField(_("name"), max_length=80)
    name_de = models.CharField(
        _("name (German)"), max_length=80, blank=True, help_text=_("Shown to German readers; empty shows the name.")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [models.UniqueConstraint(fields=["board", "name"], name="ideas_category_unique")]

    def __str__(self):
        return self.name


class Status(models.TextChoices):
    NEW = "new", _("New")
    UNDER_REVIEW = "under_review", _("Under review")
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    SHIPPED = "shipped", _("Shipped")
    DECLINED = "declined", _("Declined")
    DUPLICATE = "duplicate", _("Duplicate")


# Votes are frozen once an idea is decided or merged away.
CLOSED_STATUSES = frozenset({Status.SHIPPED, Status.DECLINED, Status.DUPLICATE})
ROADMAP_STATUSES = (Status.PLANNED, Status.IN_PROGRESS, Status.SHIPPED)
STATUS_CSS = {
    Status.NEW: "",
    Status.UNDER_REVIEW: "status--warning",
    Status.PLANNED: "status--warning",
    Status.IN_PROGRESS: "status--warning",
    Status.SHIPPED: "status--success",
    Status.DECLINED: "status--danger",
    Status.DUPLICATE: "status--danger",
}


class Idea(index.Indexed, models.Model):
    """A member's product suggestion that others vote on and product managers answer."""

    board = models.ForeignKey(Board, on_delete=models.PROTECT, related_name="ideas", verbose_name=_("board"))
    category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="ideas", verbose_name=_("category")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="ideas"
    )
    title = models.CharField(_("title"), max_length=140)
    body = models.TextField(_("description"), blank=True)
    body_html = models.TextField(blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW, db_index=True)
    public_response = models.TextField(_("public response"), blank=True)
    public_response_html = models.TextField(blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("merged into"),
    )
    # Denormalised for lists; kept exact by ideas.services under a row lock.
    vote_count = models.PositiveIntegerField(_("votes"), default=0)
    comment_count = models.PositiveIntegerField(_("comments"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    tags = TaggableManager(blank=True, verbose_name=_("tags"))

    # Indexed after commit by ideas.services (portal.tasks.reindex), never from post_save.
    search_auto_update = False
    search_fields = [
        index.SearchField("title", boost=3),
        index.SearchField("body"),
        index.FilterField("board"),
        index.FilterField("status"),
        index.FilterField("merged_into"),
        # The unranked order of search results (settings.SEARCH_RANK_BY_RELEVANCE off): most voted first.
        index.FilterField("vote_count"),
        index.FilterField("created_at"),
    ]

    class Meta:
        ordering = ["-vote_count", "-created_at"]
        verbose_name = _("idea")
        verbose_name_plural = _("ideas")
        indexes = [
            models.Index(fields=["board", "-vote_count"], name="ideas_board_votes_idx"),
            models.Index(fields=["board", "-created_at"], name="ideas_board_new_idx"),
        ]
        permissions = [
            ("review_idea", "Can use the idea review console"),
            ("change_idea_status", "Can set the status and public response of an idea"),
            ("merge_idea", "Can merge duplicate ideas"),
            ("export_idea", "Can export a board's ideas as CSV"),
            ("view_idea_demand", "Can see demand figures of ideas"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("ideas:idea", kwargs={"pk": self.pk})

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    @property
    def status_css(self) -> str:
        return STATUS_CSS.get(self.status, "")


class Vote(models.Model):
    """One member's support for one idea; the unique constraint makes double votes impossible."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="idea_votes")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Set when a merge moved the vote here, so the member can be told and take it back.
    moved_from = models.ForeignKey(Idea, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["idea", "voter"], name="ideas_vote_unique")]
        indexes = [models.Index(fields=["idea", "created_at"], name="ideas_vote_time_idx")]

    def __str__(self):
        return f"{self.voter_id} -> {self.idea_id}"


class Follow(models.Model):
    """A member who wants to hear about an idea's status without voting for it."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="follows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idea_follows")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["idea", "user"], name="ideas_follow_unique")]

    def __str__(self):
        return f"{self.user_id} follows {self.idea_id}"


class Comment(models.Model):
    """A member's reply on an idea; moderators hide rather than delete, with a reason."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="idea_comments"
    )
    body = models.TextField()
    body_html = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.CharField(max_length=300, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["idea", "created_at"], name="ideas_comment_idx")]
        permissions = [("hide_comment", "Can hide comments on ideas")]

    def __str__(self):
        return f"Comment {self.pk} on {self.idea_id}"


class StatusChange(models.Model):
    """Who moved an idea to which status, when and why: shown publicly on the idea."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=Status.choices)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    response = models.TextField(blank=True)
    response_html = models.TextField(blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.idea_id}: {self.from_status} -> {self.to_status}"

    def get_to_status_display_text(self) -> str:
        return str(Status(self.to_status).label)


class InternalNote(models.Model):
    """A staff-only remark on an idea (context from sales, effort estimates); never shown to members."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="internal_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"Note {self.pk} on {self.idea_id}"


class InternalTag(models.Model):
    """An idea tag name only staff see (a CRM routing tag such as "lead"); taggit's tags are shared, so the flag lives here."""

    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("staff-only tag")
        verbose_name_plural = _("staff-only tags")

    def __str__(self):
        return self.name


def public_tag_q(prefix: str = "tag__"):
    """Tagged rows whose tag members may see: every public read of idea tags (search labels) filters with it."""
    return ~models.Exists(InternalTag.objects.filter(name=Lower(models.OuterRef(f"{prefix}name"))))
