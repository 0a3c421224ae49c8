"""Flags, the moderation log and the moderation settings staff change in the back office."""

from __future__ import annotations

from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting


class FlagReason(models.TextChoices):
    SPAM = "spam", _("Spam or advertising")
    ABUSE = "abuse", _("Abusive or offensive")
    PERSONAL_DATA = "personal_data", _("Contains personal data")
    OFF_TOPIC = "off_topic", _("Off topic")
    OTHER = "other", _("Something else")


class Flag(models.Model):
    """A member's report that a post breaks the rules; open flags fill the moderation queue."""

    post = models.ForeignKey("community.Post", on_delete=models.CASCADE, related_name="flags")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="community_flags"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=FlagReason.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        permissions = [("work_moderation_queue", "Can work the moderation queue")]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "reporter"], condition=models.Q(resolved_at__isnull=True), name="flag_open_unique"
            )
        ]

    def __str__(self):
        return f"flag on {self.post_id}: {self.reason}"


class ModerationActionKind(models.TextChoices):
    APPROVE = "approve", _("Approved")
    HIDE_POST = "hide_post", _("Hid a post")
    RESTORE_POST = "restore_post", _("Restored a post")
    HIDE_THREAD = "hide_thread", _("Hid a thread")
    RESTORE_THREAD = "restore_thread", _("Restored a thread")
    LOCK = "lock", _("Locked a thread")
    UNLOCK = "unlock", _("Unlocked a thread")
    PIN = "pin", _("Pinned a thread")
    UNPIN = "unpin", _("Unpinned a thread")
    MOVE = "move", _("Moved a thread")
    MERGE = "merge", _("Merged threads")
    SUSPEND = "suspend", _("Suspended a member")
    DISMISS_FLAG = "dismiss_flag", _("Dismissed flags")
    ACCEPT = "accept", _("Accepted an answer")


class ModerationAction(models.Model):
    """One entry of the moderation log: who did what to which content or member, when and why."""

    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=ModerationActionKind.choices)
    thread = models.ForeignKey("community.Thread", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    post = models.ForeignKey("community.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="community_moderation_received",
    )
    reason = models.CharField(max_length=500, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.kind} by {self.moderator_id}"


@register_setting(icon="warning")
class ModerationSettings(BaseGenericSetting):
    """Moderation rules staff tune without a deploy."""

    hold_first_posts = models.BooleanField(
        _("hold first posts of new members"),
        default=True,
        help_text=_("A member's first post waits in the moderation queue until a moderator approves it."),
    )
    posts_per_hour = models.PositiveIntegerField(_("posts per member and hour"), default=30)
    flags_per_hour = models.PositiveIntegerField(_("flags per member and hour"), default=20)

    panels = [FieldPanel("hold_first_posts"), FieldPanel("posts_per_hour"), FieldPanel("flags_per_hour")]

    # Every post and flag reads these rules, so they come from the shared cache (one entry, all
    # processes); saving drops the entry at once and again after commit, and CACHE_SECONDS bounds
    # how long a change written behind the model's back (a queryset update) can go unseen.
    CACHE_KEY = "community:moderation-settings"
    CACHE_SECONDS = 300

    class Meta:
        verbose_name = _("moderation settings")

    @classmethod
    def cached(cls) -> ModerationSettings:
        """The current rules, read from the database at most once per ``CACHE_SECONDS`` and change."""
        values = cache.get(cls.CACHE_KEY)
        if values is None:
            config = cls.load()
            values = {field.attname: getattr(config, field.attname) for field in cls._meta.concrete_fields}
            cache.set(cls.CACHE_KEY, values, cls.CACHE_SECONDS)
            return config
        return cls(**values)

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        cache.delete(self.CACHE_KEY)
        transaction.on_commit(partial(cache.delete, self.CACHE_KEY))
