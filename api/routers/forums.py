"""Forums, threads and posts: read what the principal may see, ask and reply as the principal."""

from __future__ import annotations

from django.http import Http404
from ninja import Query, Router, Schema, Status

from api import schemas
from api.context import Pseudonyms, principal, require
from api.pagination import cursor_page
from api.problems import Problem
from api.scopes import Scope
from community import permissions, selectors, services
from community.models import Forum, Thread
from community.selectors import POST_ORDER, THREAD_FILTERS, THREAD_ORDER

router = Router(tags=["forums"])
ERRORS = {frozenset({400, 401, 403, 404, 422, 429}): Problem}


class ThreadFilters(Schema):
    filter: str = "newest"
    tag: str = ""
    cursor: str | None = None
    limit: schemas.Limit = 25


class PageQuery(Schema):
    cursor: str | None = None
    limit: schemas.Limit = 25


def _forum(request, slug: str) -> Forum:
    forum = selectors.forum_visible_to(user=principal(request), slug=slug)
    if forum is None or forum.slug == "blog-comments":
        raise Http404
    return forum


def forum_out(forum: Forum) -> dict:
    return {
        "slug": forum.slug,
        "name": forum.name,
        "description": forum.description,
        "product": forum.product,
        "is_private": forum.is_private,
        "thread_count": forum.thread_count,
        "post_count": forum.post_count,
        "last_activity_at": forum.last_activity_at,
        "url": forum.get_absolute_url(),
    }


def thread_out(thread: Thread, pseudonyms: Pseudonyms, *, staff: bool, forum_slug: schemas.Slug) -> dict:
    return {
        "id": thread.pk,
        "forum": forum_slug,
        "title": thread.title,
        "state": thread.state,
        "is_pinned": thread.is_pinned,
        "is_private": thread.is_private,
        "is_held": thread.is_held,
        "is_answered": thread.accepted_post_id is not None,
        "reply_count": thread.reply_count,
        "tags": [name for name, _slug, _internal in selectors.shown_tag_labels(thread.tag_labels, staff=staff)],
        "author": pseudonyms.member(thread.author_id),
        "created_at": thread.created_at,
        "last_activity_at": thread.last_activity_at,
        "url": thread.get_absolute_url(),
    }


def post_out(post, pseudonyms: Pseudonyms, *, accepted_id) -> dict:
    return {
        "id": post.pk,
        "thread_id": post.thread_id,
        "author": pseudonyms.member(post.author_id),
        "is_question": post.is_question,
        "is_accepted": post.pk == accepted_id,
        "status": post.status,
        "body_html": post.body_html,
        "helpful_count": post.helpful_count,
        "created_at": post.created_at,
        "edited_at": post.edited_at,
    }


@router.get("/forums", response={200: list[schemas.Forum], **ERRORS}, operation_id="forums_list")
def forums_list(request):
    """The forums the principal may view."""
    require(request, Scope.THREADS_READ)
    return [forum_out(forum) for forum in selectors.forum_list_visible_to(user=principal(request))]


@router.get("/forums/{slug}", response={200: schemas.Forum, **ERRORS}, operation_id="forums_read")
def forums_read(request, slug: schemas.Slug):
    require(request, Scope.THREADS_READ)
    return forum_out(_forum(request, slug))


@router.get("/forums/{slug}/threads", response={200: schemas.ThreadPage, **ERRORS}, operation_id="threads_list")
def threads_list(request, slug: schemas.Slug, query: Query[ThreadFilters]):
    """Threads of a forum, latest activity first (pinned on top); ``filter``: newest, unanswered, answered, mine."""
    require(request, Scope.THREADS_READ)
    user = principal(request)
    forum = _forum(request, slug)
    chosen = query.filter if query.filter in THREAD_FILTERS else "newest"
    qs = selectors.threads_visible_to(user=user, forum=forum, filter=chosen, tag=query.tag[:60])
    page = cursor_page(qs, order=THREAD_ORDER, cursor=query.cursor, limit=query.limit)
    pseudonyms = Pseudonyms(request, [t.author_id for t in page.items])
    staff = bool(forum.viewer_can_moderate)
    return {
        "items": [thread_out(t, pseudonyms, staff=staff, forum_slug=forum.slug) for t in page.items],
        "next_cursor": page.next_cursor,
    }


@router.post("/forums/{slug}/threads", response={201: schemas.ThreadDetail, **ERRORS}, operation_id="threads_create")
def threads_create(request, slug: schemas.Slug, payload: schemas.ThreadIn):
    """Ask a question in a forum, as the principal (held for approval like any first post)."""
    require(request, Scope.THREADS_WRITE)
    forum = _forum(request, slug)
    thread = services.thread_create(
        forum=forum, author=principal(request), title=payload.title, body=payload.body, tags=payload.tags
    )
    return Status(201, _thread_detail(request, thread.pk))


def _thread_detail(request, thread_id: int) -> dict:
    user = principal(request)
    thread = selectors.thread_detail(user=user, thread_id=thread_id)
    question = selectors.posts_visible_to(user=user, thread=thread).filter(is_question=True).first()
    pseudonyms = Pseudonyms(request, [thread.author_id, question.author_id if question else None])
    staff = bool(thread.viewer_can_moderate)
    out = thread_out(thread, pseudonyms, staff=staff, forum_slug=thread.forum.slug)
    out["question"] = post_out(question, pseudonyms, accepted_id=thread.accepted_post_id) if question else None
    return out


@router.get("/threads/{thread_id}", response={200: schemas.ThreadDetail, **ERRORS}, operation_id="threads_read")
def threads_read(request, thread_id: schemas.Id):
    """One thread with its question."""
    require(request, Scope.THREADS_READ)
    return _thread_detail(request, thread_id)


@router.get("/threads/{thread_id}/posts", response={200: schemas.PostPage, **ERRORS}, operation_id="posts_list")
def posts_list(request, thread_id: schemas.Id, query: Query[PageQuery]):
    """The thread's posts the principal may see, oldest first."""
    require(request, Scope.THREADS_READ)
    user = principal(request)
    thread = selectors.thread_detail(user=user, thread_id=thread_id)
    page = cursor_page(
        selectors.posts_visible_to(user=user, thread=thread), order=POST_ORDER, cursor=query.cursor, limit=query.limit
    )
    pseudonyms = Pseudonyms(request, [p.author_id for p in page.items])
    return {
        "items": [post_out(p, pseudonyms, accepted_id=thread.accepted_post_id) for p in page.items],
        "next_cursor": page.next_cursor,
    }


@router.post("/threads/{thread_id}/posts", response={201: schemas.Post, **ERRORS}, operation_id="posts_create")
def posts_create(request, thread_id: schemas.Id, payload: schemas.PostIn):
    """Reply to a thread as the principal."""
    require(request, Scope.THREADS_WRITE)
    user = principal(request)
    thread = selectors.thread_detail(user=user, thread_id=thread_id)
    post = services.post_create(thread=thread, author=user, body=payload.body)
    return Status(201, post_out(post, Pseudonyms(request, [post.author_id]), accepted_id=thread.accepted_post_id))


@router.get("/posts/{post_id}", response={200: schemas.Post, **ERRORS}, operation_id="posts_read")
def posts_read(request, post_id: schemas.Id):
    require(request, Scope.THREADS_READ)
    post = permissions.access_post(principal(request), post_id)
    return post_out(post, Pseudonyms(request, [post.author_id]), accepted_id=post.thread.accepted_post_id)
