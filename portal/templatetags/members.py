"""How a person is named on every page: staff by their display name with the "Team" badge, members by handle.

One filter for forum posts, chat, the blog, the knowledge base and idea responses, so the team is
named the same way everywhere and nobody else can look like the team.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def member_name(user) -> str:
    """``Mona <Team>`` for a staff member with a display name, ``@handle`` for everyone else, "deleted member" when gone."""
    if user is None or getattr(user, "erased_at", None):
        return format_html('<span class="handle muted">{}</span>', _("deleted member"))
    if user.is_team:
        return format_html(
            '<span class="member-name member-name--team">{}</span> <span class="tag tag--team">{}</span>',
            user.display_name,
            _("Team"),
        )
    return format_html('<span class="handle">@{}</span>', user.handle)
