"""Purposes, notices, the append-only consent ledger and its projections, pseudonym and audit records."""

from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from consent.keys import WRAP_AAD
from portal.encrypted_fields import EncryptedEmailField
from portal.key_rotation import register_sealed_column


class LegalBasis(models.TextChoices):
    CONSENT = "consent", _("Consent (Art. 6(1)(a) GDPR)")
    CONTRACT = "contract", _("Contract (Art. 6(1)(b) GDPR)")
    LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation (Art. 6(1)(c) GDPR)")
    LEGITIMATE_INTEREST = "legitimate_interest", _("Legitimate interest (Art. 6(1)(f) GDPR)")


class Purpose(models.Model):
    """A purpose of processing the member opts into separately (GDPR Art. 6(1)(a), 7)."""

    code = models.SlugField(_("code"), max_length=40, unique=True, help_text=_("Stable identifier used by the code."))
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_de = models.CharField(_("name (German)"), max_length=120)
    summary_en = models.CharField(_("summary (English)"), max_length=300, blank=True)
    summary_de = models.CharField(_("summary (German)"), max_length=300, blank=True)
    legal_basis = models.CharField(
        _("legal basis"), max_length=30, choices=LegalBasis.choices, default=LegalBasis.CONSENT
    )
    data_categories = models.CharField(_("data categories"), max_length=300)
    recipients = models.CharField(_("recipients"), max_length=300)
    retention = models.CharField(_("retention"), max_length=300)
    double_opt_in = models.BooleanField(
        _("double opt-in"), default=False, help_text=_("Consent counts only after the member confirms a mailed link.")
    )
    marketing = models.BooleanField(_("marketing"), default=False)
    required_notice_version = models.PositiveIntegerField(
        _("required notice version"),
        default=1,
        editable=False,
        help_text=_("Consents given to an older notice version have lapsed (set by a material notice change)."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("purpose")
        verbose_name_plural = _("purposes")

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return self.name_de if (get_language() or "").startswith("de") else self.name_en

    @property
    def summary(self) -> str:
        return self.summary_de if (get_language() or "").startswith("de") else self.summary_en


class NoticeVersion(models.Model):
    """One published wording of a purpose's notice; the ledger keeps the hash of the text the member saw."""

    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="notices", verbose_name=_("purpose"))
    version = models.PositiveIntegerField(_("version"))
    text_en = models.TextField(_("text (English)"))
    text_de = models.TextField(_("text (German)"))
    material = models.BooleanField(
        _("material change"),
        default=True,
        help_text=_("Consents to earlier versions lapse until the member agrees again."),
    )
    published_at = models.DateTimeField(_("published at"), default=timezone.now)

    class Meta:
        ordering = ["purpose", "-version"]
        constraints = [models.UniqueConstraint(fields=["purpose", "version"], name="notice_version_unique")]
        verbose_name = _("notice version")
        verbose_name_plural = _("notice versions")

    def __str__(self):
        return f"{self.purpose.code} v{self.version}"

    def text_for(self, language: str) -> str:
        return self.text_de if language.startswith("de") else self.text_en

    def text_hash(self, language: str) -> str:
        return hashlib.sha256(self.text_for(language).encode()).hexdigest()

    @property
    def text(self) -> str:
        return self.text_for(get_language() or "en")


class EventKind(models.TextChoices):
    GRANT = "grant", _("consent given")
    WITHDRAW = "withdraw", _("consent withdrawn")
    EXPIRE = "expire", _("consent expired")
    OPT_IN_REQUEST = "opt_in_request", _("confirmation requested")
    OPT_IN_CONFIRM = "opt_in_confirm", _("confirmed by e-mail link")
    REIDENTIFY = "reidentify", _("pseudonym re-identified by the DPO")


class Channel(models.TextChoices):
    WEB = "web", _("privacy centre")
    EMAIL_LINK = "email_link", _("e-mail link")
    CHAT = "chat", _("chat")
    STAFF = "staff", _("staff on the member's behalf")
    SYSTEM = "system", _("system")


class ConsentState(models.TextChoices):
    GRANTED = "granted", _("given")
    WITHDRAWN = "withdrawn", _("withdrawn")
    PENDING = "pending", _("waiting for confirmation")
    EXPIRED = "expired", _("expired")


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk updates and deletes are refused: the ledger only grows."""

    def update(self, **kwargs):
        raise PermissionError("The consent ledger is append-only")

    def delete(self):
        raise PermissionError("The consent ledger is append-only")


class LedgerHead(models.Model):
    """The single row that serialises appends: size, last leaf hash and the Merkle frontier."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    size = models.BigIntegerField(default=0)
    last_leaf_hash = models.CharField(max_length=64, default="")
    frontier = models.JSONField(default=list)  # hex roots of the perfect subtrees, largest first
    checkpointed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"ledger head at {self.size}"


class ConsentEvent(models.Model):
    """One immutable ledger entry; ``payload`` is the canonical JSON its RFC 6962 leaf hash covers."""

    index = models.BigIntegerField(unique=True)
    record_id = models.UUIDField(unique=True, default=uuid.uuid4)
    subject = models.CharField(
        max_length=64, db_index=True
    )  # keyed with the member's own key; unlinkable after erasure
    purpose_code = models.CharField(max_length=40)
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    state = models.CharField(max_length=20, choices=ConsentState.choices)
    created_at = models.DateTimeField()
    payload = models.TextField()
    leaf_hash = models.CharField(max_length=64)
    proof = models.TextField(blank=True)  # inclusion proof in the tree of index + 1 leaves (hex, nearest first)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["index"]
        verbose_name = _("consent event")
        verbose_name_plural = _("consent events")

    def __str__(self):
        return f"#{self.index} {self.purpose_code} {self.kind}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("Consent events are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Consent events are immutable")


class LedgerCheckpoint(models.Model):
    """A signed (Ed25519) statement of the tree size and Merkle root at one moment; append-only like the ledger."""

    tree_size = models.BigIntegerField(unique=True)
    root_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    signature = models.TextField()  # JWS compact over {"tree_size", "root_hash", "created_at"}
    frontier = models.JSONField(default=list)  # hex peaks of the tree at tree_size: the next proof starts here
    consistency = models.TextField(blank=True)  # RFC 6962 proof from the previous checkpoint (hex, space-separated)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["tree_size"]

    def __str__(self):
        return f"checkpoint {self.tree_size}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("Ledger checkpoints are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Ledger checkpoints are immutable")


class MemberConsent(models.Model):
    """Projection of the ledger: the current state per member and purpose, for O(1) checks."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consents")
    purpose = models.ForeignKey(Purpose, on_delete=models.CASCADE, related_name="member_consents")
    state = models.CharField(max_length=20, choices=ConsentState.choices)
    notice_version = models.PositiveIntegerField()
    event_index = models.BigIntegerField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "purpose"], name="member_consent_unique")]

    def __str__(self):
        return f"{self.user_id}:{self.purpose_id}={self.state}"


class SubjectKey(models.Model):
    """The member's own random key (wrapped with FIELD_ENCRYPTION_KEY); destroying it unlinks the ledger."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subject_key")
    wrapped_key = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"subject key of {self.user_id}"


register_sealed_column("consent.SubjectKey", "wrapped_key", aad=WRAP_AAD, binary=True)


class PseudonymMapping(models.Model):
    """Which member a pseudonym stands for; only the DPO reads it, erasure destroys it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pseudonyms")
    domain = models.CharField(max_length=20)
    key_version = models.PositiveIntegerField()
    pseudonym = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "domain", "key_version"], name="pseudonym_mapping_unique")
        ]

    def __str__(self):
        return self.pseudonym


class OptInToken(models.Model):
    """A single-use, expiring confirmation token of a double opt-in; only its hash is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="opt_in_tokens")
    purpose = models.ForeignKey(Purpose, on_delete=models.CASCADE)
    token_hash = models.CharField(max_length=64, unique=True)
    email = EncryptedEmailField()  # the address the confirmation went to, encrypted at rest
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"opt-in {self.purpose_id} for {self.user_id}"


class AuditEntry(models.Model):
    """Who did what with whose personal data, and why; the member sees the entries about them."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_actions"
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_entries"
    )
    action = models.CharField(_("action"), max_length=40)
    reason = models.TextField(_("reason"), blank=True)
    target = models.CharField(_("target"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        permissions = [
            ("reidentify_pseudonym", "Can re-identify a pseudonym"),
            ("view_record_of_processing", "Can view the record of processing"),
            ("verify_ledger", "Can verify the consent ledger"),
        ]

    def __str__(self):
        return f"{self.action} by {self.actor_id} on {self.subject_id}"

    @property
    def action_label(self) -> str:
        # Rendered at display time so the member reads it in their language; an unlabelled code never shows raw.
        return str(AUDIT_ACTIONS.get(self.action, UNLABELLED_ACTION))

    def action_staff_label(self) -> str:
        """The action as the audit log names it for staff (the member's wording when there is no staff one)."""
        return str(AUDIT_ACTION_STAFF_LABELS.get(self.action) or self.action_label)


# Every action code written to the audit log, with how the member's access list names it. Apps above consent
# add their own codes in ``AppConfig.ready`` (a test checks that every code written in app code has a label).
AUDIT_ACTIONS = {
    "view_data": _("viewed your data"),
    "export": _("exported your data"),
    "export_download": _("downloaded your data export"),
    "erase": _("erased your data"),
    "rectify": _("corrected your data"),
    "reidentify": _("looked up who stands behind a pseudonym"),
    "notice_publish": _("published a notice"),
    "verify_ledger": _("verified the consent ledger"),
}
UNLABELLED_ACTION = _("accessed your data")
# The same codes as the staff audit log names them (the member's "your data" would read wrong there).
AUDIT_ACTION_STAFF_LABELS = {
    "view_data": _("Viewed a member's data"),
    "export": _("Exported a member's data"),
    "export_download": _("Downloaded a data export"),
    "erase": _("Erased a member's data"),
    "rectify": _("Corrected a member's data"),
    "reidentify": _("Re-identified a pseudonym"),
    "notice_publish": _("Published a notice"),
    "verify_ledger": _("Verified the consent ledger"),
}
