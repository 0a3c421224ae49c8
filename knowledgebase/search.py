"""The knowledge base's search: article suggestions, the unified search and the text helpers both use.

Every source is matched and ranked by wagtail.search (PostgreSQL full-text search with the
stemming and stop words of ``SEARCH_LANGUAGE_CONFIG``; SQLite FTS5 with BM25, without either,
in development). Threads come from community/, which the knowledge base may read, through the
index of their published posts; other apps add their content through
``knowledgebase.extensions`` (ideas/ adds ideas).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F, Value
from django.utils import translation
from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe
from wagtail.contrib.search_promotions.models import SearchPromotion
from wagtail.search.backends import get_search_backend
from wagtail.search.utils import normalise_query_string

from community import permissions as community_permissions
from community.models import Post, Thread
from community.models.forum import PostStatus
from knowledgebase.extensions import SEARCH_SOURCES, Hit
from knowledgebase.models import KBArticlePage, KBArticleTag
from portal.bilingual import in_active_language
from portal.inputs import search_words

MAX_QUERY_CHARS = 200
MAX_WORDS = 12
EXCERPT_CHARS = 220
RESULTS_PER_TYPE = 20
# A thread can match through several of its posts; three rows per listed thread fill the list in practice.
THREAD_POST_CANDIDATES = RESULTS_PER_TYPE * 3
SUGGESTION_CANDIDATES = 30
OWN_TYPES = ("article", "thread")
WORD = re.compile(r"\w+", re.UNICODE)
# Only to tell text with nothing worth searching for ("how do I ...?") without asking the database,
# and to keep such words out of the highlighting; the search backend does its own stop words and stemming.
STOP_WORDS = frozenset(
    "a an the and or of to in on at for with from is are be it my i how do does can what why when where "
    "der die das und oder zu im in am an auf für mit von ist sind ein eine wie was warum wann wo ich mein".split()
)


# --- text -------------------------------------------------------------------------------------


def clean_query(raw: str | None) -> str:
    """The words of a visitor's query (punctuation dropped, length capped); '' when nothing searchable is left."""
    return search_words(raw, max_chars=MAX_QUERY_CHARS, max_words=MAX_WORDS)[0]


def query_was_shortened(raw: str | None) -> bool:
    """Whether ``clean_query`` left words out for length, so the page can say so."""
    return search_words(raw, max_chars=MAX_QUERY_CHARS, max_words=MAX_WORDS)[1]


def significant_words(text: str, *, limit: int = 8) -> list[str]:
    """Distinct words worth marking in results (stop words and one-letter words dropped), in order of appearance."""
    seen: list[str] = []
    for word in WORD.findall(text or ""):
        lowered = word.lower()
        if len(lowered) < 2 or lowered in STOP_WORDS or lowered in seen:
            continue
        seen.append(lowered)
        if len(seen) >= limit:
            break
    return seen


def plain_text(html: str) -> str:
    return " ".join(strip_tags(html or "").split())


def excerpt(text: str, words: list[str], *, length: int = EXCERPT_CHARS) -> str:
    """A window of ``text`` around the first matching word, with ellipses where it was cut."""
    text = " ".join((text or "").split())
    if len(text) <= length:
        return text
    lowered = text.lower()
    positions = [lowered.find(w.lower()) for w in words if w and lowered.find(w.lower()) >= 0]
    start = max(0, min(positions) - length // 3) if positions else 0
    window = text[start : start + length]
    return ("…" if start else "") + window + ("…" if start + length < len(text) else "")


def highlight(text: str, words: list[str]) -> SafeString:
    """Escape ``text`` first, then wrap the query's words in <mark>: the only markup in the result is ours."""
    escaped = str(escape(text or ""))
    terms = sorted({str(escape(w)) for w in words if w}, key=len, reverse=True)
    if not terms:
        return mark_safe(escaped)  # noqa: S308 - escaped above
    # Entities produced by escaping are matched first and kept whole, so "amp" never splits "&amp;".
    pattern = re.compile(r"(&#?\w+;)|(" + "|".join(re.escape(t) for t in terms) + ")", re.IGNORECASE | re.UNICODE)
    marked = pattern.sub(lambda m: m.group(1) or f"<mark>{m.group(2)}</mark>", escaped)
    return mark_safe(marked)  # noqa: S308 - escaped above


# --- articles and suggestions -----------------------------------------------------------------


def _matching_articles(query: str, *, operator: str, cap: int) -> list[KBArticlePage]:
    """Live articles whose indexed title, summary, body, tags and products match the query, most relevant first."""
    return list(
        get_search_backend().search(
            query,
            in_active_language(KBArticlePage.objects.live()).only("title", "url_path", "path", "depth", "summary"),
            operator=operator,
            order_by_relevance=settings.SEARCH_RANK_BY_RELEVANCE,
        )[:cap]
    )


def article_suggestions(*, text: str, limit: int = 5) -> list[dict]:
    """Live articles matching what a member is typing (a question title, a chat message): one query, two at most."""
    query = clean_query(text)
    words = significant_words(query)
    limit = max(1, min(int(limit), 10))
    if not words:
        return []
    # Only the significant words: a backend without stop words (SQLite) would otherwise require
    # "how" and "do" too, miss, and pay for a second, any-word query.
    significant = " ".join(words)
    hits = _matching_articles(significant, operator="and", cap=SUGGESTION_CANDIDATES)
    if not hits and len(words) > 1:
        hits = _matching_articles(significant, operator="or", cap=SUGGESTION_CANDIDATES)
    return [
        {"title": page.title, "url": page.get_url(), "excerpt": excerpt(page.summary, words, length=160)}
        for page in hits[:limit]
    ]


def chat_suggestions(text: str, limit: int) -> list[dict]:
    """Articles for a member waiting in the live chat: what the knowledge base puts in community's chat slot."""
    return article_suggestions(text=text, limit=limit)


def bot_answers(query: str, language: str, limit: int) -> list[dict]:
    """Live articles in ``language`` for the chat's help bot, scored by ``community.chat.bot.score``.

    Any of the question's words finds a candidate; the score (the share of the words an article's title and
    summary cover) decides, so a backend that ranks differently (SQLite without ranking) still picks the
    same article. Addresses are built for the best ``limit`` only.
    """
    from community.chat import bot

    words = bot.question_words(query)
    if not words:
        return []
    with translation.override(language):
        pages = _matching_articles(" ".join(words), operator="or", cap=SUGGESTION_CANDIDATES)
        scored = sorted(
            ((bot.score(words, title=page.title, text=page.summary), page) for page in pages),
            key=lambda entry: (-entry[0], entry[1].pk),
        )[: max(1, limit)]
        return [
            {
                "id": page.pk,
                "title": page.title,
                "url": page.get_url(),
                "extract": bot.extract(page.summary, words),
                "score": value,
            }
            for value, page in scored
        ]


# --- unified search ---------------------------------------------------------------------------


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


def _article_hits(query: str) -> list[Hit]:
    return [
        Hit(type="article", key=page.pk, title=page.title, url=page.get_url(), text=page.summary)
        for page in _matching_articles(query, operator="and", cap=RESULTS_PER_TYPE)
    ]


def _thread_hits(user, query: str) -> list[Hit]:
    """Threads the viewer may see with a published post matching every word, best match first (one query).

    The question post is indexed with its thread's title, so one search over posts finds threads
    by title and by text; the excerpt comes from the best matching post. Among equally relevant
    threads, answered ones come first.
    """
    visible = Thread.objects.filter(community_permissions.forum_visibility_q(user, "forum__")).filter(
        community_permissions.thread_public_q(user)
    )
    posts = (
        Post.objects.filter(status=PostStatus.PUBLISHED, thread_id__in=visible.values("pk"))
        .select_related("thread__forum")
        .only(
            "body_html",
            "thread__title",
            "thread__accepted_post_id",
            "thread__forum__name",
            "thread__forum__product",
        )
    )
    if settings.SEARCH_RANK_BY_RELEVANCE:
        found = get_search_backend().search(query, posts, operator="and").annotate_score("relevance")
    else:
        newest_first = posts.order_by("-created_at")
        found = get_search_backend().search(query, newest_first, operator="and", order_by_relevance=False)
    best: dict[int, Post] = {}
    for post in found[:THREAD_POST_CANDIDATES]:
        best.setdefault(post.thread_id, post)
    ranked, tier, previous = [], -1, None
    for post in best.values():
        # Backends order scores differently (SQLite's BM25 ascends), so only equal scores are compared;
        # without ranking every hit is equally relevant and answered threads lead, newest first.
        relevance = getattr(post, "relevance", None)
        if relevance != previous or tier < 0:
            tier, previous = tier + 1, relevance
        ranked.append((tier, not post.thread.accepted_post_id, post))
    ranked.sort(key=lambda entry: entry[:2])
    return [
        Hit(
            type="thread",
            key=post.thread_id,
            title=post.thread.title,
            url=post.thread.get_absolute_url(),
            text=plain_text(post.body_html),
            products=[post.thread.forum.product] if post.thread.forum.product else [],
            answered=bool(post.thread.accepted_post_id),
            meta=post.thread.forum.name,
        )
        for _tier, _unanswered, post in ranked[:RESULTS_PER_TYPE]
    ]


def _own_labels(keys: dict[str, list[int]]) -> list:
    return [
        KBArticlePage.products.through.objects.filter(kbarticlepage_id__in=keys["article"]).values_list(
            Value("article"), F("kbarticlepage_id"), Value("product"), F("kbproduct__name")
        ),
        KBArticleTag.objects.filter(content_object_id__in=keys["article"]).values_list(
            Value("article"), F("content_object_id"), Value("tag"), F("tag__name")
        ),
        Thread.tags.through.objects.filter(thread_id__in=keys["thread"], tag__is_internal=False).values_list(
            Value("thread"), F("thread_id"), Value("tag"), F("tag__name")
        ),
    ]


def _attach_labels(hits: list[Hit]) -> None:
    """Products and tags of every hit in one UNION query over the link tables of all sources."""
    keys = {kind: [h.key for h in hits if h.type == kind] for kind in (*OWN_TYPES, *SEARCH_SOURCES)}
    if not any(keys.values()):
        return
    queries = _own_labels(keys) + [source.labels(keys[kind]) for kind, source in SEARCH_SOURCES.items()]
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
    """KB articles, forum threads and the other sources' content the viewer may see, with facets and promotions.

    One query per type, one for the labels of all hits and one for the promotions: five with ideas.
    The search backend matches and ranks the query; its significant words only mark and cut excerpts.
    """
    cleaned = clean_query(query)
    types = (*OWN_TYPES, *SEARCH_SOURCES)
    selected = {"type": type if type in types else "", "product": product[:120], "tag": tag[:60]}
    if not cleaned:
        return SearchResults(query="", words=[], hits=[], promotions=[], facets={}, selected=selected)
    words = significant_words(cleaned, limit=12) or [w.lower() for w in cleaned.split()][:12]
    hits = _article_hits(cleaned) + _thread_hits(user, cleaned)
    for source in SEARCH_SOURCES.values():
        hits += source.hits(user=user, query=cleaned, limit=RESULTS_PER_TYPE)
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
        h.excerpt = excerpt(h.text, words)
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
