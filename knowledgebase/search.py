"""Query cleaning, excerpts and highlighting shared by the unified search and the suggestions."""

from __future__ import annotations

import re

from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe

MAX_QUERY_CHARS = 200
MAX_WORDS = 12
EXCERPT_CHARS = 220
WORD = re.compile(r"\w+", re.UNICODE)
STOP_WORDS = frozenset(
    "a an the and or of to in on at for with from is are be it my i how do does can what why when where "
    "der die das und oder zu im in am an auf für mit von ist sind ein eine wie was warum wann wo ich mein".split()
)


def clean_query(raw: str | None) -> str:
    """The words of a visitor's query (punctuation dropped, length capped); '' when nothing searchable is left."""
    words = WORD.findall((raw or "")[: MAX_QUERY_CHARS * 4])
    return " ".join(words[:MAX_WORDS])[:MAX_QUERY_CHARS].strip()


def significant_words(text: str, *, limit: int = 8) -> list[str]:
    """Distinct words worth matching (stop words and one-letter words dropped), in order of appearance."""
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
