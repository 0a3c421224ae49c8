"""Public handles (the only name a member shows publicly by default) and the clean-up of every name a member types."""

from __future__ import annotations

import re
import secrets
import unicodedata

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


# Handles that would pass a member off as the operator or its staff. Compared by ``handle_skeleton``,
# so case, separators and look-alike digits ("Ad-min", "admin_", "m0derator") do not get around it.
RESERVED_HANDLES = frozenset(
    {
        "abuse",
        "admin",
        "administrator",
        "anonymous",
        "api",
        "billing",
        "ceo",
        "community",
        "compliance",
        "datenschutz",
        "deleted-member",
        "dpo",
        "help",
        "helpdesk",
        "hostmaster",
        "info",
        "legal",
        "mod",
        "moderation",
        "moderator",
        "noreply",
        "no-reply",
        "null",
        "official",
        "operator",
        "owner",
        "postmaster",
        "privacy",
        "root",
        "security",
        "staff",
        "superuser",
        "support",
        "sysadmin",
        "system",
        "team",
        "webmaster",
    }
)
# Digits and signs read as letters in a handle: "4dm1n", "r00t", "5upp0rt".
LOOKALIKES = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "l": "i",
        "!": "i",
        "|": "i",
        "3": "e",
        "4": "a",
        "@": "a",
        "5": "s",
        "$": "s",
        "7": "t",
        "8": "b",
        "9": "g",
    }
)
SEPARATORS = re.compile(r"[\W_]+")
# Removed from every name: control characters, format characters (bidi embeddings, overrides and isolates
# U+202A-U+202E and U+2066-U+2069, zero-width and direction marks U+200B-U+200F, U+FEFF, soft hyphen),
# surrogates, private-use and unassigned code points.
REMOVED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def normalise_name(value: str) -> str:
    """A name as shown: NFKC-normalised, without invisible or direction-changing characters, single spaces."""
    value = unicodedata.normalize("NFKC", value)
    value = "".join(
        " " if char.isspace() else char
        for char in value
        if char.isspace() or unicodedata.category(char) not in REMOVED_CATEGORIES
    )
    return " ".join(value.split())


def handle_skeleton(value: str) -> str:
    """What a handle reads as: case-folded, separators dropped, look-alike digits and signs as letters."""
    value = normalise_name(value).casefold().translate(LOOKALIKES)
    value = unicodedata.normalize("NFKD", value)
    value = "".join(char for char in value if not unicodedata.combining(char))
    return SEPARATORS.sub("", value)


RESERVED_SKELETONS = frozenset(handle_skeleton(handle) for handle in RESERVED_HANDLES)


def is_reserved_handle(value: str) -> bool:
    """Whether ``value`` reads as a reserved handle, as a whole ("ad-min") or as one of its words ("admin-anna")."""
    words = [word for word in SEPARATORS.split(normalise_name(value).casefold()) if word]
    return handle_skeleton(value) in RESERVED_SKELETONS or any(
        handle_skeleton(word) in RESERVED_SKELETONS for word in words
    )


def random_handle() -> str:
    """A handle like ``quiet-otter-4821`` (64 million combinations; none reads as a reserved handle)."""
    return f"{secrets.choice(ADJECTIVES)}-{secrets.choice(ANIMALS)}-{secrets.randbelow(10000):04d}"


def is_valid_handle(value: str) -> bool:
    return bool(HANDLE_RE.match(value)) and "--" not in value
