"""The chat's help bot: which knowledge-base article or accepted forum answer answers a member's question.

The sources are the slot ``community.extensions.BOT_ANSWER_SOURCES``: knowledgebase/ adds its articles (in
the member's language) from its apps.py, this app adds the forum's accepted answers. Every source finds its
candidates with the Wagtail search backend and scores them with ``score`` below, so the scores of every
source and every backend (PostgreSQL's ranks and SQLite's BM25 do not compare) mean the same: the share of
the question's significant words a candidate covers. Reads only; the writes are in ``services``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils.html import strip_tags
from wagtail.search.backends import get_search_backend

from community import extensions

logger = logging.getLogger(__name__)

WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 12
# Words sharing their first five letters count as one ("export", "exports", "exportieren"): a light stemming
# that works the same for English and German on every search backend.
STEM_CHARS = 5
TEXT_WEIGHT = 0.7
EXTRACT_CHARS = 200
CANDIDATES = 20
STOP_WORDS = frozenset(
    "a an the and or but of to in on at for with from by is are was be been it its my me i you your we our how "
    "do does did can could what why when where which who this that there not no yes please help hello hi thanks "
    "get got have has want need would should will about any some just "
    "der die das den dem des und oder aber zu im in am an auf für mit von bei ist sind war sein es mein meine "
    "ich du sie wir ihr wie was warum wann wo wer welche dies diese nicht kein keine ja bitte hallo danke "
    "habe hat haben kann können möchte will soll einen einem einer eine ein".split()
)


@dataclass(frozen=True)
class BotCandidate:
    """One thing the bot could answer with, scored 0..1."""

    kind: str
    id: int
    title: str
    url: str
    extract: str
    score: float


def min_score() -> float:
    return settings.CHAT_BOT_MIN_SCORE


def question_words(text: str, *, limit: int = MAX_WORDS) -> list[str]:
    """The distinct significant words of what the member wrote, lower-cased, in order (stop words dropped)."""
    seen: list[str] = []
    for word in WORD.findall((text or "")[:4000]):
        lowered = word.lower()
        if len(lowered) < 2 or lowered.isdigit() or lowered in STOP_WORDS or lowered in seen:
            continue
        seen.append(lowered)
        if len(seen) >= limit:
            break
    return seen


def _stem(word: str) -> str:
    return word[:STEM_CHARS]


def _stems(text: str) -> set[str]:
    return {_stem(w.lower()) for w in WORD.findall(text or "")}


def score(words: list[str], *, title: str, text: str) -> float:
    """The share of ``words`` the candidate covers: a word in the title counts 1, one only in the text 0.7.

    Divided by at least two words, so a one-word question never reaches a confident answer on its own.
    """
    if not words:
        return 0.0
    in_title, in_text = _stems(title), _stems(text)
    total = 0.0
    for word in words:
        stem = _stem(word)
        if stem in in_title:
            total += 1.0
        elif stem in in_text:
            total += TEXT_WEIGHT
    return round(total / max(len(words), 2), 3)


def plain_text(html: str) -> str:
    return " ".join(strip_tags(html or "").split())


def extract(text: str, words: list[str], *, length: int = EXTRACT_CHARS) -> str:
    """A short window of ``text`` around the first word of the question it contains, cut at word edges."""
    text = " ".join((text or "").split())
    if len(text) <= length:
        return text
    lowered = text.lower()
    positions = [lowered.find(w) for w in words if lowered.find(w) >= 0]
    start = max(0, min(positions) - length // 4) if positions else 0
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    window = text[start : start + length].rsplit(" ", 1)[0]
    return ("…" if start else "") + window + "…"


def best_answer(text: str, *, language: str) -> BotCandidate | None:
    """The best candidate of every source for ``text`` when it scores at least ``CHAT_BOT_MIN_SCORE``, else None.

    Ties go to the knowledge base (reviewed articles before forum answers), then to the older item.
    """
    words = question_words(text)
    if not words:
        return None
    query = " ".join(words)
    found: list[BotCandidate] = []
    for kind, source in extensions.BOT_ANSWER_SOURCES.items():
        try:
            rows = source(query, language, CANDIDATES)
        except Exception:  # noqa: BLE001 - a failing source leaves the member to a person, never breaks the chat
            logger.exception("Help bot source %s failed", kind)
            continue
        for row in rows:
            found.append(
                BotCandidate(
                    kind=kind,
                    id=int(row["id"]),
                    title=str(row["title"]),
                    url=str(row["url"]),
                    extract=str(row.get("extract", "")),
                    score=float(row["score"]),
                )
            )
    found.sort(key=lambda c: (-c.score, c.kind != "kb_article", c.id))
    if found and found[0].score >= min_score() and found[0].url:
        return found[0]
    return None


# --- the forum's source: accepted answers in public threads ------------------------------------------


def forum_answers(query: str, language: str, limit: int) -> list[dict]:
    """Accepted answers of public threads matching ``query``, scored; what anyone may read, nothing private.

    Public means: a public forum, a thread that is not private, held or hidden, and an accepted answer that
    is published. The forum has no language of its own, so ``language`` does not narrow it. Three queries.
    """
    from community.models import Post, Thread
    from community.models.forum import PostStatus, ThreadState

    words = question_words(query)
    if not words:
        return []
    eligible = (
        Thread.objects.filter(
            forum__is_private=False,
            is_private=False,
            is_held=False,
            accepted_post__isnull=False,
            accepted_post__status=PostStatus.PUBLISHED,
        )
        .exclude(state=ThreadState.HIDDEN)
        .values("pk")
    )
    posts = Post.objects.filter(status=PostStatus.PUBLISHED, thread_id__in=eligible).only("pk", "thread_id")
    hits = get_search_backend().search(" ".join(words), posts, operator="or", order_by_relevance=False)
    thread_ids = list(dict.fromkeys(post.thread_id for post in hits[: limit * 3]))[:limit]
    if not thread_ids:
        return []
    threads = (
        Thread.objects.filter(pk__in=thread_ids)
        .select_related("accepted_post")
        .only("id", "title", "accepted_post__id", "accepted_post__body_html")
    )
    questions = dict(
        Post.objects.filter(Q(is_question=True), thread_id__in=thread_ids).values_list("thread_id", "body_html")
    )
    rows = []
    for thread in threads:
        answer = plain_text(thread.accepted_post.body_html)
        rows.append(
            {
                "id": thread.accepted_post.pk,
                "title": thread.title,
                "url": thread.accepted_post.get_absolute_url(),
                "extract": extract(answer, words),
                "score": score(words, title=thread.title, text=f"{plain_text(questions.get(thread.pk, ''))} {answer}"),
            }
        )
    return rows
