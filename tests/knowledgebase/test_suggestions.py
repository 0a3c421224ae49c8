"""Deflection: article suggestions for what a member is typing, as a selector and a JSON endpoint."""

from __future__ import annotations

from knowledgebase import search


def test_suggestions_match_live_articles_only(make_article):
    """Typing a question suggests matching live articles; drafts and unrelated articles are left out."""
    make_article(title="Reset a forgotten password", summary="Use the reset link on the login page.")
    make_article(title="Password rules for teams", summary="Length and rotation.")
    make_article(title="Password draft", live=False)
    make_article(title="Export projects")
    titles = sorted(s["title"] for s in search.article_suggestions(text="I forgot my password", limit=5))
    assert titles == ["Password rules for teams", "Reset a forgotten password"]


def test_suggestion_shape_and_limit(make_article):
    """Each suggestion has a title, a URL and an excerpt; the limit is respected."""
    first = make_article(title="Invoice download", summary="Invoices are in Billing.")
    make_article(title="Invoice address change")
    make_article(title="Invoice currency")
    suggestions = search.article_suggestions(text="invoice", limit=2)
    assert len(suggestions) == 2
    found = search.article_suggestions(text="invoice download", limit=1)[0]
    assert found == {"title": "Invoice download", "url": first.url, "excerpt": "Invoices are in Billing."}


def test_suggestions_for_empty_or_stop_word_text_are_empty(make_article, django_assert_num_queries):
    """Nothing to match means no query at all."""
    make_article(title="How to start")
    with django_assert_num_queries(0):
        assert search.article_suggestions(text="", limit=5) == []
        assert search.article_suggestions(text="how do I ... ?", limit=5) == []


def test_suggest_endpoint_returns_json(client, make_article):
    """/kb-tools/suggest/?q= answers {"results": [...]} for the forum ask form and chat."""
    article = make_article(title="Rotate API keys", summary="Keys can be rotated.")
    response = client.get("/kb-tools/suggest/", {"q": "rotate my api key"})
    assert response.status_code == 200
    assert response.json() == {
        "results": [{"title": "Rotate API keys", "url": article.url, "excerpt": "Keys can be rotated."}]
    }
    assert client.get("/kb-tools/suggest/", {"q": "!!!"}).json() == {"results": []}
    assert client.get("/kb-tools/suggest/", {"q": "ключ", "limit": "abc"}).status_code == 200


def test_suggest_is_one_query(make_article, django_assert_num_queries):
    """The suggestion lookup is a single search query."""
    make_article(title="Invoice download")
    search.article_suggestions(text="invoice", limit=5)  # content type cached as in a running process
    with django_assert_num_queries(1):
        search.article_suggestions(text="invoice", limit=5)


def test_ask_include_wires_the_script_to_the_title_field():
    """The include for the forum ask form points suggest.js at the title input and has a live region."""
    from django.template.loader import render_to_string

    html = render_to_string("knowledgebase/includes/ask_suggestions.html")
    assert 'data-kb-suggest-for="id_title"' in html
    assert 'aria-live="polite"' in html
    assert "knowledgebase/suggest.js" in html
