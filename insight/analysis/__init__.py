"""The text analysis behind insight: one small interface, one configured implementation.

Everything that labels or mines member text (the `analyse_text` command, the background task and the
dashboards that will follow) goes through `text_sentiment` and `text_keywords`, so they agree. The
implementation is the class named by the INSIGHT_ANALYSER setting; a company plugs in a better model by
writing a class with the three methods of `Analyser` and pointing the setting at it.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from typing import Literal, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

Language = Literal["de", "en"]
LANGUAGES: tuple[Language, ...] = ("de", "en")

# Lexicon analysis is linear in the text, but a pasted log file should not hold a worker: only the
# beginning of a long text is analysed (a forum post rarely says its mood after the first pages).
MAX_CHARS = 5000
# Below this share of letters among the visible characters a text is noise (hashes, base64, binary).
MIN_LETTER_SHARE = 0.5


@dataclass(frozen=True)
class Sentiment:
    """The mood of one text: a label and a score in [-1, 1] (negative to positive)."""

    label: Literal["positive", "neutral", "negative"]
    score: float


NEUTRAL = Sentiment("neutral", 0.0)


class Analyser(Protocol):
    """What insight needs from a language model; the default is `insight.analysis.lexical.LexicalAnalyser`."""

    def language(self, text: str) -> Language | None:
        """ "de" or "en", or None when the text is in another language or too unclear to tell."""

    def sentiment(self, text: str, lang: Language) -> Sentiment:
        """The mood of a text known to be in `lang`."""

    def keywords(self, text: str, lang: Language) -> list[str]:
        """Lemmatised, case-folded content words of the text, stop words removed, each once, in order."""


@functools.cache
def _analyser_for(path: str) -> Analyser:
    return import_string(path)()


def analyser() -> Analyser:
    """The configured analyser, built once per process (loading lexicons and models takes a moment)."""
    return _analyser_for(settings.INSIGHT_ANALYSER)


def clean_text(text: str) -> str:
    """The part of a text worth analysing: capped, control characters gone, "" for noise."""
    text = text[:MAX_CHARS]
    text = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text)
    visible = [ch for ch in text if not ch.isspace()]
    if not visible:
        return ""
    letters = sum(ch.isalpha() for ch in visible)
    if letters < 2 or letters / len(visible) < MIN_LETTER_SHARE:
        return ""
    return " ".join(text.split())


def detect_language(text: str) -> Language | None:
    """The text's language if it is one insight analyses."""
    text = clean_text(text)
    return analyser().language(text) if text else None


def _resolve(text: str, lang: str) -> tuple[str, Language | None]:
    text = clean_text(text)
    if not text:
        return "", None
    if lang == "auto":
        return text, analyser().language(text)
    return text, lang if lang in LANGUAGES else None


def text_sentiment(text: str, *, lang: str = "auto") -> Sentiment:
    """The mood of a member's text; neutral for empty, noisy or unsupported-language text, never an error."""
    text, resolved = _resolve(text, lang)
    if resolved is None:
        return NEUTRAL
    return analyser().sentiment(text, resolved)


def text_keywords(text: str, *, lang: str = "auto") -> list[str]:
    """The topics of a member's text (lemmas), empty for noise or an unsupported language."""
    text, resolved = _resolve(text, lang)
    if resolved is None:
        return []
    return analyser().keywords(text, resolved)


def text_analysis(text: str, *, lang: str = "auto") -> tuple[Language | None, Sentiment, list[str]]:
    """Language, mood and keywords of one text, cleaning it once: what the background analysis stores.

    The same steps as ``text_sentiment`` and ``text_keywords`` (so `analyse_text` prints the label a post gets).
    """
    text, resolved = _resolve(text, lang)
    if resolved is None:
        return None, NEUTRAL, []
    engine = analyser()
    return resolved, engine.sentiment(text, resolved), engine.keywords(text, resolved)
