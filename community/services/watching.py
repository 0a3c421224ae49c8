"""A member's own follow-ups: watch levels on threads, forums and tags, bookmarks and read positions."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from community import permissions
from community.models import Bookmark, Forum, Post, Tag, Thread, ThreadRead, Watch, WatchLevel
from portal.models import User

_UNKNOWN = object()


def _check_member(user: User) -> None:
    if not user or not user.is_authenticated or not user.is_active or user.erased_at:
        raise PermissionDenied


def _can_see_thread(user: User, thread: Thread) -> bool:
    """The forum's access rule and the private, hidden and held rules (the caller's annotations are not trusted)."""
    return permissions.can_view_thread_for_notice(user, thread) and permissions.can_view_thread(user, thread)


def _clean_level(level: str | None) -> str:
    level = level or ""
    if level and level not in WatchLevel.values:
        raise ValidationError({"level": _("Choose one of the offered notification levels.")})
    return level


@transaction.atomic
def watch_set(
    *,
    user: User,
    level: str | None,
    thread: Thread | None = None,
    forum: Forum | None = None,
    tag: Tag | None = None,
) -> Watch | None:
    """Set the member's level for one thread, forum or tag; an empty level goes back to the default (no row).

    Watching notifies of every reply (and, on a forum or tag, of every new thread); tracking only
    counts unread posts in the lists; muted silences even the replies to the member's own threads.
    """
    _check_member(user)
    if sum(target is not None for target in (thread, forum, tag)) != 1:
        raise ValueError("watch_set needs exactly one of thread, forum or tag")
    level = _clean_level(level)
    if thread is not None:
        allowed = _can_see_thread(user, thread)
        target = {"thread": thread}
    elif forum is not None:
        allowed = permissions.can_view_forum(user, forum)
        target = {"forum": forum}
    else:
        allowed = not tag.is_internal or permissions.can_see_internal_tags(user)
        target = {"tag": tag}
    if not allowed:
        raise PermissionDenied
    if not level:
        Watch.objects.filter(user=user, **target).delete()
        return None
    watch, created = Watch.objects.get_or_create(user=user, **target, defaults={"level": level})
    if not created and watch.level != level:
        watch.level = level
        watch.save(update_fields=["level"])
    return watch


@transaction.atomic
def bookmark_toggle(*, user: User, thread: Thread | None = None, post: Post | None = None) -> bool:
    """Keep or drop a bookmark on a thread or a post the member can see; returns whether it is kept now."""
    _check_member(user)
    if (thread is None) == (post is None):
        raise ValueError("bookmark_toggle needs exactly one of thread or post")
    target = {"thread": thread} if thread is not None else {"post": post}
    if not _can_see_thread(user, thread or post.thread) or (
        post is not None and not permissions.can_view_post(user, post)
    ):
        raise PermissionDenied
    deleted, _rows = Bookmark.objects.filter(user=user, **target).delete()
    if deleted:
        return False
    Bookmark.objects.create(user=user, **target)
    return True


@transaction.atomic
def bookmark_remove(*, user: User, bookmark_id: int) -> bool:
    """Remove one of the member's bookmarks (from the bookmarks page); False when it is not theirs or gone."""
    _check_member(user)
    deleted, _rows = Bookmark.objects.filter(user=user, pk=bookmark_id).delete()
    return bool(deleted)


def thread_read_mark(*, user: User, thread: Thread, post_id: int, read_up_to=_UNKNOWN) -> bool:
    """Move the member's read position in ``thread`` forward to ``post_id`` (never back); True when it moved.

    ``read_up_to`` is the position the caller already loaded with the thread (None: no position yet),
    so a page view that shows nothing new writes nothing and one that does costs one statement.
    """
    if not user or not user.is_authenticated or not post_id:
        return False
    if read_up_to is not _UNKNOWN and read_up_to is not None and post_id <= read_up_to:
        return False
    now = timezone.now()
    if read_up_to is None:
        # One INSERT ... ON CONFLICT: a second tab that got there first is overwritten with what this one showed.
        ThreadRead.objects.bulk_create(
            [ThreadRead(user=user, thread=thread, last_read_post_id=post_id, read_at=now)],
            update_conflicts=True,
            unique_fields=["user", "thread"],
            update_fields=["last_read_post_id", "read_at"],
        )
        return True
    moved = ThreadRead.objects.filter(user=user, thread=thread, last_read_post_id__lt=post_id).update(
        last_read_post_id=post_id, read_at=now
    )
    if moved or read_up_to is not _UNKNOWN:
        return bool(moved)
    _read, created = ThreadRead.objects.get_or_create(
        user=user, thread=thread, defaults={"last_read_post_id": post_id, "read_at": now}
    )
    return created
