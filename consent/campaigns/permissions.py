"""Who may write, test and send newsletter campaigns: editors and administrators (granted in apps.py)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from consent.campaigns.models import Campaign


def can_edit_campaigns(user) -> bool:
    return bool(user and user.is_active and user.has_perm("campaigns.change_campaign"))


def can_send_campaigns(user) -> bool:
    return bool(user and user.is_active and user.has_perm("campaigns.send_campaign"))


def access_campaign(user, campaign_id) -> Campaign:
    """The campaign for someone who may work on campaigns, or PermissionDenied / 404."""
    if not can_edit_campaigns(user):
        raise PermissionDenied
    return get_object_or_404(Campaign, pk=campaign_id)
