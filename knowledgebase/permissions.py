"""Who may promote answers, see helpful scores and read the review report."""

from __future__ import annotations

from django.http import Http404

from portal.roles import Role, has_role


def _staff_editor(user) -> bool:
    return bool(
        user
        and user.is_authenticated
        and user.is_active
        and (user.is_superuser or has_role(user, Role.EDITOR) or has_role(user, Role.MODERATOR))
    )


def can_promote_thread(user, thread) -> bool:
    """Moderators of the thread's forum may turn a thread with an accepted answer into an article draft."""
    from community import permissions as community_permissions

    if not user or not user.is_authenticated or not user.is_active:
        return False
    if thread.accepted_post_id is None or not thread.is_public:
        return False
    return community_permissions.can_moderate_thread(user, thread)


def can_see_article_score(user) -> bool:
    """Editors and moderators see the helpful score; readers only vote."""
    return _staff_editor(user)


def can_view_review_report(user) -> bool:
    return _staff_editor(user)


def can_vote_helpful(user, article) -> bool:
    """Anyone who can read a live article may say whether it helped."""
    return bool(article.live)


def access_thread_for_promotion(user, thread_id: int):
    """The thread (with its accepted answer) if ``user`` may promote it, else Http404."""
    from community import permissions as community_permissions

    thread = community_permissions.access_thread(
        user, thread_id, related=("author", "accepted_post", "accepted_post__author")
    )
    if not can_promote_thread(user, thread):
        raise Http404
    return thread
