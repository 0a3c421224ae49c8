"""Moderators' writes: approve, hide, restore, lock, pin, move, merge, suspend and forum access; each one logged."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from community import permissions
from community.models import (
    Flag,
    Forum,
    ModerationAction,
    Post,
    Thread,
)
from community.models.forum import PostStatus, ThreadState
from community.models.moderation import ModerationActionKind
from community.services.counters import forum_recount, thread_recount
from community.services.effects import _after_publish, _reindex
from community.services.posting import _refresh_tag_labels
from portal.events import enqueue_on_commit
from portal.models import User
from portal.notifications import notification_send
from portal.tasks import reindex


def _log(*, moderator, kind, thread=None, post=None, member=None, reason="", **details) -> ModerationAction:
    return ModerationAction.objects.create(
        moderator=moderator, kind=kind, thread=thread, post=post, member=member, reason=reason[:500], details=details
    )


def _require_moderator(user: User, thread: Thread) -> None:
    if not permissions.can_moderate_thread(user, thread):
        raise PermissionDenied


def _resolve_flags(post_ids, moderator: User, resolution: str) -> int:
    return Flag.objects.filter(post_id__in=list(post_ids), resolved_at__isnull=True).update(
        resolved_at=timezone.now(), resolved_by=moderator, resolution=resolution
    )


def _notify_moderation(*, member, message: str, params: dict, url: str, reason: str = "") -> None:
    """Tell the member, with the action's transaction (``message``: a code of ``community.notices``).

    Written here rather than by a task, so the task queue never carries the thread's title or the reason.
    """
    if member is None:
        return
    notification_send(
        recipient=member,
        kind="community.moderation",
        message=f"community.{message}",
        params={**params, "reason": reason},
        url=url,
    )


@transaction.atomic
def post_approve(*, post: Post, moderator: User) -> Post:
    """Publish a held post (and its thread when it is the question)."""
    thread = post.thread
    _require_moderator(moderator, thread)
    if post.status != PostStatus.HELD:
        raise ValidationError(_("Only a held post can be approved."))
    post.status = PostStatus.PUBLISHED
    post.save(update_fields=["status"])
    if post.is_question and thread.is_held:
        thread.is_held = False
        thread.save(update_fields=["is_held"])
    thread_recount(thread)
    forum_recount(thread.forum)
    _log(moderator=moderator, kind=ModerationActionKind.APPROVE, thread=thread, post=post, member=post.author)
    _after_publish(post)
    return post


@transaction.atomic
def post_hide(*, post: Post, moderator: User, reason: str) -> Post:
    """Hide a post with a reason the author sees; hiding the question hides the thread."""
    thread = post.thread
    _require_moderator(moderator, thread)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason; the author will see it.")})
    if post.status == PostStatus.HIDDEN:
        return post
    post.status = PostStatus.HIDDEN
    post.hidden_reason = reason[:500]
    post.save(update_fields=["status", "hidden_reason"])
    _resolve_flags([post.pk], moderator, "hidden")
    if post.is_question:
        thread.state = ThreadState.HIDDEN
        thread.save(update_fields=["state"])
    thread_recount(thread)
    forum_recount(thread.forum)
    _log(
        moderator=moderator,
        kind=ModerationActionKind.HIDE_POST,
        thread=thread,
        post=post,
        member=post.author,
        reason=reason,
    )
    _notify_moderation(
        member=post.author,
        message="post_hidden",
        params={"title": thread.title},
        url=post.get_absolute_url(),
        reason=reason,
    )
    _reindex(post)
    return post


@transaction.atomic
def post_restore(*, post: Post, moderator: User) -> Post:
    """Undo a hide."""
    thread = post.thread
    _require_moderator(moderator, thread)
    if post.status != PostStatus.HIDDEN:
        raise ValidationError(_("Only a hidden post can be restored."))
    post.status = PostStatus.PUBLISHED
    post.hidden_reason = ""
    post.save(update_fields=["status", "hidden_reason"])
    if post.is_question and thread.state == ThreadState.HIDDEN:
        thread.state = ThreadState.ANSWERED if thread.accepted_post_id else ThreadState.OPEN
        thread.save(update_fields=["state"])
    thread_recount(thread)
    forum_recount(thread.forum)
    _log(moderator=moderator, kind=ModerationActionKind.RESTORE_POST, thread=thread, post=post, member=post.author)
    _reindex(post)
    return post


@transaction.atomic
def flags_dismiss(*, post: Post, moderator: User) -> int:
    """Close a post's open flags without acting on it."""
    _require_moderator(moderator, post.thread)
    count = _resolve_flags([post.pk], moderator, "dismissed")
    _log(
        moderator=moderator,
        kind=ModerationActionKind.DISMISS_FLAG,
        thread=post.thread,
        post=post,
        member=post.author,
        count=count,
    )
    return count


@transaction.atomic
def thread_set_locked(*, thread: Thread, moderator: User, locked: bool, reason: str = "") -> Thread:
    """Close or reopen a thread for replies; logged."""
    _require_moderator(moderator, thread)
    if thread.state == ThreadState.HIDDEN:
        raise ValidationError(_("Restore the thread first."))
    thread.state = (
        ThreadState.LOCKED if locked else (ThreadState.ANSWERED if thread.accepted_post_id else ThreadState.OPEN)
    )
    thread.save(update_fields=["state"])
    _log(
        moderator=moderator,
        kind=ModerationActionKind.LOCK if locked else ModerationActionKind.UNLOCK,
        thread=thread,
        member=thread.author,
        reason=reason,
    )
    return thread


@transaction.atomic
def thread_set_hidden(*, thread: Thread, moderator: User, hidden: bool, reason: str = "") -> Thread:
    """Hide a whole thread with a reason the author is told, or restore it; logged."""
    _require_moderator(moderator, thread)
    reason = (reason or "").strip()
    if hidden and not reason:
        raise ValidationError({"reason": _("Give a reason; the author will see it.")})
    if hidden:
        thread.state = ThreadState.HIDDEN
    elif thread.state == ThreadState.HIDDEN:
        thread.state = ThreadState.ANSWERED if thread.accepted_post_id else ThreadState.OPEN
    thread.save(update_fields=["state"])
    forum_recount(thread.forum)
    _log(
        moderator=moderator,
        kind=ModerationActionKind.HIDE_THREAD if hidden else ModerationActionKind.RESTORE_THREAD,
        thread=thread,
        member=thread.author,
        reason=reason,
    )
    if hidden:
        _notify_moderation(
            member=thread.author,
            message="thread_hidden",
            params={"title": thread.title},
            url=thread.get_absolute_url(),
            reason=reason,
        )
    _reindex(thread)
    return thread


@transaction.atomic
def thread_set_pinned(*, thread: Thread, moderator: User, pinned: bool) -> Thread:
    """Keep a thread at the top of its forum; logged."""
    _require_moderator(moderator, thread)
    thread.is_pinned = pinned
    thread.save(update_fields=["is_pinned"])
    _log(moderator=moderator, kind=ModerationActionKind.PIN if pinned else ModerationActionKind.UNPIN, thread=thread)
    return thread


@transaction.atomic
def thread_move(*, thread: Thread, moderator: User, forum: Forum, reason: str = "") -> Thread:
    """Move a thread to another forum; both forums' counters stay exact."""
    _require_moderator(moderator, thread)
    if not permissions.can_moderate_forum(moderator, forum) and not permissions.is_moderator(moderator):
        raise PermissionDenied
    source = thread.forum
    if source.pk == forum.pk:
        return thread
    thread.forum = forum
    thread.save(update_fields=["forum"])
    forum_recount(source)
    forum_recount(forum)
    _log(
        moderator=moderator,
        kind=ModerationActionKind.MOVE,
        thread=thread,
        member=thread.author,
        reason=reason,
        source=source.slug,
        target=forum.slug,
    )
    _reindex(thread)
    return thread


@transaction.atomic
def thread_merge(*, source: Thread, target: Thread, moderator: User, reason: str = "") -> Thread:
    """Move every post of ``source`` into ``target`` (its question becomes a reply) and hide ``source``."""
    _require_moderator(moderator, source)
    _require_moderator(moderator, target)
    if source.pk == target.pk:
        raise ValidationError(_("A thread cannot be merged into itself."))
    if source.blog_page_id or target.blog_page_id:
        raise ValidationError(_("Blog comment threads cannot be merged."))
    if source.is_private or target.is_private:
        # Merging would show a private question to others (or others' posts to its author).
        raise ValidationError(_("Private threads cannot be merged."))
    moved = list(Post.objects.filter(thread=source).values_list("pk", flat=True))
    Post.objects.filter(thread=source).update(thread=target, is_question=False)
    for tag in source.tags.all():
        target.tags.add(tag)
    _refresh_tag_labels(target)
    source.state = ThreadState.HIDDEN
    source.accepted_post = None
    source.save(update_fields=["state", "accepted_post"])
    thread_recount(source)
    thread_recount(target)
    forum_recount(source.forum)
    if target.forum_id != source.forum_id:
        forum_recount(target.forum)
    _log(
        moderator=moderator,
        kind=ModerationActionKind.MERGE,
        thread=target,
        member=source.author,
        reason=reason,
        source_thread=source.pk,
        moved_posts=len(moved),
    )
    enqueue_on_commit(reindex, refs=[("community.Post", pk) for pk in moved])
    return target


@transaction.atomic
def member_suspend(*, member: User, moderator: User, until: datetime, reason: str) -> User:
    """Stop a member from posting until ``until``; they are told why."""
    if not permissions.is_moderator(moderator):
        raise PermissionDenied
    if member.pk == moderator.pk:
        raise ValidationError(_("You cannot suspend yourself."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason; the member will see it.")})
    if until <= timezone.now():
        raise ValidationError({"until": _("Choose a time in the future.")})
    User.objects.filter(pk=member.pk).update(suspended_until=until)
    member.suspended_until = until
    _log(moderator=moderator, kind=ModerationActionKind.SUSPEND, member=member, reason=reason, until=until.isoformat())
    _notify_moderation(
        member=member,
        message="suspended",
        params={"until": until.isoformat()},
        url="/forums/",
        reason=reason,
    )
    return member


def forum_grant_access(*, forum: Forum, user: User | None = None, group=None, moderate: bool = False) -> None:
    """Give a member or group access to a private forum (or moderation of it) through guardian."""
    from guardian.shortcuts import assign_perm

    codename = f"community.{permissions.MODERATE_FORUM if moderate else permissions.VIEW_FORUM}"
    assign_perm(codename, user or group, forum)


def forum_revoke_access(*, forum: Forum, user: User | None = None, group=None, moderate: bool = False) -> None:
    """Take back access to (or moderation of) a private forum."""
    from guardian.shortcuts import remove_perm

    codename = f"community.{permissions.MODERATE_FORUM if moderate else permissions.VIEW_FORUM}"
    remove_perm(codename, user or group, forum)
