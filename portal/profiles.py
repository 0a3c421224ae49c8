"""Public profile pages of members who consented to one (purpose ``public_profile``).

The foundation cannot import the apps whose data a profile shows, nor the privacy core that says
whether the page may exist, so both fill slots here at start-up: community and ideas register a
section each (their counts and recent public activity, read through their selectors), consent
installs the ledger-backed check. ``User.public_profile`` mirrors the live consent for the
handle links on list pages (no query per name); the page itself always asks the check.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from itertools import chain

from django.core.exceptions import ValidationError
from django.db.models import Expression, Q
from django.utils.translation import gettext as _

from portal.models import User

BIO_MAX = 300
ACTIVITY_ITEMS = 10
PURPOSE = "public_profile"


@dataclass(frozen=True)
class ProfileCount:
    """One figure on a profile ("Threads: 4")."""

    code: str
    label: str
    value: int


@dataclass(frozen=True)
class ProfileActivity:
    """One public contribution in the profile's recent activity."""

    kind: str  # translated label: "Thread", "Reply", "Idea"
    title: str
    url: str
    at: datetime


@dataclass(frozen=True)
class ProfileSection:
    """What one app adds to every profile: figures and recent public activity of the member."""

    key: str
    counts: Callable[[User], list[ProfileCount]]
    activity: Callable[[User, int], list[ProfileActivity]]
    order: int = 100


@dataclass(frozen=True)
class Profile:
    member: User
    counts: list[ProfileCount]
    activity: list[ProfileActivity]


_sections: dict[str, ProfileSection] = {}
_visibility_check: Callable[[User], bool] | None = None


def register_profile_section(
    key: str,
    *,
    counts: Callable[[User], list[ProfileCount]],
    activity: Callable[[User, int], list[ProfileActivity]],
    order: int = 100,
) -> ProfileSection:
    """Add (or replace, by ``key``) an app's part of every profile page; called from the app's ``ready()``.

    ``counts(member)`` and ``activity(member, limit)`` must read public data only: nothing of private
    threads, held, hidden or removed posts.
    """
    section = ProfileSection(key=key, counts=counts, activity=activity, order=order)
    _sections[key] = section
    return section


def profile_sections() -> list[ProfileSection]:
    return sorted(_sections.values(), key=lambda section: (section.order, section.key))


def set_visibility_check(check: Callable[[User], bool]) -> None:
    """Install the privacy core's live check of the ``public_profile`` consent (``consent.apps``)."""
    global _visibility_check
    _visibility_check = check


def profile_visible(member: User | None) -> bool:
    """May ``member``'s profile page be shown now? Asks the consent ledger's projection, never the mirrored flag."""
    if member is None or not member.pk or member.erased_at is not None or not member.is_active:
        return False
    return _visibility_check is not None and bool(_visibility_check(member))


def profile_for(*, handle: str) -> Profile | None:
    """The profile page of the member with ``handle``; None when there is none to show (no such member, no consent)."""
    member = User.objects.filter(handle=handle, erased_at__isnull=True, is_active=True).first()
    if not profile_visible(member):
        return None
    sections = profile_sections()
    counts = [count for section in sections for count in section.counts(member)]
    activity = sorted(
        chain.from_iterable(section.activity(member, ACTIVITY_ITEMS) for section in sections),
        key=lambda item: item.at,
        reverse=True,
    )[:ACTIVITY_ITEMS]
    return Profile(member=member, counts=counts, activity=activity)


def profile_url(member: User) -> str:
    from django.urls import reverse

    return reverse("member_profile", args=[member.handle])


# --- Writes -----------------------------------------------------------------------------------------


def public_profile_flags_set(*, live: Expression, user_ids=None) -> int:
    """Set ``User.public_profile`` to ``live`` (the consent as a query expression on the user row); returns rows changed.

    Called by the privacy core inside the transaction that changes the consent, so the flag never
    disagrees with the ledger after a commit. Only rows whose flag changes are written.
    """
    rows = User.objects.all() if user_ids is None else User.objects.filter(pk__in=list(user_ids))
    changed = rows.filter(Q(public_profile=True) & ~Q(live)).update(public_profile=False)
    changed += rows.filter(Q(public_profile=False) & Q(live), erased_at__isnull=True).update(public_profile=True)
    return changed


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_BLANK_LINES = re.compile(r"\n{3,}")


def bio_clean(text: str) -> str:
    """Plain text as the member meant it: no control or direction-override characters, at most one blank line."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def user_bio_set(*, user: User, bio: str) -> User:
    """The member's short bio for the public profile page (plain text, at most ``BIO_MAX`` characters)."""
    text = bio_clean(bio)
    if len(text) > BIO_MAX:
        raise ValidationError(
            _("Use at most %(max)s characters (you used %(count)s).") % {"max": BIO_MAX, "count": len(text)},
            code="length",
        )
    if text != user.bio:
        user.bio = text
        user.save(update_fields=["bio"])
    return user
