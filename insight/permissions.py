"""Who may see the insight dashboards: moderators, product managers and administrators."""

from __future__ import annotations

VIEW_INSIGHT = "insight.view_insight"


def can_view_insight(user) -> bool:
    return bool(
        user and user.is_authenticated and user.is_active and (user.is_superuser or user.has_perm(VIEW_INSIGHT))
    )
