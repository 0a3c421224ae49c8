"""Who may do what with ideas; services and views both ask here."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from ideas.models import Idea


def _member(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and not user.erased_at)


def can_post_idea(user, board) -> bool:
    return _member(user) and not user.is_suspended() and board.is_active


def can_vote_idea(user, idea: Idea) -> bool:
    return _member(user) and not user.is_suspended() and not idea.is_closed and idea.merged_into_id is None


def can_follow_idea(user, idea: Idea) -> bool:
    return _member(user)


def can_comment_idea(user, idea: Idea) -> bool:
    return _member(user) and not user.is_suspended() and idea.merged_into_id is None


def can_hide_comment(user, comment) -> bool:
    """Moderators (the role holds ``ideas.hide_comment``); a permission check reuses the request's permission cache."""
    return _member(user) and user.has_perm("ideas.hide_comment")


def can_review_ideas(user) -> bool:
    return _member(user) and user.has_perm("ideas.review_idea")


def can_change_idea_status(user, idea: Idea) -> bool:
    return _member(user) and user.has_perm("ideas.change_idea_status")


def can_merge_idea(user, duplicate: Idea, original: Idea) -> bool:
    return (
        _member(user)
        and user.has_perm("ideas.merge_idea")
        and duplicate.pk != original.pk
        and duplicate.merged_into_id is None
        and original.merged_into_id is None
    )


def can_view_internal_notes(user, idea: Idea) -> bool:
    return _member(user) and user.has_perm("ideas.view_internalnote")


def can_add_internal_note(user, idea: Idea) -> bool:
    return _member(user) and user.has_perm("ideas.add_internalnote")


def can_export_board(user, board) -> bool:
    return _member(user) and user.has_perm("ideas.export_idea")


def can_view_demand(user, idea: Idea) -> bool:
    return _member(user) and user.has_perm("ideas.view_idea_demand")


def access_idea(user, idea_id, *, for_update: bool = False) -> Idea:
    """The idea by id, or 404; ``for_update`` locks the row (call inside a transaction)."""
    qs = Idea.objects.select_for_update() if for_update else Idea.objects.select_related("board")
    try:
        return qs.get(pk=int(idea_id))
    except (Idea.DoesNotExist, TypeError, ValueError, OverflowError):
        raise Http404("No such idea")


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied
