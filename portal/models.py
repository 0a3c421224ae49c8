"""The shell's models: the member account, the home page and in-app notifications."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page

from portal.handles import random_handle

DELETED_MEMBER_HANDLE = "deleted-member"


class UserManager(BaseUserManager):
    """Creates members by e-mail; the public handle is generated, never derived from the name."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An e-mail address is required")
        email = self.normalize_email(email).lower()
        extra.setdefault("handle", self.unique_handle())
        user = self.model(email=email, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("email_confirmed_at", timezone.now())
        return self._create_user(email, password, **extra)

    def unique_handle(self) -> str:
        for _attempt in range(20):
            handle = random_handle()
            if not self.filter(handle=handle).exists():
                return handle
        raise RuntimeError("Could not generate a unique handle")


class User(AbstractUser):
    """A member: logs in by e-mail, is shown publicly only by a pseudonymous handle."""

    username = None
    email = models.EmailField(_("e-mail address"), unique=True)
    handle = models.CharField(
        _("public handle"),
        max_length=40,
        unique=True,
        help_text=_("The only name shown publicly. Lower-case letters, digits and hyphens."),
    )
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    email_confirmed_at = models.DateTimeField(_("e-mail confirmed at"), null=True, blank=True)
    suspended_until = models.DateTimeField(_("suspended until"), null=True, blank=True)
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)
    # Kept by portal.notifications in the same transaction as each change, so the header badge on
    # every page comes with the user row instead of a COUNT query.
    unread_notifications = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")

    def __str__(self):
        return self.handle

    @property
    def real_name(self) -> str:
        """The private real name; never rendered on public pages."""
        return self.get_full_name()

    @property
    def public_name(self) -> str:
        return DELETED_MEMBER_HANDLE if self.erased_at else self.handle

    def is_suspended(self, now=None) -> bool:
        return bool(self.suspended_until and self.suspended_until > (now or timezone.now()))


class HomePage(Page):
    """The portal's landing page; editors change its sections without code."""

    intro = models.CharField(_("intro"), max_length=300, blank=True)
    body = StreamField(
        [
            ("heading", blocks.CharBlock(form_classname="title", label=_("Heading"))),
            ("paragraph", blocks.RichTextBlock(features=["bold", "italic", "link", "ol", "ul"], label=_("Paragraph"))),
            (
                "feature",
                blocks.StructBlock(
                    [
                        ("title", blocks.CharBlock(label=_("Title"))),
                        ("text", blocks.TextBlock(label=_("Text"))),
                        ("link_url", blocks.CharBlock(required=False, label=_("Link (path or URL)"))),
                        ("link_text", blocks.CharBlock(required=False, label=_("Link text"))),
                    ],
                    icon="pick",
                    label=_("Feature card"),
                    template="portal/blocks/feature.html",
                ),
            ),
        ],
        blank=True,
        use_json_field=True,
    )

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]
    max_count = 1
    parent_page_types = ["wagtailcore.Page"]

    class Meta:
        verbose_name = _("home page")


class Notification(models.Model):
    """An in-app notice for a member (replies, mentions, status changes, moderation)."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=300)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread_idx")]

    def __str__(self):
        return self.title


class NotificationPreference(models.Model):
    """A member's choice of channels for one kind of notification (missing row = defaults)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=40)
    in_app = models.BooleanField(default=True)
    email = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_pref_unique")]

    def __str__(self):
        return f"{self.user_id}:{self.kind}"


class ScheduledJob(models.Model):
    """When the scheduler last enqueued one periodic job (see ``portal.schedule``)."""

    name = models.CharField(max_length=80, primary_key=True)
    last_enqueued_at = models.DateTimeField(null=True, blank=True)
    runs = models.PositiveIntegerField(default=0)

    def __str__(self):
        return self.name


class TaskWorker(models.Model):
    """A running task worker process and its last heartbeat: its tasks are lost once the heartbeat is too old."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self):
        return f"{self.worker_id}@{self.hostname}:{self.pid}"


class TaskEffect(models.Model):
    """An effect of a task that happened, by key, so a re-run after a lost worker does not repeat it."""

    key = models.CharField(max_length=200, primary_key=True)
    done_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self):
        return self.key


class OutgoingMail(models.Model):
    """A mail to a member waiting for the worker: the task carries only this row's id, never the text.

    The row is deleted once the mail has left (or may no longer leave), so a member's erasure deletes
    what is still queued through the personal-data registry, and the task queue never holds an address,
    a name or a message.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    processor = models.CharField(max_length=80)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"mail {self.pk} ({self.processor})"
