"""Slots between apps: the knowledge base fills community's chat slot, ideas fill the knowledge base's search slot."""

from __future__ import annotations

import pytest

from community import extensions as community_extensions
from community.chat import selectors as chat_selectors
from ideas import services as idea_services
from ideas.models import Board
from knowledgebase import extensions as kb_extensions
from knowledgebase.search import unified_search


@pytest.fixture
def idea(customer, django_capture_on_commit_callbacks):
    """An idea posted through the service and indexed after commit, as the worker would."""
    board = Board.objects.create(name="Acme Cloud", slug="acme-cloud")
    with django_capture_on_commit_callbacks(execute=True):
        return idea_services.idea_create(
            board=board, author=customer, title="Invoice as PDF", body="Please add PDF invoices."
        )


def test_chat_suggests_live_articles_through_communitys_slot(make_article):
    """A member writing in the chat is offered matching live articles, found through the slot the KB filled."""
    article = make_article(title="Download an invoice", summary="Invoices are in Billing.")
    make_article(title="Invoice draft", live=False)
    make_article(title="Export projects")
    assert chat_selectors.kb_suggestions("Where is my invoice?") == [
        {"title": "Download an invoice", "url": article.url}
    ]


def test_chat_suggests_nothing_when_no_app_fills_the_slot(make_article, monkeypatch):
    """Without the knowledge base in the slot the chat still works and suggests nothing."""
    make_article(title="Download an invoice")
    monkeypatch.setattr(community_extensions, "CHAT_SUGGESTERS", [])
    assert chat_selectors.kb_suggestions("invoice") == []


def test_ideas_reach_the_unified_search_through_their_source(idea, customer, monkeypatch):
    """Ideas are listed, faceted and filterable only because ideas registered a source; without it they vanish."""
    results = unified_search(user=customer, query="invoice", type="idea")
    assert [(h.type, h.title, h.url) for h in results.hits] == [("idea", "Invoice as PDF", idea.get_absolute_url())]
    assert results.facets["type"] == [("idea", 1)]
    assert results.facets["product"] == [("Acme Cloud", 1)]
    assert results.selected["type"] == "idea"

    monkeypatch.delitem(kb_extensions.SEARCH_SOURCES, "idea")
    without = unified_search(user=customer, query="invoice", type="idea")
    assert (without.hits, without.facets["type"], without.selected["type"]) == ([], [], "")
