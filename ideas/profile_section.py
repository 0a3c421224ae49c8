"""The idea boards' part of a member's public profile page (``portal.profiles``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from ideas import selectors
from portal.profiles import ProfileActivity, ProfileCount, register_profile_section


def counts(member) -> list[ProfileCount]:
    return [ProfileCount(code="ideas", label=_("Ideas"), value=selectors.member_idea_count(member=member))]


def activity(member, limit: int) -> list[ProfileActivity]:
    return [
        ProfileActivity(kind=_("Idea"), title=idea.title, url=idea.get_absolute_url(), at=idea.created_at)
        for idea in selectors.member_recent_ideas(member=member, limit=limit)
    ]


def register() -> None:
    register_profile_section("ideas", counts=counts, activity=activity, order=20)
