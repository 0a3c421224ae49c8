"""Slots other apps fill at start-up so knowledgebase never imports them (DESIGN.md §5).

ideas/ adds its ideas to the unified search. This module imports nothing else of the
knowledge base, so an app that fills a slot depends on it alone, not on what the
knowledge base reads (community/).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import QuerySet


@dataclass
class Hit:
    """One search result of any type, already reduced to what the results page shows."""

    type: str
    key: int
    title: str
    url: str
    text: str = ""  # plain text the excerpt is cut from
    products: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    answered: bool = False
    meta: str = ""
    excerpt: str = ""


@dataclass(frozen=True)
class SearchSource:
    """A kind of content the unified search lists after the articles and threads.

    ``hits(user=, query=, limit=)`` returns up to ``limit`` hits the viewer may see that match
    every word of ``query`` through the search backend (stemmed, stop words dropped), most
    relevant first, in one query. ``labels(keys)`` returns an unevaluated
    ``values_list(type, key, "product" | "tag", name)`` for those hits; the search unions it
    with the other sources' so all labels cost one query.
    """

    type: str
    hits: Callable[..., list[Hit]]
    labels: Callable[[list[int]], QuerySet]


SEARCH_SOURCES: dict[str, SearchSource] = {}


def add_search_source(source: SearchSource) -> None:
    """List ``source``'s hits in the unified search, after the articles and threads (idempotent)."""
    SEARCH_SOURCES[source.type] = source
