"""Label the mood of texts from standard input, one per line: the analysis engine tested from outside."""

import sys

from django.core.management.base import BaseCommand

from insight.analysis import text_sentiment

# A line longer than this is read no further (the analysis looks at its first few thousand characters
# anyway), so one endless line cannot exhaust memory.
MAX_LINE_BYTES = 64 * 1024


class Command(BaseCommand):
    help = "Reads one text per line on standard input and prints label<TAB>score per line."
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument(
            "--lang",
            choices=("de", "en", "auto"),
            default="auto",
            help="The texts' language; auto detects it per line (other languages are labelled neutral).",
        )

    def handle(self, *args, lang, **options):
        stream = options.get("stdin") or sys.stdin
        for line in _lines(stream):
            sentiment = text_sentiment(line, lang=lang)
            self.stdout.write(f"{sentiment.label}\t{sentiment.score:.3f}")


def _lines(stream):
    """The stream's lines as text, each capped; bytes that are not UTF-8 become replacement characters."""
    source = getattr(stream, "buffer", stream)  # the real stdin is read as bytes: garbage must not raise
    while True:
        line = source.readline(MAX_LINE_BYTES)
        if not line:
            return
        newline = b"\n" if isinstance(line, bytes) else "\n"
        if not line.endswith(newline):
            _skip_rest(source.readline, newline)
        if isinstance(line, bytes):
            line = line.decode("utf-8", errors="replace")
        yield line.rstrip("\r\n")


def _skip_rest(readline, newline):
    """Discard the rest of an over-long line."""
    while True:
        chunk = readline(MAX_LINE_BYTES)
        if not chunk or chunk.endswith(newline):
            return
