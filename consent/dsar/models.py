"""Models of access requests, exports, erasure reports and retention."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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


class AccessRequest(models.Model):
    """A data-subject request the controller must answer within the legal deadline."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_requests")
    kind = models.CharField(_("kind"), max_length=20, choices=RequestKind.choices)
    state = models.CharField(_("state"), max_length=20, choices=RequestState.choices, default=RequestState.RECEIVED)
    channel = models.CharField(_("received by"), max_length=10, choices=RequestChannel.choices)
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
    member = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="erasure_report")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    removed = models.JSONField(default=list)
    kept = models.JSONField(default=list)

    def __str__(self):
        return f"erasure report {self.pk}"
