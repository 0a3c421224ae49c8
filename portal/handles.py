"""Generated public handles: the only name a member shows publicly by default."""

from __future__ import annotations

import re
import secrets

ADJECTIVES = (
    "quiet",
    "brave",
    "calm",
    "eager",
    "gentle",
    "happy",
    "keen",
    "lively",
    "merry",
    "nimble",
    "polite",
    "proud",
    "silly",
    "swift",
    "witty",
    "bright",
    "clever",
    "daring",
    "fancy",
    "jolly",
    "kind",
    "lucky",
    "mighty",
    "noble",
    "plucky",
    "rapid",
    "sunny",
    "tidy",
    "vivid",
    "wise",
    "amber",
    "azure",
    "coral",
    "golden",
    "misty",
    "rosy",
    "silver",
    "snowy",
    "stormy",
    "velvet",
)
ANIMALS = (
    "otter",
    "badger",
    "falcon",
    "heron",
    "lynx",
    "marten",
    "owl",
    "panda",
    "puffin",
    "raven",
    "robin",
    "salmon",
    "seal",
    "sparrow",
    "stoat",
    "swan",
    "tiger",
    "turtle",
    "walrus",
    "wolf",
    "beaver",
    "bison",
    "crane",
    "dolphin",
    "eagle",
    "ferret",
    "gecko",
    "hare",
    "ibis",
    "koala",
    "lemur",
    "magpie",
    "newt",
    "orca",
    "pelican",
    "quail",
    "tapir",
    "vole",
    "wren",
    "yak",
)
HANDLE_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$")


def random_handle() -> str:
    """A handle like ``quiet-otter-4821`` (64 million combinations)."""
    return f"{secrets.choice(ADJECTIVES)}-{secrets.choice(ANIMALS)}-{secrets.randbelow(10000):04d}"


def is_valid_handle(value: str) -> bool:
    return bool(HANDLE_RE.match(value)) and "--" not in value
