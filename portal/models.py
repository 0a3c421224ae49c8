"""The shell's models: the member account, the home and legal pages and in-app notifications."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page

from portal.encrypted_fields import (
    BlindIndexField,
    BlindIndexQuerySet,
    EncryptedCharField,
    EncryptedEmailField,
    blind_index,
)
from portal.handles import random_handle

DELETED_MEMBER_HANDLE = "deleted-member"


class UserQuerySet(BlindIndexQuerySet):
    """Members, found by e-mail through the blind index of the encrypted address."""

    def with_email(self, email: str):
        """The account with this address (at most one), matched case-insensitively through the blind index."""
        return self.filter(email_index=blind_index(self.model, "email", email or ""))


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
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

    def get_by_natural_key(self, username):
        """Login by e-mail (``ModelBackend``): the address is found through its blind index, in any letter case."""
        return self.get(email_index=blind_index(self.model, "email", username or ""))

    def unique_handle(self) -> str:
        for _attempt in range(20):
            handle = random_handle()
            if not self.filter(handle=handle).exists():
                return handle
        raise RuntimeError("Could not generate a unique handle")


class User(AbstractUser):
    """A member: logs in by e-mail, is shown publicly only by a pseudonymous handle."""

    username = None
    # Encrypted at rest (portal.encrypted_fields): a stolen dump or backup names no member. Found by e-mail
    # through the keyed blind index, which carries the uniqueness the clear column had.
    email = EncryptedEmailField(_("e-mail address"))
    email_index = BlindIndexField(source="email", unique=True)
    first_name = EncryptedCharField(_("first name"), max_length=150, blank=True)
    last_name = EncryptedCharField(_("last name"), max_length=150, blank=True)
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
    # Staff only: the name members see next to the "Team" badge instead of the pseudonymous handle.
    display_name = models.CharField(
        _("display name"),
        max_length=60,
        blank=True,
        help_text=_("Staff only: the name members see with the Team badge, e.g. “Mona from Support”."),
    )
    # Kept by portal.notifications in the same transaction as each change, so the header badge on
    # every page comes with the user row instead of a COUNT query.
    unread_notifications = models.PositiveIntegerField(default=0, editable=False)
    # The member's own words on the public profile page (plain text, ``portal.profiles.BIO_MAX`` characters).
    bio = models.TextField(_("short bio"), max_length=300, blank=True)
    # A re-encoded square image without metadata under a random name (``portal.avatars``); empty: the generated one.
    avatar = models.FileField(_("profile picture"), upload_to="avatars/", max_length=120, blank=True, db_index=True)
    # Equal to the live ``public_profile`` consent, kept by consent's services in the same transaction, so
    # every handle on a list page knows whether it links to a profile without a query per name.
    public_profile = models.BooleanField(default=False, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")

    def __str__(self):
        return self.handle

    def validate_unique(self, exclude=None):
        """Forms (sign-up, the back office) see a taken address as a field error, not as a database error."""
        super().validate_unique(exclude=exclude)
        if exclude and "email" in exclude or not self.email:
            return
        if type(self)._default_manager.with_email(self.email).exclude(pk=self.pk).exists():
            raise ValidationError({"email": _("A member with this e-mail address already exists.")}, code="unique")

    @property
    def real_name(self) -> str:
        """The private real name; never rendered on public pages."""
        return self.get_full_name()

    @property
    def public_name(self) -> str:
        """What others see: a staff member's chosen display name, else the pseudonymous handle."""
        if self.erased_at:
            return DELETED_MEMBER_HANDLE
        return self.display_name or self.handle

    @property
    def is_team(self) -> bool:
        """Shown with the "Team" badge: only staff can hold a display name (``portal.services``)."""
        return bool(self.display_name) and self.erased_at is None

    @property
    def staff_label(self) -> str:
        """How back-office choices name a staff member: display name and handle, so two Monas stay apart."""
        return f"{self.display_name} (@{self.handle})" if self.display_name else f"@{self.handle}"

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
    # One home page per content language: the German and the English tree each start with one.
    parent_page_types = ["wagtailcore.Page"]

    class Meta:
        verbose_name = _("home page")

    def route(self, request, path_components):
        """Route in this language's tree; a path only the other tree has is served from there.

        A page not translated yet (an English-only article) stays reachable for a German reader,
        in its own language, under the interface language the reader chose.
        """
        try:
            return super().route(request, path_components)
        except Http404:
            if not path_components:
                raise
            others = (
                HomePage.objects.filter(translation_key=self.translation_key)
                .exclude(pk=self.pk)
                .select_related("locale")
                .order_by("path")
            )
            for other in others:
                try:
                    return Page.route(other, request, path_components)
                except Http404:
                    continue
            raise


class LegalPage(Page):
    """The imprint and the privacy policy: texts the law requires, edited by staff like any page."""

    class Kind(models.TextChoices):
        IMPRINT = "imprint", _("Imprint")
        PRIVACY_POLICY = "privacy_policy", _("Privacy policy")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    body = StreamField(
        [
            ("heading", blocks.CharBlock(form_classname="title", label=_("Heading"))),
            (
                "paragraph",
                blocks.RichTextBlock(features=["bold", "italic", "link", "ol", "ul"], label=_("Paragraph")),
            ),
        ],
        blank=True,
        use_json_field=True,
    )
    last_updated = models.DateField(_("last updated"), null=True, blank=True)

    content_panels = Page.content_panels + [FieldPanel("kind"), FieldPanel("last_updated"), FieldPanel("body")]
    parent_page_types = ["portal.HomePage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("legal page")
        verbose_name_plural = _("legal pages")


class ReadableJSONEncoder(DjangoJSONEncoder):
    """JSON with letters as they are (not ``\\u00fc``), so a lookup for a name with umlauts finds it."""

    def __init__(self, *args, **kwargs):
        kwargs["ensure_ascii"] = False
        super().__init__(*args, **kwargs)


class Notification(models.Model):
    """An in-app notice for a member (replies, mentions, status changes, moderation).

    Stored as a message code and its parameters (``portal.notifications.register_message``), worded in the
    reader's language whenever it is shown.
    """

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    message = models.CharField(max_length=60)
    params = models.JSONField(default=dict, blank=True, encoder=ReadableJSONEncoder)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread_idx")]

    def __str__(self):
        return self.title

    @property
    def title(self) -> str:
        """The sentence in the active language."""
        from portal.notifications import wording

        return wording(self.message, self.params)[0]

    @property
    def body(self) -> str:
        from portal.notifications import wording

        return wording(self.message, self.params)[1]


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
    # Optional HTML alternative (a newsletter's rich text); the plain-text ``body`` always goes too.
    html_body = models.TextField(blank=True)
    # Set by a sender that counts outcomes (a newsletter campaign: "campaign:12"); see ``portal.mail.mail_left``.
    tag = models.CharField(max_length=40, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"mail {self.pk} ({self.processor})"
