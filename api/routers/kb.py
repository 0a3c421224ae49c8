"""Knowledge base articles: the live, public ones, listed, read and searched as the unified search finds them."""

from __future__ import annotations

from django.http import Http404
from ninja import Query, Router, Schema

from api import schemas
from api.context import require
from api.pagination import cursor_page
from api.problems import Problem
from api.scopes import Scope
from knowledgebase.models import KBArticlePage
from knowledgebase.search import unified_search

router = Router(tags=["knowledge base"])
ERRORS = {frozenset({400, 401, 403, 404, 422, 429}): Problem}


class PageQuery(Schema):
    cursor: str | None = None
    limit: schemas.Limit = 25


class SearchQuery(Schema):
    q: str = ""


def _articles():
    """What a visitor of the site may read: live pages without a view restriction (Wagtail's own rule)."""
    return KBArticlePage.objects.live().public()


def article_out(page) -> dict:
    return {
        "id": page.pk,
        "title": page.title,
        "summary": page.summary,
        "url": page.get_url() or page.url_path,
        "last_reviewed": page.last_reviewed,
        "first_published_at": page.first_published_at,
    }


@router.get("/kb/articles", response={200: schemas.ArticlePage, **ERRORS}, operation_id="kb_articles_list")
def kb_articles_list(request, query: Query[PageQuery]):
    """Published articles, oldest first."""
    require(request, Scope.KB_READ)
    page = cursor_page(_articles(), order=("pk",), cursor=query.cursor, limit=query.limit)
    return {"items": [article_out(p) for p in page.items], "next_cursor": page.next_cursor}


@router.get(
    "/kb/articles/{article_id}", response={200: schemas.ArticleDetail, **ERRORS}, operation_id="kb_articles_read"
)
def kb_articles_read(request, article_id: schemas.Id):
    """One article with its body as HTML."""
    require(request, Scope.KB_READ)
    page = _articles().filter(pk=article_id).first()
    if page is None:
        raise Http404
    return {**article_out(page), "body_html": str(page.body)}


@router.get("/kb/search", response={200: list[schemas.ArticleHit], **ERRORS}, operation_id="kb_search")
def kb_search(request, query: Query[SearchQuery]):
    """Articles matching ``q``, as the portal's search ranks them."""
    require(request, Scope.KB_READ)
    results = unified_search(user=request.auth.user, query=query.q[:200], type="article")
    return [
        {"id": int(hit.key), "title": hit.title, "url": hit.url, "excerpt": str(hit.excerpt)}
        for hit in results.hits
        if hit.type == "article"
    ]
