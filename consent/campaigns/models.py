"""A newsletter campaign: the issue itself (English and German) and the counts of its sending, never recipients."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.fields import RichTextField

# No images or embeds: nothing in a newsletter loads from a server when it is opened (no tracking pixels).
BODY_FEATURES = ["h2", "h3", "bold", "italic", "ol", "ul", "link", "hr"]


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")


class Campaign(models.Model):
    """One newsletter issue in both languages, sent to members whose newsletter consent is confirmed.

    Sending walks the subscribers in id order (``cursor``), a bounded batch a minute; which member got
    which mail is not kept: the counts are all that remains.
    """

    title = models.CharField(_("internal title"), max_length=120, help_text=_("Only staff see this."))
    subject_en = models.CharField(_("subject (English)"), max_length=200)
    body_en = RichTextField(_("text (English)"), features=BODY_FEATURES)
    subject_de = models.CharField(_("subject (German)"), max_length=200)
    body_de = RichTextField(_("text (German)"), features=BODY_FEATURES)
    status = models.CharField(
        _("status"), max_length=20, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT, db_index=True
    )
    scheduled_at = models.DateTimeField(_("send at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("sent by"),
    )
    started_at = models.DateTimeField(_("sending started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("sending finished"), null=True, blank=True)
    last_batch_at = models.DateTimeField(null=True, blank=True, editable=False)
    cursor = models.PositiveBigIntegerField(default=0, editable=False)  # the last member id handed to the queue
    queued_count = models.PositiveIntegerField(_("queued"), default=0, editable=False)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0, editable=False)
    sent_count = models.PositiveIntegerField(_("sent"), default=0, editable=False)
    refused_count = models.PositiveIntegerField(_("stopped before leaving"), default=0, editable=False)
    failed_count = models.PositiveIntegerField(_("failed"), default=0, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("newsletter campaign")
        verbose_name_plural = _("newsletter campaigns")
        permissions = [("send_campaign", _("Can send and schedule newsletter campaigns"))]

    def __str__(self):
        return self.title

    @property
    def editable(self) -> bool:
        return self.status == CampaignStatus.DRAFT

    def subject_for(self, language: str) -> str:
        return self.subject_de if language == "de" else self.subject_en

    def body_for(self, language: str) -> str:
        return self.body_de if language == "de" else self.body_en
