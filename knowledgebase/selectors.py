"""Reads the knowledge base pages need, with their prefetching (searching lives in knowledgebase.search)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Case, CharField, Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from knowledgebase.models import (
    HelpfulVote,
    KBArticlePage,
    KBArticleTag,
    KBCategoryPage,
    KBProduct,
    KBRelatedArticle,
    ThreadArticleLink,
)
from portal.bilingual import in_active_language
from portal.models import DELETED_MEMBER_HANDLE, User

REVIEW_MAX_AGE_DAYS = 365
REVIEW_MIN_VOTES = 3
REVIEW_LOW_SCORE = 0.5
FAQ_SIZE = 10


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
        When(~Q(answerer__display_name=""), then=F("answerer__display_name")),
        default=F("answerer__handle"),
        output_field=text,
    )
    # The fourth column of the credit row: 1 when the answerer is a team member named by display name.
    team = Case(
        When(Q(answerer__erased_at__isnull=True) & ~Q(answerer__display_name=""), then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
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
            .values_list(Value("credit", output_field=text), handle, Cast("thread_id", output_field=text), team),
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
            # An unsaved account carrying only the name, so the page names the answerer as everywhere else.
            member = User(handle=label, display_name=label if order else "") if label else None
            extras["credit"] = {"handle": label, "member": member, "thread_id": int(value)}
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
        _vote_counts(in_active_language(KBArticlePage.objects.live()).filter(products=product))
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
