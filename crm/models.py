"""Tag rules, CRM connections, interest cards and their transactional outbox."""

from __future__ import annotations

import json
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consent.pseudonyms import recipient_domain
from portal import field_crypto
from portal.encrypted_fields import EncryptedCharField
from portal.key_rotation import register_sealed_column

# Namespace of the card keys: uuid5(namespace, "<source_type>:<source_id>:<tag>") is stable forever.
CARD_NAMESPACE = uuid.UUID("6f4d3c2e-2b8a-5d7e-9f10-3c1a2b4d5e6f")
TEXT_MAX = 2000
# The one pseudonym domain every connection shared before each got its own; connections made then keep it.
LEGACY_RECIPIENT_KEY = "crm"


def new_recipient_key() -> str:
    """A fresh recipient key, random so no other connection (nor a re-used id) ever shares its pseudonyms."""
    return f"crm:{secrets.token_hex(10)}"


class ActionType(models.TextChoices):
    LEAD = "lead", _("Lead")
    COMPLAINT = "complaint", _("Complaint")
    BUG = "bug", _("Bug")
    QUESTION = "question", _("Question")
    FEEDBACK = "feedback", _("Feedback")
    # What an outside author did (intake/): the notification's verb.
    COMMENT = "comment", _("Comment")
    MENTION = "mention", _("Mention")
    REVIEW = "review", _("Review")
    INQUIRY = "inquiry", _("Inquiry")
    LIKE = "like", _("Like")
    SHARE = "share", _("Share")
    MESSAGE = "message", _("Message")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")


class AssigneeStrategy(models.TextChoices):
    FIXED = "fixed", _("Fixed owner")
    ROUND_ROBIN = "round_robin", _("Round-robin over a team")
    CLAIM = "claim", _("Unassigned: first to claim owns it")
    LEAST_LOADED = "least_loaded", _("The team member with the fewest open cards")


class ConnectionKind(models.TextChoices):
    WEBHOOK = "webhook", _("Signed webhook")
    BOTTLECRM = "bottlecrm", _("BottleCRM")
    SALESFORCE = "salesforce", _("Salesforce")
    HUBSPOT = "hubspot", _("HubSpot")


class SourceType(models.TextChoices):
    THREAD = "forum_thread", _("Forum thread")
    IDEA = "idea", _("Idea")
    CHAT = "chat", _("Chat")
    BLOG_COMMENT = "blog_comment", _("Blog comment")
    # Outside the portal (intake/): the author is no member.
    EMAIL = "email", _("E-mail")
    FACEBOOK = "facebook", _("Facebook")
    INSTAGRAM = "instagram", _("Instagram")
    LINKEDIN = "linkedin", _("LinkedIn")
    X = "x", _("X")
    XING = "xing", _("XING")
    YOUTUBE = "youtube", _("YouTube")
    REVIEW_SITE = "review_site", _("Review site")
    WEBSITE_FORM = "website_form", _("Website form")
    WEB_MENTION = "web_mention", _("Web mention")
    HOOK = "hook", _("Inbound hook")


# Sources whose author is a member of the portal; every other source's author is an outside person.
MEMBER_SOURCES = frozenset({"forum_thread", "idea", "chat", "blog_comment"})


class CardState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    DEAD = "dead", _("Delivery failed")
    PROCESSED = "processed", _("Processed")


class OutboxKind(models.TextChoices):
    UPSERT = "upsert", _("Create or update task")
    REDACT = "redact", _("Redact identity")


class OutboxState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed, will retry")
    DEAD = "dead", _("Dead")


class CrmConnection(models.Model):
    """Where cards go: one CRM endpoint with its credentials, encrypted at rest and never shown again."""

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("type"), max_length=20, choices=ConnectionKind.choices)
    url = models.URLField(
        _("URL"),
        max_length=500,
        help_text=_("Webhook: the receiving URL. CRMs: the base URL of the instance or API."),
    )
    client_id = models.CharField(
        _("client ID"), max_length=200, blank=True, help_text=_("Salesforce: the connected app's consumer key.")
    )
    options = models.JSONField(
        _("options"),
        default=dict,
        blank=True,
        help_text=_("Adapter options, e.g. Salesforce api_version and external_id_field, HubSpot owner ids."),
    )
    credentials = models.TextField(editable=False, blank=True, default="")
    is_active = models.BooleanField(_("active"), default=True)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True, editable=False)
    recipient_key = models.CharField(
        _("pseudonym recipient key"),
        max_length=64,
        default=new_recipient_key,
        editable=False,
        help_text=_("Selects this connection's own pseudonym domain; never changes, or the CRM's records break."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("CRM connection")
        verbose_name_plural = _("CRM connections")
        constraints = [
            # Only connections from before per-recipient domains share a key (the legacy one).
            models.UniqueConstraint(
                fields=["recipient_key"],
                condition=~Q(recipient_key=LEGACY_RECIPIENT_KEY),
                name="crm_connection_own_recipient_key",
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"

    def secrets(self) -> dict[str, str]:
        """The decrypted credentials (only adapters call this, at send time)."""
        return json.loads(field_crypto.decrypt_text(self.credentials, aad=self._aad())) if self.credentials else {}

    @property
    def pseudonym_domain(self) -> str:
        """The domain of every pseudonym this connection receives."""
        return recipient_domain(self.recipient_key)

    def has_secret(self, name: str) -> bool:
        return bool(self.secrets().get(name))

    def _aad(self) -> bytes:
        return b"crm.CrmConnection.credentials.v1"


register_sealed_column("crm.CrmConnection", "credentials", aad=b"crm.CrmConnection.credentials.v1")


class TagRule(models.Model):
    """What a tag means for the company: which CRM task it becomes, for whom and by when."""

    tag = models.CharField(_("tag"), max_length=40, help_text=_("The forum tag, lower case, e.g. “lead”."), unique=True)
    action_type = models.CharField(_("action type"), max_length=20, choices=ActionType.choices)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    due_in_days = models.PositiveSmallIntegerField(_("due in days"), default=3)
    assignee_strategy = models.CharField(
        _("assignee"), max_length=20, choices=AssigneeStrategy.choices, default=AssigneeStrategy.CLAIM
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("fixed owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(
        "auth.Group",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Round-robin: the group whose members take turns."),
    )
    round_robin_position = models.PositiveIntegerField(default=0, editable=False)
    connection = models.ForeignKey(
        CrmConnection, verbose_name=_("CRM connection"), on_delete=models.PROTECT, related_name="rules"
    )
    keywords = models.TextField(
        _("keywords"),
        blank=True,
        help_text=_("One word or phrase per line; a new thread containing one is tagged automatically."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["tag"]
        verbose_name = _("tag rule")
        verbose_name_plural = _("tag rules")

    def __str__(self):
        return f"#{self.tag} → {self.get_action_type_display()}"

    def keyword_list(self) -> list[str]:
        return [line.strip().lower() for line in self.keywords.splitlines() if line.strip()]


class InterestCard(models.Model):
    """A tagged thread (or idea, chat) as the unit the CRM receives: one per source object and tag."""

    key = models.UUIDField(_("key"), unique=True, editable=False)
    rule = models.ForeignKey(TagRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="cards")
    connection = models.ForeignKey(CrmConnection, on_delete=models.PROTECT, related_name="cards")
    source_type = models.CharField(_("source"), max_length=20, choices=SourceType.choices)
    source_id = models.PositiveBigIntegerField()
    source_url = models.URLField(_("link to the source"), max_length=500)
    reply_url = models.URLField(_("reply link"), max_length=500)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"), max_length=TEXT_MAX, blank=True)
    product = models.CharField(_("product"), max_length=120, blank=True)
    tag = models.CharField(_("tag"), max_length=40)
    is_automatic = models.BooleanField(_("tagged automatically"), default=False)
    action_type = models.CharField(_("action type"), max_length=20, choices=ActionType.choices)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    due_on = models.DateField(_("due on"))
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="crm_cards",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="crm_assigned_cards",
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=12, choices=CardState.choices, default=CardState.QUEUED)
    identity_sent = models.BooleanField(
        _("identity sent"), default=False, help_text=_("The CRM holds the member's name and e-mail.")
    )
    # An outside person's name: encrypted at rest (portal.encrypted_fields).
    outside_author = EncryptedCharField(
        _("outside author"),
        max_length=200,
        blank=True,
        help_text=_("Who wrote it outside the portal, as the source named them (no member)."),
    )
    remote_id = models.CharField(_("remote ID"), max_length=200, blank=True)
    remote_url = models.URLField(_("remote link"), max_length=500, blank=True)
    remote_status = models.CharField(_("remote status"), max_length=60, blank=True)
    reply_text = models.TextField(
        _("reply"), max_length=TEXT_MAX, blank=True, help_text=_("What the company answered, as staff recorded it.")
    )
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("replied by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="crm_replied_cards",
    )
    erasure_report_id = models.UUIDField(
        _("erasure report"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_("The erasure that took the member out of this card; its CRM is asked to redact its copy."),
    )
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("interest card")
        verbose_name_plural = _("interest cards")
        permissions = [("claim_interestcard", "Can claim interest cards")]
        indexes = [
            models.Index(fields=["state", "-created_at"], name="crm_card_state_idx"),
            models.Index(fields=["source_type", "source_id"], name="crm_card_source_idx"),
            models.Index(fields=["member", "identity_sent"], name="crm_card_member_idx"),
        ]

    def __str__(self):
        return f"{self.get_action_type_display()}: {self.title}"

    @staticmethod
    def key_for(*, source_type: str, source_id: int, tag: str) -> uuid.UUID:
        return uuid.uuid5(CARD_NAMESPACE, f"{source_type}:{source_id}:{tag}")

    @property
    def is_processed(self) -> bool:
        return self.processed_at is not None


class OutboxRow(models.Model):
    """The columns every outbox row has, so ``crm.services.leases`` works on any outbox (api/webhooks' too)."""

    state = models.CharField(_("state"), max_length=10, choices=OutboxState.choices, default=OutboxState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    payload = models.JSONField(_("payload sent"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        abstract = True


class OutboxMessage(OutboxRow):
    """One delivery to the CRM, written with the change that causes it, so a crash never loses it."""

    card = models.ForeignKey(InterestCard, on_delete=models.CASCADE, related_name="outbox")
    kind = models.CharField(_("kind"), max_length=10, choices=OutboxKind.choices, default=OutboxKind.UPSERT)
    with_identity = models.BooleanField(_("with identity"), default=False)
    remote_ref = models.CharField(_("remote reference"), max_length=200, blank=True)
    remote_url = models.URLField(_("remote link"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        permissions = [("retry_outboxmessage", "Can retry dead CRM deliveries")]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="crm_outbox_due_idx")]
        constraints = [
            # At most one open delivery per card and kind: a retry or re-upsert reuses it.
            models.UniqueConstraint(
                fields=["card", "kind"],
                condition=models.Q(state__in=["pending", "sending", "failed"]),
                name="crm_outbox_one_open",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.card_id} ({self.get_state_display()})"


class DemoReceipt(models.Model):
    """What the built-in demo receiver got, so the demo shows the whole flow without an external CRM."""

    webhook_id = models.CharField(max_length=100, unique=True)
    card = models.ForeignKey(InterestCard, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    payload = models.JSONField()
    deliveries = models.PositiveIntegerField(default=1)
    signature_valid = models.BooleanField(default=False)
    received_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("demo receipt")
        verbose_name_plural = _("demo receipts")

    def __str__(self):
        return self.webhook_id
