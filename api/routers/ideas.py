"""Idea boards and ideas: read, vote as the principal, set a status with a public response as a product manager."""

from __future__ import annotations

from django.http import Http404
from ninja import Query, Router, Schema

from api import schemas
from api.context import Pseudonyms, principal, require
from api.pagination import cursor_page
from api.problems import Problem
from api.scopes import Scope
from ideas import permissions, selectors, services
from ideas.models import Board

router = Router(tags=["ideas"])
ERRORS = {frozenset({400, 401, 403, 404, 422, 429}): Problem}
ORDERS = {
    "top": ("-vote_count", "-created_at", "-pk"),
    "newest": ("-created_at", "-pk"),
}


class IdeaFilters(Schema):
    board: str = ""
    status: str = ""
    sort: str = "top"
    mine: bool = False
    cursor: str | None = None
    limit: schemas.Limit = 25


def idea_out(idea, pseudonyms: Pseudonyms, *, board_slug: str) -> dict:
    return {
        "id": idea.pk,
        "board": board_slug,
        "title": idea.title,
        "body_html": idea.body_html,
        "status": idea.status,
        "public_response_html": idea.public_response_html,
        "vote_count": idea.vote_count,
        "comment_count": idea.comment_count,
        "has_voted": bool(getattr(idea, "has_voted", False)),
        "author": pseudonyms.member(idea.author_id),
        "merged_into_id": idea.merged_into_id,
        "created_at": idea.created_at,
        "status_changed_at": idea.status_changed_at,
        "url": idea.get_absolute_url(),
    }


@router.get("/boards", response={200: list[schemas.Board], **ERRORS}, operation_id="boards_list")
def boards_list(request):
    """Idea boards open for ideas."""
    require(request, Scope.IDEAS_READ)
    return [
        {"slug": b.slug, "name": str(b), "description": b.description, "is_active": b.is_active}
        for b in selectors.board_list()
    ]


@router.get("/ideas", response={200: schemas.IdeaPage, **ERRORS}, operation_id="ideas_list")
def ideas_list(request, query: Query[IdeaFilters]):
    """Ideas (merged duplicates left out), most votes first or newest first; filter by board, status, own."""
    require(request, Scope.IDEAS_READ)
    user = principal(request)
    board = None
    if query.board:
        board = Board.objects.filter(slug=query.board).first()
        if board is None:
            raise Http404
    sort = query.sort if query.sort in ORDERS else "top"
    qs = selectors.idea_list(board=board, user=user, sort=sort, status=query.status[:20], mine=query.mine)
    qs = qs.select_related("board")
    page = cursor_page(qs, order=ORDERS[sort], cursor=query.cursor, limit=query.limit)
    pseudonyms = Pseudonyms(request, [i.author_id for i in page.items])
    return {
        "items": [idea_out(i, pseudonyms, board_slug=i.board.slug) for i in page.items],
        "next_cursor": page.next_cursor,
    }


def _idea(request, idea_id: int):
    idea = selectors.idea_detail(idea_id=idea_id, user=principal(request))
    if idea is None:
        raise Http404
    return idea


@router.get("/ideas/{idea_id}", response={200: schemas.Idea, **ERRORS}, operation_id="ideas_read")
def ideas_read(request, idea_id: schemas.Id):
    require(request, Scope.IDEAS_READ)
    idea = _idea(request, idea_id)
    return idea_out(idea, Pseudonyms(request, [idea.author_id]), board_slug=idea.board.slug)


@router.put("/ideas/{idea_id}/vote", response={200: schemas.Vote, **ERRORS}, operation_id="ideas_vote")
def ideas_vote(request, idea_id: schemas.Id, payload: schemas.VoteIn):
    """Make the principal's vote match ``voted`` (repeating it changes nothing)."""
    require(request, Scope.IDEAS_VOTE)
    result = services.vote_set(idea_id=idea_id, voter=principal(request), voted=payload.voted)
    return {
        "idea_id": result.idea.pk,
        "voted": result.voted,
        "changed": result.changed,
        "vote_count": result.vote_count,
    }


@router.put("/ideas/{idea_id}/status", response={200: schemas.Idea, **ERRORS}, operation_id="ideas_status")
def ideas_status(request, idea_id: schemas.Id, payload: schemas.IdeaStatusIn):
    """Set the idea's status with a public response (product managers); voters and followers are told."""
    require(request, Scope.IDEAS_STATUS)
    user = principal(request)
    idea = permissions.access_idea(user, idea_id)
    services.idea_set_status(idea=idea, by=user, status=payload.status, response=payload.response)
    idea = _idea(request, idea_id)
    return idea_out(idea, Pseudonyms(request, [idea.author_id]), board_slug=idea.board.slug)
