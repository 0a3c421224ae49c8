"""Mailboxes, parsing rules and products of the intake, and the record of every mail that became a card."""

from __future__ import annotations

import json

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import ActionType, SourceType
from portal import field_crypto
from portal.encrypted_fields import BlindIndexField, BlindIndexQuerySet, EncryptedCharField, EncryptedEmailField
from portal.key_rotation import register_sealed_column

# The source types and actions an outside mail can have (crm owns the full lists).
INTAKE_SOURCES = [
    (value, label)
    for value, label in SourceType.choices
    if value not in {"forum_thread", "idea", "chat", "blog_comment"}
]
INTAKE_ACTIONS = [
    (value, label)
    for value, label in ActionType.choices
    if value in {"comment", "mention", "review", "inquiry", "like", "share", "message"}
]


class Security(models.TextChoices):
    TLS = "tls", _("TLS (IMAPS, usually port 993)")
    STARTTLS = "starttls", _("STARTTLS (usually port 143)")
    NONE = "none", _("None (only on a trusted network)")


class ProcessedAction(models.TextChoices):
    SEEN = "seen", _("Mark as read")
    MOVE = "move", _("Move to a folder")


class Mailbox(models.Model):
    """A shared IMAP mailbox whose mails become interest cards; the password is encrypted at rest."""

    name = models.CharField(_("name"), max_length=120)
    host = models.CharField(_("IMAP host"), max_length=255)
    port = models.PositiveIntegerField(_("port"), default=993)
    security = models.CharField(_("security"), max_length=10, choices=Security.choices, default=Security.TLS)
    username = models.CharField(_("user name"), max_length=255)
    password = models.TextField(editable=False, blank=True, default="")
    folder = models.CharField(_("folder"), max_length=255, default="INBOX")
    processed_action = models.CharField(
        _("processed mail"), max_length=10, choices=ProcessedAction.choices, default=ProcessedAction.SEEN
    )
    move_to = models.CharField(
        _("move to folder"), max_length=255, blank=True, help_text=_("Only when processed mail is moved.")
    )
    rule = models.ForeignKey(
        "crm.TagRule",
        verbose_name=_("CRM tag rule"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Which CRM, priority, due date and assignment the cards of this mailbox get."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    last_polled_at = models.DateTimeField(_("last poll"), null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(_("last successful poll"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True, editable=False)
    mails_seen = models.PositiveIntegerField(_("mails read"), default=0, editable=False)
    cards_created = models.PositiveIntegerField(_("cards created"), default=0, editable=False)
    mails_skipped = models.PositiveIntegerField(_("mails skipped"), default=0, editable=False)
    # One poller at a time per mailbox: the poll holds this lease (renewed with every mail) so a second
    # poller (a slow poll overlapping the next scheduled one) neither reads nor marks the same mails.
    poll_owner = models.CharField(max_length=32, blank=True, editable=False)
    poll_lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self):
        return self.name

    def secret(self) -> str:
        """The decrypted password (only the poller calls this)."""
        if not self.password:
            return ""
        return json.loads(field_crypto.decrypt_text(self.password, aad=self._aad()))["password"]

    def _aad(self) -> bytes:
        return b"intake.Mailbox.password.v1"

    @property
    def is_healthy(self) -> bool:
        return bool(self.last_success_at) and (self.last_error_at is None or self.last_error_at <= self.last_success_at)


register_sealed_column("intake.Mailbox", "password", aad=b"intake.Mailbox.password.v1")


class Product(models.Model):
    """A product the intake recognises in a mail by its words (German and English) or its web addresses."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    keywords_en = models.TextField(_("keywords (English)"), blank=True, help_text=_("One word or phrase per line."))
    keywords_de = models.TextField(_("keywords (German)"), blank=True, help_text=_("One word or phrase per line."))
    urls = models.TextField(
        _("web addresses"), blank=True, help_text=_("One address prefix per line, e.g. https://example.com/widget")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self):
        return self.name

    def keywords(self) -> list[str]:
        lines = f"{self.keywords_en}\n{self.keywords_de}".splitlines()
        return [line.strip().lower() for line in lines if line.strip()]

    def url_prefixes(self) -> list[str]:
        return [line.strip().lower() for line in self.urls.splitlines() if line.strip()]


class ParsingRule(models.Model):
    """How one shape of notification mail becomes a card: what it matches and where its fields are.

    Patterns are Python regular expressions, matched case-insensitively; an extraction pattern's
    first group (or the named group) is the value. The first active rule by position that matches wins.
    """

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("position"), default=100, help_text=_("Lower runs first."))
    source_type = models.CharField(_("source type"), max_length=20, choices=INTAKE_SOURCES)
    action_type = models.CharField(_("action"), max_length=20, choices=INTAKE_ACTIONS)
    match_sender = models.CharField(_("sender matches"), max_length=500, blank=True)
    match_list_id = models.CharField(_("List-Id matches"), max_length=500, blank=True)
    match_subject = models.CharField(_("subject matches"), max_length=500, blank=True)
    match_body = models.CharField(_("body matches"), max_length=500, blank=True)
    action_patterns = models.TextField(
        _("action by pattern"),
        blank=True,
        help_text=_(
            "Optional lines “action: pattern”, e.g. “like: liked your”; the first matching line sets the action."
        ),
    )
    extract_link = models.CharField(_("link pattern"), max_length=500, blank=True)
    extract_author = models.CharField(_("author pattern"), max_length=500, blank=True)
    extract_text = models.CharField(_("text pattern"), max_length=500, blank=True)
    extract_picture = models.CharField(_("picture pattern"), max_length=500, blank=True)
    is_fallback = models.BooleanField(
        _("fallback"), default=False, help_text=_("Matches any mail no other rule matched.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["is_fallback", "position", "pk"]
        verbose_name = _("parsing rule")
        verbose_name_plural = _("parsing rules")

    def __str__(self):
        return self.name


class HookSource(models.Model):
    """A tool that pushes mentions as signed JSON (Standard Webhooks); its secret is encrypted at rest."""

    name = models.CharField(_("name"), max_length=120)
    secret = models.TextField(editable=False, blank=True, default="")
    rule = models.ForeignKey(
        "crm.TagRule",
        verbose_name=_("CRM tag rule"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Which CRM, priority, due date and assignment the cards of this mailbox get."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    last_received_at = models.DateTimeField(_("last message"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True, editable=False)
    cards_created = models.PositiveIntegerField(_("cards created"), default=0, editable=False)
    rejected = models.PositiveIntegerField(_("rejected requests"), default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("inbound hook")
        verbose_name_plural = _("inbound hooks")

    def __str__(self):
        return self.name

    def signing_secret(self) -> str:
        if not self.secret:
            return ""
        return json.loads(field_crypto.decrypt_text(self.secret, aad=self._aad()))["secret"]

    def _aad(self) -> bytes:
        return b"intake.HookSource.secret.v1"


register_sealed_column("intake.HookSource", "secret", aad=b"intake.HookSource.secret.v1")


class Feed(models.Model):
    """An RSS or Atom feed (brand alerts, review sites, blog comments) whose matching entries become mention cards."""

    name = models.CharField(_("name"), max_length=120)
    url = models.URLField(_("feed address"), max_length=500)
    keywords = models.TextField(
        _("brand keywords"),
        blank=True,
        help_text=_("One word or phrase per line; only entries naming one become cards. Empty: every entry."),
    )
    rule = models.ForeignKey(
        "crm.TagRule",
        verbose_name=_("CRM tag rule"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Which CRM, priority, due date and assignment the cards of this mailbox get."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    etag = models.CharField(max_length=255, blank=True, editable=False)
    last_modified = models.CharField(max_length=255, blank=True, editable=False)
    last_polled_at = models.DateTimeField(_("last poll"), null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(_("last successful poll"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True, editable=False)
    entries_seen = models.PositiveIntegerField(_("entries read"), default=0, editable=False)
    cards_created = models.PositiveIntegerField(_("cards created"), default=0, editable=False)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("feed")
        verbose_name_plural = _("feeds")

    def __str__(self):
        return self.name

    def keyword_list(self) -> list[str]:
        return [line.strip().lower() for line in self.keywords.splitlines() if line.strip()]


class SkipReason(models.TextChoices):
    AUTO_REPLY = "auto_reply", _("Automatic reply")
    BULK = "bulk", _("Bulk or list mail without a rule")
    LOOP = "loop", _("Sent by the portal itself (loop)")
    MALFORMED = "malformed", _("Unreadable mail")


class IntakeMail(models.Model):
    """One mail read from a mailbox, recorded once: the dedupe key and what it became.

    Only what the card needs is kept: the sanitised text, the author's name and address (for the
    reply and for access or erasure requests), never attachments or the raw mail.
    """

    mailbox = models.ForeignKey(Mailbox, null=True, blank=True, on_delete=models.CASCADE, related_name="mails")
    hook = models.ForeignKey(HookSource, null=True, blank=True, on_delete=models.CASCADE, related_name="messages")
    feed = models.ForeignKey(Feed, null=True, blank=True, on_delete=models.CASCADE, related_name="entries")
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)
    content_hash = models.CharField(_("content hash"), max_length=64)
    rule = models.ForeignKey(ParsingRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    card = models.OneToOneField(
        "crm.InterestCard", null=True, blank=True, on_delete=models.SET_NULL, related_name="intake_mail"
    )
    skipped = models.CharField(_("skipped"), max_length=12, choices=SkipReason.choices, blank=True)
    source_type = models.CharField(_("source type"), max_length=20, choices=INTAKE_SOURCES, blank=True)
    action_type = models.CharField(_("action"), max_length=20, choices=INTAKE_ACTIONS, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    # Who wrote it, encrypted at rest (portal.encrypted_fields); the address is found by its blind index.
    author_name = EncryptedCharField(_("author"), max_length=200, blank=True)
    author_address = EncryptedEmailField(_("author's e-mail address"), max_length=254, blank=True)
    author_address_index = BlindIndexField(source="author_address", db_index=True)
    author_picture = models.URLField(_("author's picture"), max_length=500, blank=True)
    link = models.URLField(_("link to the source"), max_length=500, blank=True)
    text = models.TextField(_("text"), blank=True)
    product = models.CharField(_("product"), max_length=120, blank=True)
    references = models.TextField(_("references"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    reply_text = models.TextField(_("reply"), blank=True)
    reply_screenshot = models.ImageField(_("screenshot of the reply"), upload_to="intake/replies/", blank=True)
    reply_message_id = models.CharField(_("Message-ID of the reply"), max_length=255, blank=True)
    replied_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    thread = models.ForeignKey(
        "community.Thread",
        verbose_name=_("community thread"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The forum thread the question was brought into."),
    )

    objects = BlindIndexQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("intake mail")
        verbose_name_plural = _("intake mails")
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "message_id"], condition=~Q(message_id=""), name="intake_mail_once_by_id"
            ),
            models.UniqueConstraint(fields=["mailbox", "content_hash"], name="intake_mail_once_by_content"),
            models.UniqueConstraint(fields=["hook", "message_id"], name="intake_hook_once_by_id"),
            models.UniqueConstraint(fields=["feed", "message_id"], name="intake_feed_entry_once"),
        ]

    def __str__(self):
        return self.subject or self.message_id or self.content_hash[:12]

    @property
    def answers_by_mail(self) -> bool:
        """E-mail and form sources are answered from the card; social and web sources where they are."""
        return bool(self.author_address) and self.source_type in {"email", "website_form"}
