"""Every write of newsletter campaigns: saving, the test copy, scheduling, sending in bounded batches, the counts."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from consent.campaigns import permissions
from consent.campaigns.models import Campaign, CampaignStatus
from consent.campaigns.rendering import render_mail
from consent.newsletter import unsubscribe_headers, unsubscribe_url
from consent.processors import may_process
from consent.selectors import consents_live
from portal.events import enqueue_on_commit
from portal.mail import mail_queue
from portal.models import User

logger = logging.getLogger(__name__)

PROCESSOR = "consent.newsletter"  # asks for the live newsletter consent, per recipient, at every step
TEST_PROCESSOR = "campaigns.test_mail"
TAG_PREFIX = "campaign:"
BATCH_INTERVAL = timedelta(minutes=1)
LINK_SLOT = "UNSUBSCRIBELINKSLOT"


def _tag(campaign: Campaign) -> str:
    return f"{TAG_PREFIX}{campaign.pk}"


def _require_complete(campaign: Campaign) -> None:
    """Both languages need a subject and a text: each subscriber gets the issue in their own language."""
    missing = {}
    for field, label in (
        ("subject_en", _("Enter the English subject.")),
        ("subject_de", _("Enter the German subject.")),
    ):
        if not getattr(campaign, field).strip():
            missing[field] = label
    for field, label in (("body_en", _("Write the English text.")), ("body_de", _("Write the German text."))):
        if not strip_tags(getattr(campaign, field) or "").strip():
            missing[field] = label
    if missing:
        raise ValidationError(missing)


def campaign_save(*, campaign: Campaign, actor) -> Campaign:
    """Create or change a draft; a scheduled or sent campaign is no longer edited."""
    if not permissions.can_edit_campaigns(actor):
        raise PermissionDenied
    if campaign.pk:
        stored = Campaign.objects.filter(pk=campaign.pk).values_list("status", flat=True).first()
        if stored != CampaignStatus.DRAFT:
            raise ValidationError(_("Only a draft can be changed. Unschedule the campaign first."), code="not_draft")
    else:
        campaign.created_by = actor
        campaign.status = CampaignStatus.DRAFT
    campaign.full_clean(exclude=["created_by", "sent_by"])
    campaign.save()
    return campaign


def campaign_test_send(*, campaign: Campaign, actor) -> int:
    """Mail the campaign to the staff member themselves, once in each language, exactly as subscribers get it."""
    if not permissions.can_edit_campaigns(actor):
        raise PermissionDenied
    _require_complete(campaign)
    url = unsubscribe_url(actor, "newsletter")
    for language in ("en", "de"):
        subject, text, html = render_mail(campaign, language, unsubscribe_url=url)
        mail_queue(
            user=actor,
            processor=TEST_PROCESSOR,
            subject=_("[Test] %(subject)s") % {"subject": subject},
            body=text,
            html_body=html,
            headers=unsubscribe_headers(url),
        )
    return 2


def campaign_schedule(*, campaign: Campaign, actor, send_at: datetime | None = None) -> Campaign:
    """Send now (``send_at`` None) or at ``send_at``: from then on, a batch a minute to the confirmed subscribers."""
    if not permissions.can_send_campaigns(actor):
        raise PermissionDenied
    now = timezone.now()
    if send_at is not None and send_at <= now:
        raise ValidationError({"send_at": _("Choose a time in the future, or send now.")})
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status != CampaignStatus.DRAFT:
            raise ValidationError(_("This campaign was already scheduled or sent."), code="not_draft")
        _require_complete(campaign)
        campaign.status = CampaignStatus.SCHEDULED
        campaign.scheduled_at = send_at or now
        campaign.sent_by = actor
        campaign.save(update_fields=["status", "scheduled_at", "sent_by", "updated_at"])
        if send_at is None:
            from consent.campaigns.tasks import campaigns_tick

            enqueue_on_commit(campaigns_tick)
    return campaign


def campaign_unschedule(*, campaign: Campaign, actor) -> Campaign:
    """A scheduled campaign that has not started goes back to draft."""
    if not permissions.can_send_campaigns(actor):
        raise PermissionDenied
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status != CampaignStatus.SCHEDULED:
            raise ValidationError(_("Only a scheduled campaign that has not started can be unscheduled."))
        campaign.status = CampaignStatus.DRAFT
        campaign.scheduled_at = None
        campaign.save(update_fields=["status", "scheduled_at", "updated_at"])
    return campaign


def subscribers():
    """Members whose newsletter consent is confirmed and live now, in id order (the sending cursor's order)."""
    return User.objects.filter(
        pk__in=consents_live("newsletter").values("user_id"), is_active=True, erased_at__isnull=True
    ).order_by("pk")


def campaigns_send_due(*, now: datetime | None = None) -> int:
    """One batch of the campaign under way (or the next one due); returns how many mails were queued.

    Campaigns go out one after another and a campaign takes a batch at most once a minute, so no
    more than ``NEWSLETTER_MAILS_PER_MINUTE`` newsletter mails enter the queue in any minute.
    """
    now = now or timezone.now()
    with transaction.atomic():
        campaign = (
            Campaign.objects.select_for_update()
            .filter(status=CampaignStatus.SENDING)
            .order_by("started_at", "pk")
            .first()
        )
        if campaign is None:
            campaign = (
                Campaign.objects.select_for_update()
                .filter(status=CampaignStatus.SCHEDULED, scheduled_at__lte=now)
                .order_by("scheduled_at", "pk")
                .first()
            )
            if campaign is None:
                return 0
            campaign.status = CampaignStatus.SENDING
            campaign.started_at = now
        if campaign.last_batch_at and campaign.last_batch_at > now - BATCH_INTERVAL:
            return 0
        return _batch(campaign, now=now)


def _batch(campaign: Campaign, *, now: datetime) -> int:
    limit = settings.NEWSLETTER_MAILS_PER_MINUTE
    batch = list(subscribers().filter(pk__gt=campaign.cursor)[:limit])
    queued = skipped = 0
    tag = _tag(campaign)
    # Rendered once per language; each member's own unsubscribe link goes in where the placeholder stands.
    rendered = {language: render_mail(campaign, language, unsubscribe_url=LINK_SLOT) for language in ("en", "de")}
    for member in batch:
        # Asked again here (restriction, objection, erasure under way), and once more when the mail leaves.
        if not may_process(member, PROCESSOR):
            skipped += 1
            continue
        subject, text, html = rendered["de" if member.preferred_language == "de" else "en"]
        url = unsubscribe_url(member, "newsletter")
        mail_queue(
            user=member,
            processor=PROCESSOR,
            subject=subject,
            body=text.replace(LINK_SLOT, url),
            html_body=html.replace(LINK_SLOT, url),
            headers=unsubscribe_headers(url),
            tag=tag,
        )
        queued += 1
    if batch:
        campaign.cursor = batch[-1].pk
    campaign.queued_count += queued
    campaign.skipped_count += skipped
    campaign.last_batch_at = now
    if len(batch) < limit:
        campaign.status = CampaignStatus.SENT
        campaign.finished_at = now
    campaign.save()
    return queued


def campaign_mail_outcome(*, tag: str, outcome: str, **kwargs) -> None:
    """Count one campaign mail that left the queue (receiver of ``portal.mail.mail_left``)."""
    if not tag.startswith(TAG_PREFIX):
        return
    field = {"sent": "sent_count", "refused": "refused_count", "failed": "failed_count"}.get(outcome)
    campaign_id = tag[len(TAG_PREFIX) :]
    if field is None or not campaign_id.isdigit():
        return
    Campaign.objects.filter(pk=int(campaign_id)).update(**{field: F(field) + 1})
