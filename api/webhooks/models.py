"""Webhook subscriptions, their deliveries (an outbox like the CRM's) and the log of every attempt."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consent.pseudonyms import recipient_domain
from crm.models import OutboxRow, OutboxState
from portal import field_crypto
from portal.key_rotation import register_sealed_column

SECRET_AAD = b"webhooks.WebhookSubscription.secret.v1"


def new_recipient_key() -> str:
    """A fresh recipient key: each subscription has pseudonyms no other recipient shares."""
    return f"webhook:{secrets.token_hex(10)}"


class DeliveryState:
    """The CRM outbox's states (the same values, so its leases work on these rows), plus "withheld"."""

    PENDING = OutboxState.PENDING
    SENDING = OutboxState.SENDING
    SENT = OutboxState.SENT
    FAILED = OutboxState.FAILED
    DEAD = OutboxState.DEAD
    WITHHELD = "withheld"  # never sent, on purpose: not public, or the member's data may not be processed
    choices = [*OutboxState.choices, (WITHHELD, _("Withheld"))]


class PauseReason(models.TextChoices):
    FAILURES = "failures", _("Too many failed attempts in a row")
    GONE = "gone", _("The receiver answered 410 Gone")
    MANUAL = "manual", _("Paused by an administrator")


class WebhookSubscription(models.Model):
    """One receiving URL and the events it wants; signed with its own secret, sees its own pseudonyms."""

    name = models.CharField(_("name"), max_length=120)
    url = models.URLField(_("URL"), max_length=500, help_text=_("Where the portal POSTs each event."))
    events = models.JSONField(_("events"), default=list, help_text=_("The event types this URL receives."))
    secret = models.TextField(editable=False, blank=True, default="")
    is_active = models.BooleanField(_("active"), default=True)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True, editable=False)
    pause_reason = models.CharField(
        _("why paused"), max_length=20, choices=PauseReason.choices, blank=True, editable=False
    )
    consecutive_failures = models.PositiveIntegerField(_("failed attempts in a row"), default=0, editable=False)
    recipient_key = models.CharField(
        _("pseudonym recipient key"), max_length=64, default=new_recipient_key, unique=True, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self):
        return self.name

    @property
    def pseudonym_domain(self) -> str:
        return recipient_domain(self.recipient_key)

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None

    def signing_secret(self) -> str:
        """The ``whsec_`` secret, decrypted (the sender and the administrator who reveals it)."""
        return field_crypto.decrypt_text(self.secret, aad=SECRET_AAD).decode() if self.secret else ""

    def wants(self, event_type: str) -> bool:
        return event_type in (self.events or [])


register_sealed_column("webhooks.WebhookSubscription", "secret", aad=SECRET_AAD)


class WebhookDelivery(OutboxRow):
    """One event for one subscription: written with the event, sent by the worker, retried until it lands.

    ``msg_id`` is the Standard Webhooks ``webhook-id``: the same on every retry, so a receiver that
    deduplicates on it sees one logical delivery. ``refs`` holds ids only; the payload is built when
    sending (privacy rules are checked then) and kept as sent.
    """

    subscription = models.ForeignKey(
        WebhookSubscription, verbose_name=_("subscription"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event_type = models.CharField(_("event"), max_length=40)
    msg_id = models.CharField(_("message ID"), max_length=64, unique=True)
    refs = models.JSONField(default=dict)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(_("state"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    response_status = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="webhook_delivery_due_idx"),
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_log_idx"),
        ]

    def __str__(self):
        return f"{self.event_type} {self.msg_id}"


class WebhookAttempt(models.Model):
    """One HTTP attempt of a delivery: the delivery log's row, with the receiver's response code."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField(_("attempt"))
    response_status = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    attempted_at = models.DateTimeField(_("attempted at"), default=timezone.now)

    class Meta:
        ordering = ["delivery", "number", "pk"]
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")

    def __str__(self):
        return f"{self.delivery_id} #{self.number}"
