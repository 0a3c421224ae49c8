"""What every view and consumer does with untrusted input: control characters out, integers bounded,
search text reduced to words, JSON parsed with a size and depth limit.

One place, so the database never sees a NUL byte (PostgreSQL refuses them in text), a page number
the database cannot hold, or search syntax a backend would try to parse (SQLite's FTS5 fails on a
stray quote), and no JSON document can exhaust the parser's recursion.
"""

from __future__ import annotations

import json
import re

from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

# C0 controls and DEL. Form bodies keep tab, line feed and carriage return (text areas need them).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
CONTROL_CHARACTERS_EXCEPT_WHITESPACE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Surrogates cannot be encoded as UTF-8 (a JSON "\ud800" escape decodes to one) and break every database.
SURROGATES = re.compile(r"[\ud800-\udfff]")

MAX_PAGE = 10_000
SEARCH_MAX_CHARS = 200
SEARCH_MAX_WORDS = 12
WORD = re.compile(r"\w+", re.UNICODE)
INTEGER = re.compile(r"[+-]?[0-9]+")

JSON_MAX_BYTES = 64 * 1024
JSON_MAX_DEPTH = 20


def clean_text(value: str, *, multiline: bool = False) -> str:
    """``value`` without control characters (tab and line breaks stay when ``multiline``) and surrogates."""
    pattern = CONTROL_CHARACTERS_EXCEPT_WHITESPACE if multiline else CONTROL_CHARACTERS
    return SURROGATES.sub("", pattern.sub("", value))


def has_control_characters(value: str) -> bool:
    return bool(CONTROL_CHARACTERS.search(value) or SURROGATES.search(value))


def bounded_int(value, default: int, maximum: int, *, minimum: int = 1) -> int:
    """``value`` as an integer within [minimum, maximum]; ``default`` when it is not an integer at all."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        number = value
    else:
        text = str(value or "").strip()
        if not INTEGER.fullmatch(text):
            return default
        # Bounded before int(): a 5,000-digit string costs time to convert and is past any maximum anyway.
        if len(text.lstrip("+-").lstrip("0")) > 18:
            return minimum if text.startswith("-") else maximum
        number = int(text)
    return max(minimum, min(number, maximum))


def page_number(request, name: str = "page", *, maximum: int = MAX_PAGE) -> int:
    """The page a list was asked for: 1 when missing or not a number, never beyond ``maximum``."""
    return bounded_int(request.GET.get(name), 1, maximum)


def search_words(raw: str | None, *, max_chars: int = SEARCH_MAX_CHARS, max_words: int = SEARCH_MAX_WORDS):
    """The words of a visitor's search as text every backend takes literally, and whether it was shortened.

    Only word characters survive: quotes, operators, brackets and ``*`` are search syntax on
    SQLite FTS5 and noise on PostgreSQL, and a visitor typing them means the words around them.
    """
    text = raw or ""
    words = WORD.findall(text[: max_chars * 4])
    kept = " ".join(words[:max_words])
    cut = len(words) > max_words or len(kept) > max_chars or len(text) > max_chars * 4
    return kept[:max_chars].strip(), cut


SEARCH_SHORTENED = _(
    "Your search was long, so only its first %(words)d words (at most %(chars)d characters) were used."
)


def search_shortened_message() -> str:
    return SEARCH_SHORTENED % {"words": SEARCH_MAX_WORDS, "chars": SEARCH_MAX_CHARS}


def safe_next_url(target: str | None, *, request, fallback: str) -> str:
    """``target`` when it is a path on this site, else ``fallback``.

    Only paths: ``redirect()`` takes a bare word such as "ab" for a URL pattern name and fails on it.
    """
    target = target or ""
    if (
        target.startswith("/")
        and not target.startswith("//")
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return fallback


class JSONInputError(ValueError):
    """A JSON body or frame that is refused; ``code`` names why (too_large, too_deep, bad_json)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def _depth_within(text: str, max_depth: int) -> bool:
    """Bracket nesting of the raw text, outside strings, stays within ``max_depth`` (checked before parsing)."""
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > max_depth:
                return False
        elif char in "]}":
            depth -= 1
    return True


def _strings_clean(value) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item or SURROGATES.search(item):
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def load_json(text: str | bytes | None, *, max_bytes: int = JSON_MAX_BYTES, max_depth: int = JSON_MAX_DEPTH):
    """The parsed document, or JSONInputError: too large, nested too deep, not JSON, or holding NUL/surrogates."""
    if text is None:
        raise JSONInputError("bad_json")
    if len(text) > max_bytes or (isinstance(text, str) and len(text.encode("utf-8", "surrogatepass")) > max_bytes):
        raise JSONInputError("too_large")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise JSONInputError("bad_json") from None
    if not _depth_within(text, max_depth):
        raise JSONInputError("too_deep")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise JSONInputError("bad_json") from None
    if not _strings_clean(document):
        raise JSONInputError("bad_json")
    return document


JSON_ERROR_TEXTS = {
    "too_large": _("The message is too large."),
    "too_deep": _("The message is nested too deeply."),
    "bad_json": _("The message is not valid JSON."),
}
