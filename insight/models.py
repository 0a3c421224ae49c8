"""What insight stores: the analysis of each member text, materialised daily figures, digest subscriptions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    """Where a text was written; the outside channels of the intake app join as they appear."""

    FORUM = "forum", _("Forum")
    IDEAS = "ideas", _("Ideas")
    BLOG = "blog", _("Blog")
    CHAT = "chat", _("Chat")


class ItemKind(models.TextChoices):
    POST = "post", _("Post")
    IDEA = "idea", _("Idea")
    IDEA_COMMENT = "idea_comment", _("Idea comment")
    CHAT_MESSAGE = "chat_message", _("Chat message")


class Label(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEUTRAL = "neutral", _("Neutral")
    NEGATIVE = "negative", _("Negative")


class ItemAnalysis(models.Model):
    """The language, mood and topics of one member text, so dashboards never re-read or re-analyse content.

    ``member`` is kept only to exclude members who object or restrict, to count distinct members for the
    k-anonymity threshold, and to export and erase a member's own labels; no page shows it.
    """

    kind = models.CharField(max_length=16, choices=ItemKind.choices)
    object_id = models.PositiveBigIntegerField()
    source = models.CharField(max_length=12, choices=Source.choices)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="insight_items"
    )
    # The thread of a post, the idea of an idea or comment, the chat of a message: what a drill-down opens.
    parent_id = models.PositiveBigIntegerField()
    container_id = models.PositiveBigIntegerField(default=0)  # forum or idea board; 0 for chat
    product = models.CharField(max_length=120, blank=True)
    is_opening = models.BooleanField(default=False)  # the question of a thread, an idea, a chat's first line
    # Staff texts count in the volume, never in mood, topics or questions.
    by_staff = models.BooleanField(default=False)
    language = models.CharField(max_length=2, blank=True)
    label = models.CharField(max_length=8, choices=Label.choices)
    score = models.FloatField()
    keywords = models.JSONField(default=list)
    created_at = models.DateTimeField()
    analysed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("text analysis")
        verbose_name_plural = _("text analyses")
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="insight_item_unique")]
        indexes = [
            models.Index(fields=["created_at", "source", "container_id"], name="insight_item_time_idx"),
            models.Index(fields=["member"], name="insight_item_member_idx"),
            models.Index(fields=["parent_id", "kind"], name="insight_item_parent_idx"),
        ]
        permissions = [("view_insight", "Can see the insight dashboards")]

    def __str__(self):
        return f"{self.kind} {self.object_id}: {self.label}"


class DailyFigure(models.Model):
    """Counts and moods per day, source, forum or board and language, kept so trend charts stay fast."""

    day = models.DateField()
    source = models.CharField(max_length=12, choices=Source.choices)
    category = models.CharField(max_length=16)  # thread, reply, idea, idea_comment, blog_comment, chat_message
    container_id = models.PositiveBigIntegerField(default=0)
    language = models.CharField(max_length=2, blank=True)
    items = models.PositiveIntegerField(default=0)
    mood_items = models.PositiveIntegerField(default=0)  # texts of members without a staff role
    positive = models.PositiveIntegerField(default=0)
    negative = models.PositiveIntegerField(default=0)
    members = models.PositiveIntegerField(default=0)  # distinct members that day (a floor for the period's)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "source", "category", "container_id", "language"], name="insight_daily_unique"
            )
        ]

    def __str__(self):
        return f"{self.day} {self.source} {self.container_id} {self.language}: {self.items}"


class SuggestionDay(models.Model):
    """How often the knowledge base offered articles while someone was asking (an aggregate, no member)."""

    day = models.DateField(unique=True)
    shown = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.day}: {self.shown}"


class AlertState(models.Model):
    """The last negative-share alert per forum or product, so moderators are told once per rise, not hourly."""

    scope = models.CharField(max_length=140, unique=True)  # "forum:3" or "product:Router X"
    alerted_at = models.DateTimeField()
    share = models.FloatField()

    def __str__(self):
        return f"{self.scope} at {self.share:.2f}"


class DigestSubscription(models.Model):
    """A manager who gets the weekly e-mail of the main figures (aggregates only, in their language)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="insight_digest")
    created_at = models.DateTimeField(default=timezone.now)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("insight digest subscription")

    def __str__(self):
        return f"digest for {self.user_id}"
