"""Posts and thread rows as cached HTML fragments (see ``portal.fragments`` for the rules).

Each key function lists every value its template reads; a template change that reads a new
value must add it here, or viewers could be shown another situation's HTML. Tests render
both ways (cached and fresh) and compare.
"""

from __future__ import annotations

from django.utils.crypto import salted_hmac
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from community.models.watching import WatchLevel
from community.selectors import shown_tag_labels
from portal.fragments import render_fragments
from portal.templatetags.members import member_key

POST_TEMPLATE = "community/includes/post.html"
THREAD_ROW_TEMPLATE = "community/includes/thread_row.html"
# Where a cached thread row takes the viewer's own part; derived from the secret key, so no text can forge it.
VIEWER_SLOT = "<!--viewer-" + salted_hmac("community.fragments.viewer_slot", "row").hexdigest()[:32] + "-->"


def _author_key(author) -> tuple:
    return member_key(author)


def _post_key(post) -> tuple:
    return (
        post.pk,
        post.is_question,
        post.status,
        post.hidden_reason,
        post.body_html,
        post.helpful_count,
        post.created_at,
        post.edited_at,
        _author_key(post.author),
        post.viewer_is_author,
        post.viewer_marked_helpful,
        post.viewer_bookmarked,
    )


def attach_post_fragments(
    *,
    request,
    thread,
    posts: list,
    post_url_base: str,
    thread_url_base: str,
    is_moderator: bool = False,
    can_reply: bool = False,
    can_accept: bool = False,
    accepted_block: bool = False,
) -> None:
    """Set ``post.fragment`` (the post's article HTML as ``request.user`` sees it) on each of ``posts``."""
    user = request.user
    for post in posts:
        post.viewer_is_author = bool(user.is_authenticated and post.author_id == user.pk)
        post.viewer_marked_helpful = bool(getattr(post, "viewer_marked_helpful", False))
        post.viewer_bookmarked = bool(getattr(post, "viewer_bookmarked", False))
    fragments = render_fragments(
        POST_TEMPLATE,
        posts,
        row_name="post",
        row_key=_post_key,
        shared={
            "viewer_authenticated": bool(user.is_authenticated),
            "is_moderator": bool(is_moderator),
            "can_reply": bool(can_reply),
            "can_accept": bool(can_accept),
            "accepted_block": bool(accepted_block),
            "accepted_post_id": thread.accepted_post_id,
            "thread_pk": thread.pk,
            "post_url_base": post_url_base,
            "thread_url_base": thread_url_base,
        },
        request=request,
    )
    for post, fragment in zip(posts, fragments, strict=True):
        post.fragment = fragment


def _thread_row_key(thread) -> tuple:
    return (
        thread.pk,
        thread.title,
        thread.state,
        thread.is_private,
        thread.is_pinned,
        thread.is_held,
        thread.accepted_post_id is not None,
        repr(thread.shown_tags),
        thread.reply_count,
        thread.last_activity_at,
        _author_key(thread.author),
    )


def attach_thread_row_fragments(*, request, threads: list, thread_url_base: str, staff: bool = False) -> None:
    """Set ``thread.fragment`` (its row in a forum's thread list) on each of ``threads``.

    ``staff`` viewers also see staff-only tags; the tags shown are part of the key, so a row cached
    for a moderator is never served to a member. The viewer's own part of a row (watch level, new
    posts, first-unread link) is never cached: the shared fragment holds a slot that is filled per
    request from the row's ``viewer_*`` annotations.
    """
    for thread in threads:
        thread.shown_tags = shown_tag_labels(thread.tag_labels, staff=staff)
    fragments = render_fragments(
        THREAD_ROW_TEMPLATE,
        threads,
        row_name="thread",
        row_key=_thread_row_key,
        shared={"thread_url_base": thread_url_base, "viewer_slot": VIEWER_SLOT},
        request=request,
    )
    member = request.user.is_authenticated
    for thread, fragment in zip(threads, fragments, strict=True):
        own = _viewer_part(thread, thread_url_base) if member else ""
        thread.fragment = mark_safe(fragment.replace(VIEWER_SLOT, own))  # noqa: S308 (both parts escaped)


def _viewer_part(thread, thread_url_base: str) -> str:
    """The member's own part of a row: their watch level, the count of new posts and the first-unread link.

    Built with ``format_html`` rather than a template: it runs for every row of every member's list
    view, cached or not (a template render per row cost ~3 ms on a page of 50).
    """
    level = getattr(thread, "viewer_level", None)
    new = getattr(thread, "viewer_new", None)
    parts = []
    if level in (WatchLevel.WATCHING, WatchLevel.TRACKING):
        parts.append(format_html('<span class="status status--followed">{}</span>', WatchLevel(level).label))
    elif level == WatchLevel.MUTED:
        parts.append(format_html('<span class="status">{}</span>', WatchLevel(level).label))
    if new:
        parts.append(
            format_html(
                '<span class="status status--new" data-unread-count="{}">{}</span>'
                ' <a href="{}{}/unread/" data-first-unread>{}<span class="visually-hidden">: {}</span></a>',
                new,
                ngettext("%(counter)s new", "%(counter)s new", new) % {"counter": new},
                thread_url_base,
                thread.pk,
                _("First unread"),
                thread.title,
            )
        )
    return " ".join(parts)
