"""Reads of the campaign pages: the counts of a campaign's sending and how many would receive it now."""

from __future__ import annotations

from django.db.models import Count, Q

from consent.campaigns.models import Campaign
from consent.models import ConsentEvent, EventKind


def subscriber_counts() -> dict[str, int]:
    """Confirmed subscribers now, by the language their issue would be in (one query)."""
    from consent.campaigns.services import subscribers

    counts = subscribers().aggregate(de=Count("pk", filter=Q(preferred_language="de")), total=Count("pk"))
    return {"de": counts["de"], "en": counts["total"] - counts["de"], "total": counts["total"]}


def campaign_log(campaign: Campaign) -> dict[str, int | None]:
    """Counts only: what was queued, sent, failed, stopped, and how many withdrew since sending began.

    "Withdrawn since" counts every withdrawal of the newsletter consent after the start (by link or in
    the privacy centre): mails carry no tracking, so nothing says which issue made someone leave.
    """
    withdrawn = None
    if campaign.started_at:
        withdrawn = ConsentEvent.objects.filter(
            purpose_code="newsletter", kind=EventKind.WITHDRAW, created_at__gte=campaign.started_at
        ).count()
    return {
        "queued": campaign.queued_count,
        "sent": campaign.sent_count,
        "failed": campaign.failed_count,
        "refused": campaign.refused_count,
        "skipped": campaign.skipped_count,
        "withdrawn": withdrawn,
    }
