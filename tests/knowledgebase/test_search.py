"""Unified search: articles, threads and ideas the viewer may see, facets, highlighting, promotions, budgets."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from wagtail.contrib.search_promotions.models import Query, SearchPromotion
from wagtail.search import index as search_index

from community import services as community_services
from community.models import Post, Thread
from ideas import services as idea_services
from ideas.models import Board
from knowledgebase import search
from knowledgebase.search import clean_query, highlight


@pytest.fixture
def board(db):
    return Board.objects.create(name="Acme Cloud", slug="acme-cloud")


@pytest.fixture
def corpus(
    make_article, product, forum, private_forum, beta_member, customer, board, django_capture_on_commit_callbacks
):
    """One article, one public thread, one private thread and one idea, all about "invoice", indexed after commit."""
    article = make_article(
        title="Download an invoice", summary="Invoices are in Billing.", products=[product], tags=["billing"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        public = community_services.thread_create(
            forum=forum,
            author=customer,
            title="Invoice missing VAT",
            body="My invoice has no VAT line.",
            tags=["billing"],
        )
        private = community_services.thread_create(
            forum=private_forum, author=beta_member, title="Beta invoice export", body="Secret beta invoice question"
        )
        idea = idea_services.idea_create(
            board=board, author=customer, title="Invoice as PDF", body="Please add PDF invoices."
        )
    return {"article": article, "public": public, "private": private, "idea": idea}


def _titles(results):
    return [(h.type, h.title) for h in results.hits]


def test_search_finds_articles_threads_and_ideas(corpus, customer):
    """One query returns the KB article first, then the thread, then the idea."""
    results = search.unified_search(user=customer, query="invoice")
    assert _titles(results) == [
        ("article", "Download an invoice"),
        ("thread", "Invoice missing VAT"),
        ("idea", "Invoice as PDF"),
    ]


def test_private_forum_threads_are_never_shown_without_access(corpus, customer, beta_member):
    """A private forum's thread is found only by members with access; anonymous visitors and others never see it."""
    from django.contrib.auth.models import AnonymousUser

    for viewer in (AnonymousUser(), customer):
        results = search.unified_search(user=viewer, query="beta invoice")
        assert ("thread", "Beta invoice export") not in _titles(results)
    assert ("thread", "Beta invoice export") in _titles(search.unified_search(user=beta_member, query="beta invoice"))
    html = Client().get("/kb-tools/search/?q=secret+beta").content.decode()
    assert "Beta invoice" not in html and "Secret beta" not in html


def test_hidden_threads_and_hidden_posts_are_not_found(corpus, moderator, customer):
    """Threads hidden by a moderator and text of hidden posts stay out of the results."""
    community_services.thread_set_hidden(thread=corpus["public"], moderator=moderator, hidden=True, reason="spam")
    assert ("thread", "Invoice missing VAT") not in _titles(search.unified_search(user=customer, query="invoice"))


def test_facets_count_and_filter(corpus, customer):
    """Facets count all hits; choosing one narrows the list but keeps the counts."""
    results = search.unified_search(user=customer, query="invoice", tag="billing")
    assert results.facets["type"] == [("article", 1), ("idea", 1), ("thread", 1)]
    assert results.facets["tag"] == [("billing", 2)]
    assert ("Acme Cloud", 3) in results.facets["product"]
    assert _titles(results) == [("article", "Download an invoice"), ("thread", "Invoice missing VAT")]
    only_ideas = search.unified_search(user=customer, query="invoice", type="idea")
    assert _titles(only_ideas) == [("idea", "Invoice as PDF")]


def test_highlighting_escapes_before_marking(forum, customer, kb_index, django_capture_on_commit_callbacks):
    """Member text is escaped first; only the <mark> tags are markup."""
    with django_capture_on_commit_callbacks(execute=True):
        community_services.thread_create(
            forum=forum, author=customer, title="<script>alert(1)</script> invoice", body="an invoice & more"
        )
    hit = search.unified_search(user=customer, query="invoice").hits[0]
    assert str(hit.title_html) == "&lt;script&gt;alert(1)&lt;/script&gt; <mark>invoice</mark>"
    assert str(highlight("a &amp b", ["amp"])) == "a &amp;<mark>amp</mark> b"
    assert str(highlight("fish & chips", ["amp"])) == "fish &amp; chips"


def test_search_promotion_is_shown_for_its_query(client, corpus):
    """An editor's promotion for a key query is shown above the results."""
    query = Query.get("invoice")
    SearchPromotion.objects.create(query=query, page=corpus["article"], description="Start here", sort_order=0)
    html = client.get("/kb-tools/search/?q=Invoice").content.decode()
    assert "Recommended" in html
    assert html.index("Start here") < html.index("missing VAT")


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "!!!???,,,",
        "\"'*()[]{}:^~-",
        "x" * 5000,
        "invoice " * 400,
        "請求書 ダウンロード",
        "счёт фактура",
        "%00\x00",
    ],
)
def test_odd_queries_answer_without_errors(client, corpus, raw):
    """Empty, punctuation-only, very long and non-Latin queries give a page, never an error."""
    response = client.get("/kb-tools/search/", {"q": raw})
    assert response.status_code == 200


def test_clean_query_keeps_words_only():
    assert clean_query('  "api"  key!!! ') == "api key"
    assert clean_query("!!!") == ""
    assert clean_query("Rechnung für Öl") == "Rechnung für Öl"
    assert len(clean_query("word " * 1000).split()) == 12


def test_non_latin_words_are_found(forum, customer, kb_index, django_capture_on_commit_callbacks):
    """A Cyrillic query finds a Cyrillic thread title."""
    with django_capture_on_commit_callbacks(execute=True):
        community_services.thread_create(forum=forum, author=customer, title="Счёт не пришёл", body="Где мой счёт?")
    assert _titles(search.unified_search(user=customer, query="счёт")) == [("thread", "Счёт не пришёл")]


def _bulk_threads(forum, author, n):
    threads = Thread.objects.bulk_create(
        [Thread(forum=forum, author=author, title=f"Invoice thread {i}") for i in range(n)]
    )
    posts = Post.objects.bulk_create(
        [
            Post(thread=t, author=author, is_question=True, body="invoice body", body_html="<p>invoice body</p>")
            for t in threads
        ]
    )
    for post in posts:  # rows written in bulk skip the services, which index after commit
        search_index.insert_or_update_object(post)
    tag = community_services._tag_add(thread=threads[0], name="billing", actor=None, automatic=True)
    for thread in threads:
        thread.tags.add(tag)


@pytest.mark.parametrize("rows", [5, 50])
def test_search_budget_is_five_queries_regardless_of_hits(rows, corpus, forum, customer, django_assert_num_queries):
    """Anonymous search costs 5 queries (the brand is cached) at 5 and 50 matching threads."""
    _bulk_threads(forum, customer, rows)
    client = Client()
    client.get("/kb-tools/search/?q=invoice")  # content types and site root paths cached, as in a running process
    with django_assert_num_queries(5):
        response = client.get("/kb-tools/search/?q=invoice")
    assert response.status_code == 200
    assert response.content.decode().count("kb-hit--thread") == min(rows + 1, search.RESULTS_PER_TYPE)


POSTGRESQL_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="stemming, stop words and weights are PostgreSQL's text search; SQLite's FTS5 matches whole words",
)


@POSTGRESQL_ONLY
def test_stemmed_words_and_stop_words_are_the_backends(corpus, customer):
    """ "invoices" finds the thread "Invoice missing VAT", "downloading" the article "Download an invoice"; filler is dropped."""
    assert _titles(search.unified_search(user=customer, query="invoices")) == [
        ("article", "Download an invoice"),
        ("thread", "Invoice missing VAT"),
        ("idea", "Invoice as PDF"),
    ]
    assert _titles(search.unified_search(user=customer, query="downloading")) == [("article", "Download an invoice")]
    assert _titles(search.unified_search(user=customer, query="how do I download an invoice")) == [
        ("article", "Download an invoice")
    ]


@POSTGRESQL_ONLY
def test_the_german_configuration_stems_german_words(
    settings, make_article, forum, customer, board, django_capture_on_commit_callbacks
):
    """With SEARCH_CONFIG "german", "die Rechnungen" finds an article, a thread and an idea about a "Rechnung"."""
    settings.WAGTAILSEARCH_BACKENDS = {
        "default": {**settings.WAGTAILSEARCH_BACKENDS["default"], "SEARCH_CONFIG": "german"}
    }
    make_article(title="Rechnung herunterladen", summary="Unter Abrechnung.")
    with django_capture_on_commit_callbacks(execute=True):
        community_services.thread_create(
            forum=forum, author=customer, title="Rechnung ohne Mehrwertsteuer", body="Die Steuer fehlt."
        )
        idea_services.idea_create(board=board, author=customer, title="Rechnung als PDF", body="Bitte als Anhang.")
    assert _titles(search.unified_search(user=customer, query="die Rechnungen")) == [
        ("article", "Rechnung herunterladen"),
        ("thread", "Rechnung ohne Mehrwertsteuer"),
        ("idea", "Rechnung als PDF"),
    ]


@POSTGRESQL_ONLY
def test_a_title_match_ranks_above_a_mention_in_a_reply(
    forum, customer, other_customer, kb_index, django_capture_on_commit_callbacks
):
    """The question's title weighs more than a reply's text, although the reply is newer."""
    with django_capture_on_commit_callbacks(execute=True):
        community_services.thread_create(
            forum=forum, author=customer, title="Backup fails every night", body="The job stops with an error."
        )
        other = community_services.thread_create(
            forum=forum, author=other_customer, title="Slow dashboard", body="It takes a minute to load."
        )
        community_services.post_create(thread=other, author=customer, body="Unrelated, but my backup fails too.")
    assert _titles(search.unified_search(user=customer, query="backup fails")) == [
        ("thread", "Backup fails every night"),
        ("thread", "Slow dashboard"),
    ]


def test_text_of_a_hidden_reply_is_not_found(
    corpus, customer, other_customer, moderator, django_capture_on_commit_callbacks
):
    """A reply's words find its thread until a moderator hides the reply."""
    with django_capture_on_commit_callbacks(execute=True):
        reply = community_services.post_create(
            thread=corpus["public"], author=other_customer, body="Try the kangaroo export."
        )
    assert _titles(search.unified_search(user=customer, query="kangaroo")) == [("thread", "Invoice missing VAT")]
    with django_capture_on_commit_callbacks(execute=True):
        community_services.post_hide(post=reply, moderator=moderator, reason="spam")
    assert _titles(search.unified_search(user=customer, query="kangaroo")) == []


def test_answered_threads_come_first_among_equally_relevant(
    forum, customer, other_customer, kb_index, django_capture_on_commit_callbacks
):
    """Two threads that match alike: the answered one is listed first, although the other is newer."""
    with django_capture_on_commit_callbacks(execute=True):
        answered = community_services.thread_create(
            forum=forum, author=customer, title="Sync stops at night", body="Nothing syncs after midnight."
        )
        answer = community_services.post_create(thread=answered, author=other_customer, body="Restart the agent.")
        community_services.answer_accept(thread=answered, post=answer, actor=customer)
        newer = community_services.thread_create(
            forum=forum, author=other_customer, title="Sync stops at night", body="Nothing syncs after midnight."
        )
    hits = search.unified_search(user=customer, query="sync midnight").hits
    assert [(h.key, h.answered) for h in hits] == [(answered.pk, True), (newer.pk, False)]
