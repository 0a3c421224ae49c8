"""Models of access requests, exports, erasure reports and retention."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consent.keys import WRAP_AAD
from portal.encrypted_fields import EncryptedEmailField
from portal.key_rotation import register_sealed_column


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("being prepared")
    READY = "ready", _("ready")
    FAILED = "failed", _("failed")
    EXPIRED = "expired", _("expired")


class DataExport(models.Model):
    """One MyData ZIP of a member, kept outside MEDIA and offered for a week."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING)
    file_name = models.CharField(max_length=200, blank=True)
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    rows = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    downloads = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")

    def __str__(self):
        return f"export {self.pk}"

    def is_available(self, now=None) -> bool:
        now = now or timezone.now()
        return self.status == ExportStatus.READY and bool(self.expires_at) and self.expires_at > now


class RequestKind(models.TextChoices):
    ACCESS = "access", _("Access to my data (Art. 15)")
    PORTABILITY = "portability", _("Data portability (Art. 20)")
    ERASURE = "erasure", _("Erasure (Art. 17)")
    RECTIFICATION = "rectification", _("Rectification (Art. 16)")
    RESTRICTION = "restriction", _("Restriction of processing (Art. 18)")
    OBJECTION = "objection", _("Objection to direct marketing (Art. 21)")


class RequestState(models.TextChoices):
    RECEIVED = "received", _("received")
    IDENTITY_UNVERIFIED = "identity_unverified", _("identity not verified yet")
    VERIFIED = "verified", _("identity verified")
    IN_PROGRESS = "in_progress", _("in progress")
    COMPLETED = "completed", _("completed")
    REJECTED = "rejected", _("rejected")
    WITHDRAWN = "withdrawn", _("withdrawn")


class RequestChannel(models.TextChoices):
    WEB = "web", _("privacy centre")
    EMAIL = "email", _("e-mail")
    LETTER = "letter", _("letter")


class RequestOrigin(models.TextChoices):
    REQUEST = "request", _("privacy request")
    SELF_SERVICE = "self_service", _("self-service account deletion")


class AccessRequest(models.Model):
    """A data-subject request the controller must answer within the legal deadline."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # A request of someone who is not a member (e.g. an author of a mail to the intake) has no member
    # but the address it is about; apps that hold data by address answer it (consent.dsar.address_sources).
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="access_requests"
    )
    requester_email = EncryptedEmailField(_("requester's e-mail address (not a member)"), max_length=254, blank=True)
    requester_language = models.CharField(
        _("language of the answers"), max_length=10, choices=settings.LANGUAGES, blank=True
    )
    kind = models.CharField(_("kind"), max_length=20, choices=RequestKind.choices)
    state = models.CharField(_("state"), max_length=20, choices=RequestState.choices, default=RequestState.RECEIVED)
    channel = models.CharField(_("received by"), max_length=10, choices=RequestChannel.choices)
    # A member who deletes their own account in the account settings: erased at ``erase_after`` unless they
    # sign in before (the grace period, ACCOUNT_DELETION_GRACE_DAYS).
    origin = models.CharField(
        _("origin"), max_length=20, choices=RequestOrigin.choices, default=RequestOrigin.REQUEST, db_index=True
    )
    erase_after = models.DateTimeField(_("erased after"), null=True, blank=True)
    details = models.TextField(_("details"), blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    due_on = models.DateField(_("due"))
    extended_due_on = models.DateField(_("extended due date"), null=True, blank=True)
    extension_reason = models.TextField(_("reason for the extension"), blank=True)
    extension_notice_at = models.DateTimeField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    export = models.ForeignKey(DataExport, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    result = models.TextField(_("result"), blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "received_at"]
        verbose_name = _("access request")
        verbose_name_plural = _("access requests")
        permissions = [("manage_accessrequest", "Can work access requests (DPO console)")]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.pk})"

    @property
    def deadline(self):
        return self.extended_due_on or self.due_on

    @property
    def is_open(self) -> bool:
        return self.state not in (RequestState.COMPLETED, RequestState.REJECTED, RequestState.WITHDRAWN)

    @property
    def is_about_address(self) -> bool:
        """A request of someone who is not a member, answered from what the apps hold about their address."""
        return self.member_id is None

    @property
    def deletion_status(self) -> str:
        """A self-service deletion as the console names it: pending, cancelled, done or stopped ("" otherwise)."""
        if self.origin != RequestOrigin.SELF_SERVICE:
            return ""
        return {
            RequestState.COMPLETED: "done",
            RequestState.WITHDRAWN: "cancelled",
            RequestState.REJECTED: "stopped",
        }.get(self.state, "pending")

    def days_left(self, today=None) -> int:
        today = today or timezone.localdate()
        return (self.deadline - today).days


class RequestEvent(models.Model):
    """The history of a request: every transition, note, notice and action, by whom and when."""

    request = models.ForeignKey(AccessRequest, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=30)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.action} on {self.request_id}"

    def action_label(self) -> str:
        """What happened, in the reader's language; a code without a label never shows raw."""
        return str(EVENT_LABELS.get(self.action, _("other step")))

    def from_state_label(self) -> str:
        return _state_label(self.from_state)

    def to_state_label(self) -> str:
        return _state_label(self.to_state)


def _state_label(value: str) -> str:
    return str(RequestState(value).label) if value in RequestState.values else ""


# Every action code written to a request's history, as the DPO console shows it.
EVENT_LABELS = {
    "received": _("Request received"),
    "transition": _("State changed"),
    "assigned": _("Assigned"),
    "code_sent": _("Verification code sent"),
    "code_locked": _("Verification code locked after too many attempts"),
    "export": _("Data export prepared"),
    "erased": _("Data erased"),
    "rectified": _("Data corrected"),
    "restricted": _("Processing restricted"),
    "extended": _("Deadline extended"),
    "member_notified": _("Member notified"),
    "note": _("Note"),
    "deletion_scheduled": _("Account deletion scheduled by the member"),
    "deletion_cancelled": _("Account deletion cancelled: the member signed in"),
}


class VerificationCode(models.Model):
    """A single-use code mailed to the account address to prove a request by letter or e-mail is the member's."""

    request = models.ForeignKey(AccessRequest, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"code for {self.request_id}"


class ErasureReport(models.Model):
    """What an erasure removed and what it kept under legal hold, with the reason (Art. 17, 19)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    member = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="erasure_report"
    )
    # The erasure for an address (no member): the request it answered.
    request = models.OneToOneField(
        AccessRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="address_erasure_report"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    removed = models.JSONField(default=list)
    kept = models.JSONField(default=list)

    def __str__(self):
        return f"erasure report {self.pk}"


class RestrictionKind(models.TextChoices):
    RESTRICTION = "restriction", _("restriction of processing (Art. 18)")
    OBJECTION = "objection", _("objection to direct marketing (Art. 21)")


class ProcessingRestriction(models.Model):
    """A lasting stop of processing: ``has_consent`` answers False while it stands, until the DPO lifts it."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="restrictions")
    kind = models.CharField(_("kind"), max_length=20, choices=RestrictionKind.choices)
    since = models.DateTimeField(_("since"), default=timezone.now)
    request = models.ForeignKey(
        AccessRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="restrictions"
    )
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lift_reason = models.TextField(_("reason for lifting"), blank=True)

    class Meta:
        ordering = ["-since", "-id"]
        indexes = [models.Index(fields=["member", "lifted_at"], name="restriction_member_live_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "kind"],
                condition=models.Q(lifted_at__isnull=True),
                name="restriction_one_live_per_kind",
            )
        ]
        verbose_name = _("processing restriction")
        verbose_name_plural = _("processing restrictions")

    def __str__(self):
        return f"{self.kind} of {self.member_id}"

    @property
    def is_live(self) -> bool:
        return self.lifted_at is None


class EvidenceKey(models.Model):
    """The key of one UTC day under which the ledger's IP and user-agent evidence is hashed.

    Stored only wrapped with FIELD_ENCRYPTION_KEY, like a member's subject key. The retention run
    destroys the keys of days older than the policy says, after which the evidence hashes of those
    days can no longer be tested against an address: the ledger entries themselves stay untouched.
    """

    day = models.DateField(unique=True)
    wrapped_key = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["day"]

    def __str__(self):
        return f"evidence key {self.day.isoformat()}"


register_sealed_column("dsar.EvidenceKey", "wrapped_key", aad=WRAP_AAD, binary=True)


class RetentionPolicy(models.Model):
    """How long one category of data is kept; the DPO changes the period here without a deploy."""

    code = models.CharField(_("category"), max_length=60, unique=True)
    days = models.PositiveIntegerField(_("kept for (days)"))
    enabled = models.BooleanField(_("enforced"), default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        ordering = ["code"]
        verbose_name = _("retention policy")
        verbose_name_plural = _("retention policies")

    def __str__(self):
        return f"{self.code}: {self.days} days"


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", _("daily schedule")
    MANUAL = "manual", _("started by hand")


class RetentionRun(models.Model):
    """One enforcement of every enabled policy: what went per category, and when (the DPO's history)."""

    started_at = models.DateTimeField(_("started"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    trigger = models.CharField(_("trigger"), max_length=10, choices=RunTrigger.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # {code: {"deleted": n, "warned": n, "days": n}} or {code: {"error": "..."}} for a failed category
    results = models.JSONField(default=dict)
    failed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return f"retention run {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def deleted_total(self) -> int:
        return sum(entry.get("deleted", 0) for entry in self.results.values())


class InactivityWarning(models.Model):
    """The mail that told a long-inactive member their account will be erased unless they sign in."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inactivity_warning")
    warned_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField()
    mailed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"inactivity warning of {self.user_id}"
