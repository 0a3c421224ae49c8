"""How many texts a second the configured analyser labels on one core (run by hand, not a test).

    taskset -c 0 .venv/bin/python tests/insight/throughput.py

Prints insight.sentiment.texts_per_s for the labelled sentences of both languages with --lang auto
(language detection included), and for the same texts repeated into forum-post length.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")

import django  # noqa: E402

django.setup()

from insight.analysis import text_keywords, text_sentiment  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"


def texts() -> list[str]:
    lines = []
    for name in ("labelled_de.tsv", "labelled_en.tsv"):
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                lines.append(line.split("\t")[1])
    return lines


def rate(function, corpus: list[str], seconds: float = 3.0) -> float:
    function(corpus[0])  # loads the models
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for text in corpus:
            function(text)
        done += len(corpus)
    return done / (time.perf_counter() - started)


def main() -> None:
    short = texts()
    posts = [" ".join(short[i : i + 6]) for i in range(0, len(short), 6)]  # ~6 sentences, ~400 characters
    print(f"texts: {len(short)} sentences (mean {sum(map(len, short)) / len(short):.0f} chars), {len(posts)} posts")
    print(f"insight.sentiment.texts_per_s (sentences) {rate(text_sentiment, short):.0f}")
    print(f"insight.sentiment.texts_per_s (posts) {rate(text_sentiment, posts):.0f}")
    print(f"insight.keywords.texts_per_s (sentences) {rate(text_keywords, short):.0f}")


if __name__ == "__main__":
    main()
