"""Who may see and do what in the forums; every web, WebSocket and admin path asks here.

Visibility is computed in SQL (one query with subqueries over guardian's
object permission tables) so lists and pages keep a fixed query budget.
"""

from __future__ import annotations

import functools

from django.db import connection
from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils import timezone
from guardian.models import GroupObjectPermission, UserObjectPermission

from community.models import Forum, Post, Thread
from community.models.forum import PostStatus, ThreadState
from portal.roles import Role

VIEW_FORUM = "view_forum"
MODERATE_FORUM = "moderate_forum"


def _forum_ids(user, *codenames: str) -> RawSQL:
    """A subquery of the forum ids on which ``user`` holds any of ``codenames`` (directly or through a
    group), or every forum id when ``user`` has the moderator role.

    Written as one SQL statement because the ORM spent ~7 ms per page compiling the equivalent
    guardian joins (the database answers in ~0.1 ms); the statement itself is built once per
    process from the models' table names.
    """
    kind = (Forum._meta.app_label, Forum._meta.model_name)
    params = (*([user.pk, *codenames, *kind] * 2), user.pk, Role.MODERATOR)
    return RawSQL(_forum_ids_sql(len(codenames)), params)  # noqa: S611 (every value is a bound parameter)


@functools.cache
def _forum_ids_sql(codename_count: int) -> str:
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    from portal.models import User

    def table(model) -> str:
        return connection.ops.quote_name(model._meta.db_table)

    marks = ", ".join(["%s"] * codename_count)
    user_groups, content_types, perms = table(User.groups.through), table(ContentType), table(Permission)
    kind = "ct.app_label = %s AND ct.model = %s"
    cast = "CAST(op.object_pk AS BIGINT)"
    # Only table names (from the models) are formatted in; every value is a bound parameter.
    return (
        f"SELECT {cast} FROM {table(UserObjectPermission)} op"  # noqa: S608
        f" INNER JOIN {content_types} ct ON ct.id = op.content_type_id"
        f" INNER JOIN {perms} p ON p.id = op.permission_id"
        f" WHERE op.user_id = %s AND p.codename IN ({marks}) AND {kind}"
        f" UNION SELECT {cast} FROM {table(GroupObjectPermission)} op"
        f" INNER JOIN {content_types} ct ON ct.id = op.content_type_id"
        f" INNER JOIN {perms} p ON p.id = op.permission_id"
        f" INNER JOIN {user_groups} ug ON ug.group_id = op.group_id"
        f" WHERE ug.user_id = %s AND p.codename IN ({marks}) AND {kind}"
        f" UNION SELECT f.id FROM {table(Forum)} f WHERE EXISTS (SELECT 1 FROM {table(Group)} g"
        f" INNER JOIN {user_groups} ug ON ug.group_id = g.id WHERE ug.user_id = %s AND g.name = %s)"
    )


def forum_visibility_q(user, prefix: str = "") -> Q:
    """A Q over ``Forum`` (or through ``prefix`` like ``forum__``) matching what ``user`` may view."""
    public = Q(**{f"{prefix}is_private": False})
    if user is None or not user.is_authenticated:
        return public
    if user.is_superuser:
        return Q()
    pk = f"{prefix}pk" if prefix else "pk"
    return public | Q(**{f"{pk}__in": _forum_ids(user, VIEW_FORUM, MODERATE_FORUM)})


def moderation_annotation(user, forum_ref: str = "pk"):
    """An expression that is true when ``user`` moderates the forum at ``forum_ref``."""
    if user is None or not user.is_authenticated:
        return Value(False)
    if user.is_superuser:
        return Value(True)
    return Case(
        When(**{f"{forum_ref}__in": _forum_ids(user, MODERATE_FORUM)}, then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


def visible_forums(user) -> QuerySet[Forum]:
    return Forum.objects.filter(forum_visibility_q(user))


def private_thread_q(user, prefix: str = "", *, moderates: bool | None = None) -> Q:
    """Threads that are not private, or private ones ``user`` wrote or moderates the forum of.

    ``moderates=False``: the caller has already found that ``user`` moderates none of the forums the
    threads come from (a single forum's list), so the moderation lookup is left out of the SQL.
    """
    shared = Q(**{f"{prefix}is_private": False})
    if user is None or not user.is_authenticated:
        return shared
    if user.is_superuser:
        return Q()
    own = shared | Q(**{f"{prefix}author_id": user.pk})
    if moderates is False:
        return own
    return own | Q(**{f"{prefix}forum_id__in": _forum_ids(user, MODERATE_FORUM)})


def thread_public_q(user, prefix: str = "", *, moderates: bool | None = None) -> Q:
    """Threads a non-moderator sees: not hidden, not held (authors see their own held thread).

    Private threads of others are left out too, unless ``user`` moderates their forum (``moderates``
    as for ``private_thread_q``).
    """
    q = ~Q(**{f"{prefix}state": ThreadState.HIDDEN}) & Q(**{f"{prefix}is_held": False})
    if user is not None and user.is_authenticated:
        q |= Q(**{f"{prefix}is_held": True, f"{prefix}author_id": user.pk}) & ~Q(
            **{f"{prefix}state": ThreadState.HIDDEN}
        )
    return q & private_thread_q(user, prefix, moderates=moderates)


def is_moderator(user) -> bool:
    """Role-level moderator (back office queue, every forum)."""
    from portal.roles import has_role

    return bool(user and user.is_authenticated and (user.is_superuser or has_role(user, Role.MODERATOR)))


def can_moderate_forum(user, forum: Forum) -> bool:
    annotated = getattr(forum, "viewer_can_moderate", None)
    if annotated is not None:
        return bool(annotated)
    if not user or not user.is_authenticated:
        return False
    return is_moderator(user) or user.has_perm(f"community.{MODERATE_FORUM}", forum)


def can_view_forum(user, forum: Forum) -> bool:
    if not forum.is_private:
        return True
    if not user or not user.is_authenticated:
        return False
    return visible_forums(user).filter(pk=forum.pk).exists()


def can_moderate_thread(user, thread: Thread) -> bool:
    annotated = getattr(thread, "viewer_can_moderate", None)
    if annotated is not None:
        return bool(annotated)
    return can_moderate_forum(user, thread.forum)


def can_view_thread(user, thread: Thread) -> bool:
    if can_moderate_thread(user, thread):
        return True
    if thread.state == ThreadState.HIDDEN:
        return False
    if thread.is_private and not (user and user.is_authenticated and thread.author_id == user.pk):
        return False
    if thread.is_held and not (user and user.is_authenticated and thread.author_id == user.pk):
        return False
    return True


def can_view_thread_for_notice(user, thread: Thread) -> bool:
    """Whether ``user`` may be told about ``thread`` (a mention, a reply): forum access and the private-thread rule.

    Asked about third parties, so it never trusts a ``viewer_can_moderate`` annotation, which
    belongs to whoever loaded the thread or forum.
    """
    if not user or not user.is_authenticated:
        return False
    if thread.forum.is_private and not visible_forums(user).filter(pk=thread.forum_id).exists():
        return False
    if not thread.is_private or thread.author_id == user.pk:
        return True
    return is_moderator(user) or user.has_perm(f"community.{MODERATE_FORUM}", thread.forum)


def can_view_post(user, post: Post) -> bool:
    if post.status == PostStatus.PUBLISHED:
        return True
    if can_moderate_thread(user, post.thread):
        return True
    # The author sees their own held or hidden post (with the reason), as the thread page shows it to them.
    return bool(
        user
        and user.is_authenticated
        and post.author_id == user.pk
        and post.status in (PostStatus.HELD, PostStatus.HIDDEN)
    )


def posting_block_reason(user) -> str:
    """Why ``user`` may not post at all right now ('' when they may)."""
    if not user or not user.is_authenticated:
        return "anonymous"
    if not user.is_active or user.erased_at:
        return "inactive"
    if user.is_suspended(timezone.now()):
        return "suspended"
    return ""


def can_reply_to_thread(user, thread: Thread) -> bool:
    if posting_block_reason(user):
        return False
    if thread.state == ThreadState.HIDDEN:
        return False
    if thread.state == ThreadState.LOCKED:
        return can_moderate_thread(user, thread)
    return True


def can_accept_answer(user, thread: Thread) -> bool:
    if not user or not user.is_authenticated or thread.state in (ThreadState.HIDDEN,):
        return False
    if thread.blog_page_id:
        return False
    return thread.author_id == user.pk or can_moderate_thread(user, thread)


def can_edit_post(user, post: Post) -> bool:
    if not user or not user.is_authenticated:
        return False
    if can_moderate_thread(user, post.thread):
        return True
    return (
        post.author_id == user.pk
        and not posting_block_reason(user)
        and post.status != PostStatus.HIDDEN
        and post.thread.state not in (ThreadState.LOCKED, ThreadState.HIDDEN)
    )


def can_flag_post(user, post: Post) -> bool:
    return bool(user and user.is_authenticated and post.author_id != user.pk and post.is_published)


def can_react_to_post(user, post: Post) -> bool:
    return bool(user and user.is_authenticated and post.author_id != user.pk and post.is_published)


def can_tag_thread(user, thread: Thread) -> bool:
    if not user or not user.is_authenticated:
        return False
    return can_moderate_thread(user, thread) or (thread.author_id == user.pk and not posting_block_reason(user))


def can_see_internal_tags(user) -> bool:
    """Staff-only routing tags (#lead) are for moderators and administrators; members never learn them."""
    from portal.roles import has_role

    return is_moderator(user) or bool(user and user.is_authenticated and has_role(user, Role.ADMINISTRATOR))


def can_set_tag_visibility(user) -> bool:
    return can_see_internal_tags(user)


def can_see_history(user, post: Post) -> bool:
    """Moderators, and the author of the post: "(edited)" links to it for both."""
    if user and user.is_authenticated and post.author_id == user.pk:
        return True
    return can_moderate_thread(user, post.thread)


def thread_queryset_for(user) -> QuerySet[Thread]:
    """Threads in forums ``user`` may view, annotated with ``viewer_can_moderate``."""
    return Thread.objects.filter(forum_visibility_q(user, "forum__")).annotate(
        viewer_can_moderate=moderation_annotation(user, "forum_id")
    )


def access_thread(user, thread_id: int, *, related=(), annotations: dict | None = None) -> Thread:
    """The thread if ``user`` may view it, else Http404 (never reveal that a private thread exists).

    ``annotations`` adds the viewer's own values (watch level, read position) to the same query.
    """
    threads = thread_queryset_for(user).select_related("forum", *related)
    if annotations:
        threads = threads.annotate(**annotations)
    thread = threads.filter(pk=thread_id).first()
    if thread is None or not can_view_thread(user, thread):
        raise Http404
    return thread


def access_post(user, post_id: int) -> Post:
    """The post if ``user`` may view it and its thread, else Http404."""
    post = (
        Post.objects.select_related("thread", "thread__forum", "author")
        .filter(thread__in=thread_queryset_for(user).values("pk"), pk=post_id)
        .first()
    )
    if post is None:
        raise Http404
    post.thread = access_thread(user, post.thread_id)
    if not can_view_post(user, post):
        raise Http404
    return post
