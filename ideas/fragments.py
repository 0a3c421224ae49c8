"""Idea rows of a board as cached HTML fragments (see ``portal.fragments`` for the rules).

``_idea_row_key`` lists every value the row template reads; a template change that reads a new
value must add it here. Tests compare cached and fresh renders per viewer and after changes.
"""

from __future__ import annotations

from ideas.models import CLOSED_STATUSES
from portal.fragments import render_fragments
from portal.templatetags.members import member_key

IDEA_ROW_TEMPLATE = "ideas/includes/idea_row.html"


def _idea_row_key(idea) -> tuple:
    author = idea.author
    return (
        idea.pk,
        idea.title,
        idea.status,
        idea.vote_count,
        idea.comment_count,
        idea.created_at,
        idea.has_voted,
        idea.voting_closed,
        idea.category.localized_name if idea.category_id else None,
        author.public_name if author is not None else None,
        member_key(author),
    )


def attach_idea_row_fragments(*, request, ideas: list, vote_prefix: str, member_can_vote: bool) -> None:
    """Set ``idea.fragment`` (its row on the board as ``request.user`` sees it) on each of ``ideas``.

    The form's ``next`` field (the board with the visitor's filters) is filled in per request, so
    query strings never multiply the cache entries.
    """
    for idea in ideas:
        idea.has_voted = bool(getattr(idea, "has_voted", False))
        idea.voting_closed = idea.status in CLOSED_STATUSES
    fragments = render_fragments(
        IDEA_ROW_TEMPLATE,
        ideas,
        row_name="idea",
        row_key=_idea_row_key,
        shared={
            "viewer_authenticated": bool(request.user.is_authenticated),
            "member_can_vote": bool(member_can_vote),
            "vote_prefix": vote_prefix,
        },
        request=request,
        per_request={"next_url": request.get_full_path},
    )
    for idea, fragment in zip(ideas, fragments, strict=True):
        idea.fragment = fragment
