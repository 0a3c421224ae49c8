"""Reads the knowledge base pages, the unified search and the suggestions need, with their prefetching."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Case, CharField, Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from wagtail.contrib.search_promotions.models import SearchPromotion
from wagtail.search.backends import get_search_backend
from wagtail.search.utils import normalise_query_string

from knowledgebase.models import (
    HelpfulVote,
    KBArticlePage,
    KBArticleTag,
    KBCategoryPage,
    KBProduct,
    KBRelatedArticle,
    ThreadArticleLink,
)
from knowledgebase.search import clean_query, excerpt, highlight, plain_text, significant_words
from portal.models import DELETED_MEMBER_HANDLE

RESULTS_PER_TYPE = 20
SUGGESTION_CANDIDATES = 30
REVIEW_MAX_AGE_DAYS = 365
REVIEW_MIN_VOTES = 3
REVIEW_LOW_SCORE = 0.5
FAQ_SIZE = 10
TYPES = ("article", "thread", "idea")


# --- pages ---------------------------------------------------------------------------------


def index_overview(*, index) -> dict:
    """Categories, the newest articles and the products with an FAQ for the KB index (three queries)."""
    categories = list(KBCategoryPage.objects.live().child_of(index).order_by("path"))
    recent = list(
        KBArticlePage.objects.live()
        .descendant_of(index)
        .only("title", "url_path", "summary", "last_published_at", "path", "depth")
        .order_by("-first_published_at", "-pk")[:10]
    )
    products = list(
        KBProduct.objects.filter(Exists(KBArticlePage.products.through.objects.filter(kbproduct=OuterRef("pk"))))
    )
    return {"categories": categories, "recent_articles": recent, "products": products}


def category_articles(*, category) -> list[KBArticlePage]:
    return list(
        KBArticlePage.objects.live()
        .child_of(category)
        .only("title", "url_path", "summary", "path", "depth")
        .order_by("title")
    )


def url_for_path(url_path: str) -> str:
    """The site-relative URL of a page from its ``url_path``, without loading the page (site root paths are cached)."""
    from wagtail.models import Site

    for root in sorted(Site.get_site_root_paths(), key=lambda r: -len(r.root_path)):
        if url_path.startswith(root.root_path):
            return "/" + url_path[len(root.root_path) :]
    return ""


def article_extras(*, article: KBArticlePage) -> dict:
    """Products, tags, related articles and the credit of an article page, in one UNION query."""
    if article.pk is None:  # a preview of an unsaved page
        return {"products": [], "tags": [], "related": [], "credit": None}
    text = CharField()
    handle = Case(
        When(answerer__isnull=True, then=Value("")),
        When(answerer__erased_at__isnull=False, then=Value(DELETED_MEMBER_HANDLE)),
        default=F("answerer__handle"),
        output_field=text,
    )
    rows = (
        KBArticlePage.products.through.objects.filter(kbarticlepage_id=article.pk)
        .order_by()
        .values_list(Value("product", output_field=text), F("kbproduct__name"), F("kbproduct__slug"), Value(0))
        .union(
            KBArticleTag.objects.filter(content_object_id=article.pk)
            .order_by()
            .values_list(Value("tag", output_field=text), F("tag__name"), F("tag__slug"), Value(0)),
            KBRelatedArticle.objects.filter(page_id=article.pk, article__live=True)
            .order_by()
            .values_list(
                Value("related", output_field=text), F("article__title"), F("article__url_path"), F("sort_order")
            ),
            ThreadArticleLink.objects.filter(article_id=article.pk)
            .order_by()
            .values_list(Value("credit", output_field=text), handle, Cast("thread_id", output_field=text), Value(0)),
            all=True,
        )
    )
    extras = {"products": [], "tags": [], "related": [], "credit": None}
    for kind, label, value, order in rows:
        if kind == "product":
            extras["products"].append((label, value))
        elif kind == "tag":
            extras["tags"].append((label, value))
        elif kind == "related":
            extras["related"].append((order or 0, label, url_for_path(value)))
        else:
            extras["credit"] = {"handle": label, "thread_id": int(value)}
    extras["products"].sort()
    extras["tags"].sort()
    extras["related"] = [{"title": title, "url": url} for _order, title, url in sorted(extras["related"])]
    return extras


@dataclass
class Score:
    """Helpful votes of an article, as editors see them."""

    helpful: int
    not_helpful: int

    @property
    def total(self) -> int:
        return self.helpful + self.not_helpful

    @property
    def ratio(self) -> float | None:
        return self.helpful / self.total if self.total else None

    @property
    def percent(self) -> int | None:
        return round(self.ratio * 100) if self.total else None


def article_score(*, article: KBArticlePage) -> Score:
    counts = HelpfulVote.objects.filter(article=article).aggregate(
        yes=Count("pk", filter=Q(helpful=True)), no=Count("pk", filter=Q(helpful=False))
    )
    return Score(helpful=counts["yes"], not_helpful=counts["no"])


def vote_of(*, article: KBArticlePage, user=None, voter_key: str = "") -> bool | None:
    """The viewer's earlier answer on this article (None when they have not voted)."""
    if user is not None and user.is_authenticated:
        qs = HelpfulVote.objects.filter(article=article, user=user)
    elif voter_key:
        qs = HelpfulVote.objects.filter(article=article, voter_key=voter_key)
    else:
        return None
    return qs.values_list("helpful", flat=True).first()


def _vote_counts(qs):
    yes = HelpfulVote.objects.filter(article=OuterRef("pk"), helpful=True).order_by().values("article")
    no = HelpfulVote.objects.filter(article=OuterRef("pk"), helpful=False).order_by().values("article")
    return qs.annotate(
        helpful_yes=Coalesce(Subquery(yes.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), 0),
        helpful_no=Coalesce(Subquery(no.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), 0),
    )


def review_report(
    *, max_age_days: int = REVIEW_MAX_AGE_DAYS, low_score: float = REVIEW_LOW_SCORE, min_votes: int = REVIEW_MIN_VOTES
) -> list[KBArticlePage]:
    """Live articles that need an editor: not reviewed for ``max_age_days`` or rated helpful by fewer than ``low_score``."""
    cutoff = timezone.localdate() - timedelta(days=max_age_days)
    rows = list(
        _vote_counts(KBArticlePage.objects.live())
        .only("title", "url_path", "path", "depth", "last_reviewed", "last_published_at")
        .order_by("last_reviewed", "title")
    )
    flagged = []
    for article in rows:
        article.score = Score(helpful=article.helpful_yes, not_helpful=article.helpful_no)
        article.review_overdue = article.last_reviewed is None or article.last_reviewed < cutoff
        article.low_score = article.score.total >= min_votes and article.score.ratio < low_score
        if article.review_overdue or article.low_score:
            flagged.append(article)
    flagged.sort(key=lambda a: (not a.low_score, a.last_reviewed or date.min, a.title))
    return flagged


def faq_for_product(*, slug: str, limit: int = FAQ_SIZE) -> tuple[KBProduct | None, list[KBArticlePage]]:
    """The product and its most helpful live articles (net helpful votes, then most votes)."""
    product = KBProduct.objects.filter(slug=slug).first()
    if product is None:
        return None, []
    articles = list(
        _vote_counts(KBArticlePage.objects.live().filter(products=product))
        .annotate(net=F("helpful_yes") - F("helpful_no"))
        .only("title", "url_path", "path", "depth", "summary", "body")
        .order_by("-net", "-helpful_yes", "title")[:limit]
    )
    return product, articles


def thread_article_link(*, thread_id: int) -> ThreadArticleLink | None:
    """The KB article promoted from a thread (with its page state), for the thread page notice."""
    return (
        ThreadArticleLink.objects.filter(thread_id=thread_id)
        .select_related("article")
        .only("thread_id", "article__title", "article__url_path", "article__live", "article__path", "article__depth")
        .first()
    )


# --- suggestions ------------------------------------------------------------------------------


def _matching_articles(words: list[str], *, operator: str, cap: int) -> list[KBArticlePage]:
    """Live articles whose indexed text contains the words, ranked here by where the words occur.

    The backend's own relevance ordering is skipped: on SQLite it re-runs the full-text match
    once per candidate row; counting words in title and summary ranks well enough for a KB.
    """
    backend = get_search_backend()
    found = list(
        backend.search(
            " ".join(words),
            KBArticlePage.objects.live().only("title", "url_path", "path", "depth", "summary"),
            operator=operator,
            order_by_relevance=False,
        )[:cap]
    )

    def rank(page):
        title, summary = page.title.lower(), page.summary.lower()
        return (-sum(3 * (w in title) + (w in summary) for w in words), page.title)

    return sorted(found, key=rank)


def article_suggestions(*, text: str, limit: int = 5) -> list[dict]:
    """Live articles matching what a member is typing (a question title, a chat message): one query, two at most."""
    words = significant_words(clean_query(text))
    limit = max(1, min(int(limit), 10))
    if not words:
        return []
    hits = _matching_articles(words, operator="and", cap=SUGGESTION_CANDIDATES)
    if not hits and len(words) > 1:
        hits = _matching_articles(words, operator="or", cap=SUGGESTION_CANDIDATES)
    return [
        {"title": page.title, "url": page.get_url(), "excerpt": excerpt(page.summary, words, length=160)}
        for page in hits[:limit]
    ]


# --- unified search -----------------------------------------------------------------------------


@dataclass
class Hit:
    """One search result of any type, already reduced to what the results page shows."""

    type: str
    title: str
    url: str
    excerpt: str
    key: int
    products: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    answered: bool = False
    meta: str = ""


@dataclass
class SearchResults:
    query: str
    words: list[str]
    hits: list[Hit]
    promotions: list[dict]
    facets: dict[str, list[tuple[str, int]]]
    selected: dict[str, str]

    @property
    def total(self) -> int:
        return len(self.hits)


def _promotions(query: str) -> list[dict]:
    normalised = normalise_query_string(query)
    rows = SearchPromotion.objects.filter(query__query_string=normalised).select_related("page").order_by("sort_order")
    return [
        {
            "title": promo.title,
            "url": promo.page.get_url() if promo.page_id else promo.external_link_url,
            "description": promo.description,
        }
        for promo in rows
        if promo.page_id is None or promo.page.live
    ]


def _article_hits(words: list[str]) -> list[Hit]:
    return [
        Hit(
            type="article",
            title=page.title,
            url=page.get_url(),
            excerpt=excerpt(page.summary, words),
            key=page.pk,
        )
        for page in _matching_articles(words, operator="and", cap=RESULTS_PER_TYPE)
    ]


def _word_filter(words: list[str], *fields: str) -> Q:
    """Every word must appear in at least one of ``fields``."""
    condition = Q()
    for word in words:
        any_field = Q()
        for name in fields:
            any_field |= Q(**{f"{name}__icontains": word})
        condition &= any_field
    return condition


def _thread_hits(user, words: list[str]) -> list[Hit]:
    """Threads the viewer may see whose title or published posts contain every word (one query)."""
    from community import permissions as community_permissions
    from community.models import Post, Thread
    from community.models.forum import PostStatus

    visible = Thread.objects.filter(community_permissions.forum_visibility_q(user, "forum__")).filter(
        community_permissions.thread_public_q(user)
    )
    condition = Q()
    for word in words:
        in_posts = Post.objects.filter(thread=OuterRef("pk"), status=PostStatus.PUBLISHED, body__icontains=word)
        condition &= Q(title__icontains=word) | Q(Exists(in_posts))
    question = (
        Post.objects.filter(thread=OuterRef("pk"), is_question=True).order_by("created_at").values("body_html")[:1]
    )
    threads = (
        visible.filter(condition)
        .select_related("forum")
        .annotate(question_text=Subquery(question))
        .only("title", "accepted_post_id", "last_activity_at", "forum__name", "forum__product", "forum__slug")
        .order_by(F("accepted_post").desc(nulls_last=True), "-last_activity_at", "-id")[:RESULTS_PER_TYPE]
    )
    return [
        Hit(
            type="thread",
            title=t.title,
            url=t.get_absolute_url(),
            excerpt=excerpt(plain_text(t.question_text or ""), words),
            key=t.pk,
            products=[t.forum.product] if t.forum.product else [],
            answered=bool(t.accepted_post_id),
            meta=t.forum.name,
        )
        for t in threads
    ]


def _idea_hits(user, words: list[str]) -> list[Hit]:
    """Ideas from the member-facing list (merged duplicates left out) containing every word (one query)."""
    from ideas import selectors as idea_selectors

    ideas = (
        idea_selectors.idea_list(board=None, user=None)
        .filter(_word_filter(words, "title", "body"))
        .select_related("board")[:RESULTS_PER_TYPE]
    )
    return [
        Hit(
            type="idea",
            title=i.title,
            url=i.get_absolute_url(),
            excerpt=excerpt(i.body, words),
            key=i.pk,
            products=[i.board.name],
            meta=i.get_status_display(),
        )
        for i in ideas
    ]


def _attach_labels(hits: list[Hit]) -> None:
    """Products and tags of every hit in one UNION query over the three link tables."""
    from taggit.models import TaggedItem

    from community.models import Thread
    from ideas.models import Idea

    ids = {kind: [h.key for h in hits if h.type == kind] for kind in TYPES}
    if not any(ids.values()):
        return
    from django.contrib.contenttypes.models import ContentType

    idea_type = ContentType.objects.get_for_model(Idea)  # cached by Django after the first call
    queries = [
        KBArticlePage.products.through.objects.filter(kbarticlepage_id__in=ids["article"]).values_list(
            Value("article"), F("kbarticlepage_id"), Value("product"), F("kbproduct__name")
        ),
        KBArticleTag.objects.filter(content_object_id__in=ids["article"]).values_list(
            Value("article"), F("content_object_id"), Value("tag"), F("tag__name")
        ),
        Thread.tags.through.objects.filter(thread_id__in=ids["thread"]).values_list(
            Value("thread"), F("thread_id"), Value("tag"), F("tag__name")
        ),
        TaggedItem.objects.filter(content_type_id=idea_type.pk, object_id__in=ids["idea"]).values_list(
            Value("idea"), F("object_id"), Value("tag"), F("tag__name")
        ),
    ]
    rows = queries[0].union(*queries[1:], all=True)
    by_key = {(h.type, h.key): h for h in hits}
    for kind, key, label, name in rows:
        hit = by_key.get((kind, int(key)))
        if hit is None:
            continue
        target = hit.products if label == "product" else hit.tags
        if name not in target:
            target.append(name)


def unified_search(*, user, query: str, type: str = "", product: str = "", tag: str = "") -> SearchResults:
    """KB articles, forum threads and ideas the viewer may see, with facets and promotions (five queries)."""
    cleaned = clean_query(query)
    selected = {"type": type if type in TYPES else "", "product": product[:120], "tag": tag[:60]}
    if not cleaned:
        return SearchResults(query="", words=[], hits=[], promotions=[], facets={}, selected=selected)
    words = significant_words(cleaned, limit=12) or [w.lower() for w in cleaned.split()][:12]
    hits = _article_hits(words) + _thread_hits(user, words) + _idea_hits(user, words)
    _attach_labels(hits)
    facets = {
        "type": Counter(h.type for h in hits),
        "product": Counter(p for h in hits for p in h.products),
        "tag": Counter(t for h in hits for t in h.tags),
    }
    shown = [
        h
        for h in hits
        if (not selected["type"] or h.type == selected["type"])
        and (not selected["product"] or selected["product"] in h.products)
        and (not selected["tag"] or selected["tag"] in h.tags)
    ]
    for h in shown:
        h.title_html = highlight(h.title, words)
        h.excerpt_html = highlight(h.excerpt, words)
    return SearchResults(
        query=cleaned,
        words=words,
        hits=shown,
        promotions=_promotions(cleaned),
        facets={name: sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) for name, counts in facets.items()},
        selected=selected,
    )
