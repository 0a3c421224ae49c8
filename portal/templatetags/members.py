"""How a person is named on every page: staff by their display name with the "Team" badge, members by handle.

One filter for forum posts, chat, the blog, the knowledge base and idea responses, so the team is
named the same way everywhere and nobody else can look like the team. A member whose
``public_profile`` consent is live (mirrored on ``User.public_profile``) is named by a link to the
profile page; everyone else by plain text. Both read the user row only, so lists stay at their
query budgets; ``member_key`` lists what they read, for cached fragments.
"""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from portal.avatars import avatar_url

register = template.Library()


def member_key(user) -> tuple:
    """Every value of ``user`` that ``member_name`` and ``member_avatar`` read (a fragment's cache key part)."""
    if user is None:
        return (None,)
    return (
        user.pk,
        user.handle,
        user.display_name,
        user.erased_at,
        user.public_profile,
        user.avatar.name if user.avatar else "",
    )


@register.filter
def member_name(user) -> str:
    """``Mona <Team>`` for a staff member with a display name, ``@handle`` for everyone else, "deleted member" when gone."""
    if user is None or getattr(user, "erased_at", None):
        return format_html('<span class="handle muted">{}</span>', _("deleted member"))
    linked = bool(getattr(user, "public_profile", False))
    href = reverse("member_profile", args=[user.handle]) if linked else ""
    if user.is_team:
        if linked:
            return format_html(
                '<a class="member-name member-name--team" href="{}">{}</a> <span class="tag tag--team">{}</span>',
                href,
                user.display_name,
                _("Team"),
            )
        return format_html(
            '<span class="member-name member-name--team">{}</span> <span class="tag tag--team">{}</span>',
            user.display_name,
            _("Team"),
        )
    if linked:
        return format_html('<a class="handle" href="{}">@{}</a>', href, user.handle)
    return format_html('<span class="handle">@{}</span>', user.handle)


@register.filter
def member_avatar(user, size: int = 32) -> str:
    """The member's picture (their upload or the generated one), decorative next to the name it accompanies."""
    size = int(size)
    return format_html(
        '<img class="avatar" src="{}" alt="" width="{}" height="{}" loading="lazy" decoding="async">',
        avatar_url(user),
        size,
        size,
    )
