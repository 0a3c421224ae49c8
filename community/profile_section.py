"""The forums' part of a member's public profile page (``portal.profiles``): figures and recent public posts."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from community import selectors
from portal.profiles import ProfileActivity, ProfileCount, register_profile_section


def counts(member) -> list[ProfileCount]:
    found = selectors.member_public_counts(member=member)
    return [
        ProfileCount(code="threads", label=_("Threads"), value=found["threads"]),
        ProfileCount(code="replies", label=_("Replies"), value=found["replies"]),
        ProfileCount(code="accepted", label=_("Accepted answers"), value=found["accepted"]),
    ]


def activity(member, limit: int) -> list[ProfileActivity]:
    threads = [
        ProfileActivity(
            kind=pgettext("profile activity", "Thread"),
            title=thread.title,
            url=thread.get_absolute_url(),
            at=thread.created_at,
        )
        for thread in selectors.member_public_threads(member=member, limit=limit)
    ]
    replies = [
        ProfileActivity(
            kind=pgettext("profile activity", "Reply"),
            title=post.thread.title,
            url=reverse("community:post", args=[post.pk]),
            at=post.created_at,
        )
        for post in selectors.member_public_replies(member=member, limit=limit)
    ]
    return threads + replies


def register() -> None:
    register_profile_section("community", counts=counts, activity=activity, order=10)
