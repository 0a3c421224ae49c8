"""The weekly e-mail digest of the main insight figures, for managers who subscribed (aggregates only)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from insight import dashboards, permissions
from insight.models import DigestSubscription
from insight.reports import Filters, period_last_days
from portal.mail import mail_queue

EVERY = dt.timedelta(days=7)


def digest_tables() -> list:
    """The tables the digest carries: volume totals, time to first answer, topics (all k-anonymous)."""
    period = period_last_days(7)
    filters = Filters()
    tables = [dashboards.volume(period, filters)["tables"][1], dashboards.service(period, filters)["tables"][0]]
    tables.append(dashboards.topics(period, filters)["tables"][0])
    return tables


def digests_send(*, now=None) -> int:
    """Queue the digest for every subscriber still allowed to see insight whose last one is a week old."""
    now = now or timezone.now()
    due = DigestSubscription.objects.select_related("user").filter(user__is_active=True)
    sent = 0
    for subscription in due:
        if subscription.last_sent_at and subscription.last_sent_at > now - EVERY + dt.timedelta(hours=1):
            continue
        user = subscription.user
        if not permissions.can_view_insight(user):
            continue
        with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
            body = render_to_string(
                "insight/digest_mail.txt",
                {"tables": digest_tables(), "url": f"{settings.PORTAL_BASE_URL}{reverse('insight_admin:volume')}"},
            )
            subject = _("Community insight: the last 7 days")
        mail_queue(user=user, processor="insight.staff_notices", subject=subject, body=body)
        DigestSubscription.objects.filter(pk=subscription.pk).update(last_sent_at=now)
        sent += 1
    return sent
