"""The administrators' notice that a webhook subscription was paused."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from api.webhooks.models import PauseReason
from portal.roles import Role

KIND = "webhooks"
PAUSED = "webhooks.paused"
GONE = "webhooks.gone"


def register() -> None:
    from portal.notifications import register_kind, register_message

    register_kind(
        KIND,
        _("Webhook deliveries that keep failing"),
        processor="portal.account",
        email_default=True,
        roles=(Role.ADMINISTRATOR,),
    )
    register_message(
        PAUSED,
        _("The webhook “%(name)s” was paused after %(count)s failed attempts in a row"),
        body=_("Nothing is sent to %(url)s until an administrator resumes it; queued events wait and are not lost."),
    )
    register_message(
        GONE,
        _("The webhook “%(name)s” was paused: its receiver answered 410 Gone"),
        body=_("Nothing is sent to %(url)s until an administrator resumes it; queued events wait and are not lost."),
    )


def administrators():
    return (
        get_user_model()
        .objects.filter(
            Q(groups__name=Role.ADMINISTRATOR) | Q(is_superuser=True), is_active=True, erased_at__isnull=True
        )
        .distinct()
        .order_by("pk")
    )


def paused(*, subscription) -> int:
    """Tell every administrator (in-app and by mail, in their language); returns how many were told."""
    from api.webhooks.services import admin_url
    from portal.notifications import notification_send

    told = 0
    for admin in administrators():
        sent = notification_send(
            recipient=admin,
            kind=KIND,
            message=GONE if subscription.pause_reason == PauseReason.GONE else PAUSED,
            params={"name": subscription.name, "count": subscription.consecutive_failures, "url": subscription.url},
            url=admin_url(subscription),
        )
        told += sent is not None
    return told
