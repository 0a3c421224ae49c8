"""Who manages webhooks: administrators only (the role's permissions, or a superuser)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from api.webhooks.models import WebhookSubscription


def can_manage_webhooks(user) -> bool:
    return bool(user and user.is_active and user.has_perm("webhooks.change_webhooksubscription"))


def access_subscription(user, subscription_id: int) -> WebhookSubscription:
    if not can_manage_webhooks(user):
        raise PermissionDenied
    return get_object_or_404(WebhookSubscription, pk=subscription_id)
