"""The default analyser: lexicons and a language model that ship inside their wheels, nothing downloaded.

- language: py3langid (langid.py's naive Bayes model, in the wheel), narrowed to the languages a
  European customer community meets, with a stop-word check for very short texts;
- English mood: VADER (vaderSentiment, lexicon in the wheel), which handles negation, boosters
  ("really", "extremely"), "but" and emphasis, plus a few support words (en_supplement.tsv);
- German mood: the German Polarity Lexicon (data/de_polarity.tsv, Apache-2.0) with the support
  vocabulary of data/de_supplement.tsv, scored the way VADER scores English (negation scope before
  and, for German verb-second clauses, after the word; boosters; "aber" shifting the weight);
- keywords: simplemma lemmas (dictionaries in the wheel) minus the stop-word lists of stop-words.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import py3langid.langid
import simplemma
from stop_words import get_stop_words
from vaderSentiment import vaderSentiment as vader

from insight.analysis import Language, Sentiment

DATA = Path(__file__).resolve().parent / "data"

# Languages the detector chooses among. A wider set would let a short German or English support text
# drift to a rare language; a narrower one would call French or Polish text German.
CANDIDATE_LANGUAGES = ("de", "en", "fr", "es", "it", "nl", "pt", "pl", "sv", "da", "no", "tr", "cs", "fi", "ru")
# VADER's thresholds for its compound score.
POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05
# The lexicon's polarities are in [-1, 1], VADER's valences in [-4, 4]: scaled so both compound alike.
GERMAN_SCALE = 2.5
# A negation with no mood word to turn ("I can't log in", "keine Antwort") is a complaint in support
# text; it weighs like a mildly negative word.
BARE_NEGATION = -1.0

WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*", re.UNICODE)
# Clauses end after punctuation (kept with the clause, "!" adds emphasis); negation does not cross them.
CLAUSE_BREAK = re.compile(r"(?<=[.,;:!?])\s+|\n+")

GERMAN_NEGATORS = frozenset(
    "nicht nichts nie niemals kein keine keinen keinem keiner keines kaum weder nirgends niemand".split()
)
# Negations that also turn a word before them in a verb-second clause ("klappt nicht", "geht nie");
# "niemand", "keiner", "nichts" are a subject or an object and turn only what follows.
GERMAN_POSTPOSED_NEGATORS = frozenset({"nicht", "nie", "niemals", "kaum"})
# A negation after "und", "weil", ... belongs to the new part of the sentence.
GERMAN_CONJUNCTIONS = frozenset({"und", "oder", "aber", "weil", "dass", "denn", "obwohl", "wenn", "sondern"})
# "ohne Probleme" is good, "ohne Grund gesperrt" is not: "ohne" turns only the word right after it.
GERMAN_WITHOUT = "ohne"
# Mood words a negation does not turn: "funktioniert leider nicht" negates the verb, not "leider".
GERMAN_NOT_NEGATED = frozenset({"leider", "danke", "dankeschön", "bitte", "gerne", "gern"})
GERMAN_ENDINGS = ("em", "en", "er", "es", "e")
GERMAN_BOOSTERS = {
    **dict.fromkeys(
        "sehr extrem total echt wirklich absolut äußerst äusserst besonders richtig mega voll "
        "unglaublich enorm völlig komplett ausgesprochen höchst so zu".split(),
        0.293,
    ),
    **dict.fromkeys("ziemlich recht ganz".split(), 0.15),
    **dict.fromkeys("etwas bisschen leicht wenig eher".split(), -0.293),
}
GERMAN_BUT = frozenset({"aber", "jedoch", "allerdings", "sondern", "trotzdem"})
ENGLISH_BUT = frozenset({"but", "however", "although", "though"})
ENGLISH_NEGATION = re.compile(
    r"\b(?:not|no|never|none|nothing|nobody|cannot|without|neither|nor)\b|n['’]t\b", re.IGNORECASE
)
# Phrases whose mood no single word carries; replaced by a marker word the lexicon knows.
GERMAN_PHRASES = (
    (re.compile(r"\bnie\s+wieder\b", re.IGNORECASE), "niewieder"),
    (re.compile(r"\bvielen\s+dank\b", re.IGNORECASE), "dankeschön"),
    (
        re.compile(
            r"\bproblem(?:e)?\s+(?:(?:ist|sind|wurde|wurden|hat\s+sich|haben\s+sich)\s+)?(?:(?!nicht\b|nie\b|noch\b)\w+\s+)?(gelöst|behoben)\b",
            re.IGNORECASE,
        ),
        r"\1",
    ),
)
ENGLISH_PHRASES = (
    (re.compile(r"\bnever\s+again\b", re.IGNORECASE), "neveragain"),
    (re.compile(r"\bwaste\s+of\s+(?:time|money)\b", re.IGNORECASE), "wasteoftime"),
    (re.compile(r"\b(?:stopped|stops|quit)\s+working\b", re.IGNORECASE), "stoppedworking"),
    (
        re.compile(
            r"\b(?:problem|issue)s?\s+(?:(?:is|are|was|were|has\s+been|have\s+been|got)\s+)?(?:(?!not\b|never\b|still\b)\w+\s+)?(solved|fixed|resolved)\b",
            re.IGNORECASE,
        ),
        r"\1",
    ),
)


def _read_lexicon(path: Path) -> dict[str, float]:
    """word -> polarity; a 0 in a supplement removes a word whose lexicon polarity misleads in support text."""
    entries = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            word, polarity = line.split("\t")
            entries[word.casefold()] = float(polarity)
    return entries


def _compound(total: float) -> float:
    return max(-1.0, min(1.0, total / math.sqrt(total * total + 15)))


def _uncompound(compound: float) -> float:
    """The raw valence sum behind a VADER compound score (its inverse, clipped short of +-1)."""
    compound = max(-0.9999, min(0.9999, compound))
    return math.sqrt(15) * compound / math.sqrt(1 - compound * compound)


def _clauses(text: str) -> list[str]:
    return [clause for clause in CLAUSE_BREAK.split(text) if clause.strip()]


def _combine(totals: list[tuple[str, float]], but_words: frozenset[str]) -> float:
    """Sum clause valences; a clause opened by "but"/"aber" outweighs what came before (VADER's rule)."""
    total = 0.0
    for clause, value in totals:
        first = WORD.match(clause.lstrip())
        if first and first.group(0).casefold() in but_words:
            total = total * 0.5
            value = value * 1.5
        total += value
    return total


def _sentiment(score: float) -> Sentiment:
    score = round(score, 3)
    if score >= POSITIVE_AT:
        return Sentiment("positive", score)
    if score <= NEGATIVE_AT:
        return Sentiment("negative", score)
    return Sentiment("neutral", score)


class LexicalAnalyser:
    """Offline analysis for German and English from lexicons; fast (thousands of texts a second)."""

    def __init__(self) -> None:
        self._identifier = py3langid.langid.LanguageIdentifier.from_model_file(
            py3langid.langid.MODEL_FILE, norm_probs=True
        )
        self._identifier.set_languages(list(CANDIDATE_LANGUAGES))
        self._stop_words = {lang: frozenset(get_stop_words(lang)) for lang in ("de", "en")}
        self._vader = vader.SentimentIntensityAnalyzer()
        self._vader.lexicon.update(_read_lexicon(DATA / "en_supplement.tsv"))
        german = _read_lexicon(DATA / "de_polarity.tsv")
        german.update(_read_lexicon(DATA / "de_supplement.tsv"))
        self._german = {word: polarity for word, polarity in german.items() if word not in GERMAN_NEGATORS}

    # language

    def language(self, text: str) -> Language | None:
        lang, _confidence = self._identifier.classify(text)
        if lang in ("de", "en"):
            return lang
        # Two or three words give the model little to go on; the share of German or English function
        # words then decides ("Login geht nicht" is German even when the model leans to Dutch).
        words = [w.casefold() for w in WORD.findall(text)]
        if not words or len(words) > 8:
            return None
        shares = {code: sum(w in self._stop_words[code] for w in words) / len(words) for code in ("de", "en")}
        best = max(shares, key=shares.get)
        return best if shares[best] >= 0.34 and shares["de"] != shares["en"] else None

    # sentiment

    def sentiment(self, text: str, lang: Language) -> Sentiment:
        if lang == "de":
            return _sentiment(self._german_score(text))
        return _sentiment(self._english_score(text))

    def _english_score(self, text: str) -> float:
        for pattern, marker in ENGLISH_PHRASES:
            text = pattern.sub(marker, text)
        # VADER lets a negation reach across commas ("finds nothing, totally useless"): clause by clause.
        totals = [(clause, _uncompound(self._vader.polarity_scores(clause)["compound"])) for clause in _clauses(text)]
        total = _combine(totals, ENGLISH_BUT)
        if total == 0 and ENGLISH_NEGATION.search(text):
            total = BARE_NEGATION
        return _compound(total)

    def _german_score(self, text: str) -> float:
        for pattern, marker in GERMAN_PHRASES:
            text = pattern.sub(marker, text)
        totals = []
        negations = 0
        for clause in _clauses(text):
            clause_total, clause_negations = self._german_clause(clause)
            totals.append((clause, clause_total))
            negations += clause_negations
        total = _combine(totals, GERMAN_BUT)
        if total == 0 and negations:
            total = BARE_NEGATION
        if text.count("!") and total:
            total += math.copysign(min(text.count("!"), 4) * 0.292, total)
        return _compound(total)

    def _german_clause(self, clause: str) -> tuple[float, int]:
        """The summed valence of one clause and the number of negations that found no word to turn."""
        words = WORD.findall(clause)
        tokens = [w.casefold() for w in words]
        valences: list[float | None] = [self._german_valence(word) for word in words]
        for i, valence in enumerate(valences):
            if valence is None:
                continue
            # Boosters right before the word scale it ("sehr gut", "extrem langsam").
            for j in (i - 1, i - 2):
                if j >= 0 and tokens[j] in GERMAN_BOOSTERS:
                    valence += math.copysign(GERMAN_BOOSTERS[tokens[j]], valence)
            valences[i] = valence
        unresolved = 0
        for i, token in enumerate(tokens):
            if token == GERMAN_WITHOUT and i + 1 < len(tokens) and valences[i + 1] is not None:
                valences[i + 1] = -valences[i + 1] * 0.74
            if token not in GERMAN_NEGATORS:
                continue
            # "nicht gut", "kein Problem": the next mood word within three; German puts the negation
            # after the verb ("gefällt mir nicht", "funktioniert leider nicht"): else the one before.
            after = next(
                (j for j in range(i + 1, min(i + 4, len(tokens))) if self._negatable(tokens[j], valences[j])), None
            )
            before = None
            if token in GERMAN_POSTPOSED_NEGATORS:
                for j in range(i - 1, -1, -1):
                    if tokens[j] in GERMAN_CONJUNCTIONS:
                        break
                    if self._negatable(tokens[j], valences[j]):
                        before = j
                        break
            target = after if after is not None else before
            if target is None:
                unresolved += 1
            else:
                valences[target] = -valences[target] * 0.74
        but = next((i for i, token in enumerate(tokens) if i and token in GERMAN_BUT), None)
        total = 0.0
        for i, valence in enumerate(valences):
            if valence is None:
                continue
            if but is not None:
                valence *= 0.5 if i < but else 1.5
            total += valence
        return total, unresolved

    @staticmethod
    def _negatable(token: str, valence: float | None) -> bool:
        return valence is not None and token not in GERMAN_NOT_NEGATED

    def _german_valence(self, word: str) -> float | None:
        """The word's valence: its own form, its lemma, or an adjective stem ("tolle" -> "toll")."""
        folded = word.casefold()
        if folded in GERMAN_NEGATORS or folded in GERMAN_BOOSTERS:
            return None
        polarity = self._german.get(folded)
        if polarity is None:
            polarity = self._german.get(simplemma.lemmatize(word, lang="de").casefold())
        if polarity is None:
            stem = next(
                (folded[: -len(e)] for e in GERMAN_ENDINGS if folded.endswith(e) and len(folded) - len(e) >= 3), None
            )
            polarity = self._german.get(stem) if stem else None
        return polarity * GERMAN_SCALE if polarity else None  # 0: a supplement silenced the word

    # keywords

    def keywords(self, text: str, lang: Language) -> list[str]:
        stop = self._stop_words[lang]
        seen: dict[str, None] = {}
        for token in WORD.findall(text):
            folded = token.casefold()
            if len(folded) < 3 or folded in stop:
                continue
            lemma = simplemma.lemmatize(token, lang=lang).casefold()
            if len(lemma) >= 3 and lemma not in stop:
                seen.setdefault(lemma, None)
        return list(seen)
