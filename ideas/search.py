"""Ideas in the knowledge base's unified search, through the slot knowledgebase offers (it never imports ideas)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import F, QuerySet, Value
from taggit.models import TaggedItem
from wagtail.search.backends import get_search_backend

from ideas.models import Idea, public_tag_q
from ideas.selectors import idea_list
from knowledgebase.extensions import Hit, SearchSource
from portal.inputs import search_words


def idea_hits(*, user, query: str, limit: int) -> list[Hit]:
    """Ideas from the member-facing list (merged duplicates left out) matching every word, most relevant first."""
    query, _cut = search_words(query)
    if not query:
        return []
    # Ideas have no access rules; ``user`` would only add the viewer's vote state, which results do not show.
    ideas = idea_list(board=None, user=None).select_related("board")
    if settings.SEARCH_RANK_BY_RELEVANCE:
        found = get_search_backend().search(query, ideas, operator="and")[:limit]
    else:
        most_voted = ideas.order_by("-vote_count", "-created_at")
        found = get_search_backend().search(query, most_voted, operator="and", order_by_relevance=False)[:limit]
    return [
        Hit(
            type="idea",
            key=i.pk,
            title=i.title,
            url=i.get_absolute_url(),
            text=i.body,
            products=[i.board.name],
            meta=i.get_status_display(),
        )
        for i in found
    ]


def idea_labels(keys: list[int]) -> QuerySet:
    """The tags of the ideas found, as rows the search unions with its own labels."""
    idea_type = ContentType.objects.get_for_model(Idea)  # cached by Django after the first call
    return TaggedItem.objects.filter(public_tag_q(), content_type_id=idea_type.pk, object_id__in=keys).values_list(
        Value("idea"), F("object_id"), Value("tag"), F("tag__name")
    )


SOURCE = SearchSource(type="idea", hits=idea_hits, labels=idea_labels)
