"""Negative-share alerts: moderators hear when a forum's or product's mood turns sharply worse than usual.

Counts are of distinct members (one loud member cannot raise an alert), and a scope with fewer than
``INSIGHT_MIN_GROUP`` members in the week is never alerted on, so an alert never points at one person.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community import selectors as community_selectors
from insight.models import AlertState, ItemAnalysis, Label
from portal.models import User
from portal.notifications import notification_send, register_message
from portal.roles import Role

WEEK = dt.timedelta(days=7)
BASELINE = dt.timedelta(weeks=8)
QUIET = dt.timedelta(days=7)  # one alert per scope and week at most


def register_messages() -> None:
    register_message(
        "insight.negative_rise",
        _("Negative mood rising in %(scope)s"),
        body=_("%(share)s %% of members wrote negatively in the last 7 days, against %(usual)s %% usually."),
    )


def _member_shares(since, until, field: str) -> dict[object, tuple[int, int]]:
    """(members, members with a negative text) per forum or product: each member counts once."""
    rows = (
        ItemAnalysis.objects.filter(created_at__gte=since, created_at__lt=until, by_staff=False, member__isnull=False)
        .exclude(**{field: ""} if field == "product" else {})
        .values(field)
        .annotate(
            members=Count("member_id", distinct=True),
            negative=Count("member_id", distinct=True, filter=Q(label=Label.NEGATIVE)),
        )
        .order_by()
    )
    return {row[field]: (row["members"], row["negative"]) for row in rows}


def negative_share_check(*, now=None) -> int:
    """Compare last week's negative member share per forum and product with the 8 weeks before; notify on a rise."""
    now = now or timezone.now()
    rise = settings.INSIGHT_ALERT_RISE
    k = settings.INSIGHT_MIN_GROUP
    forums = {f.pk: f.name for f in community_selectors.forums_for_filter()}
    alerts = []
    for field, label in (("container_id", "forum"), ("product", "product")):
        recent = _member_shares(now - WEEK, now, field)
        usual = _member_shares(now - WEEK - BASELINE, now - WEEK, field)
        for value, (members, negative) in recent.items():
            if field == "container_id" and value not in forums:
                continue
            if members < k:
                continue
            share = negative / members
            base_members, base_negative = usual.get(value, (0, 0))
            base = base_negative / base_members if base_members >= k else 0.0
            if share >= base + rise and share >= 2 * base:
                name = forums[value] if field == "container_id" else str(value)
                alerts.append((f"{label}:{value}", name, share, base))
    sent = 0
    moderators = list(User.objects.filter(groups__name=Role.MODERATOR, is_active=True).distinct())
    for scope, name, share, base in alerts:
        state = AlertState.objects.filter(scope=scope[:140]).first()
        if state is not None and state.alerted_at > now - QUIET:
            continue
        AlertState.objects.update_or_create(scope=scope[:140], defaults={"alerted_at": now, "share": share})
        for moderator in moderators:
            notification_send(
                recipient=moderator,
                kind="insight.alert",
                message="insight.negative_rise",
                params={"scope": name, "share": round(share * 100), "usual": round(base * 100)},
                url=reverse("insight_admin:mood"),
            )
        sent += 1
    return sent
