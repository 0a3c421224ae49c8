"""KB pages: rendering, one-query routing, the anonymous page cache and its purge on publish."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from knowledgebase import page_cache
from knowledgebase.models import KBArticlePage, KBRelatedArticle

CSRF_VALUE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _seed_rows(make_article, article, n):
    """``n`` tags and ``n`` related articles on ``article`` (rows its page lists)."""
    others = [make_article(title=f"Related {i} of {article.pk}") for i in range(n)]
    KBRelatedArticle.objects.bulk_create(
        [KBRelatedArticle(page=article, article=other, sort_order=i) for i, other in enumerate(others)]
    )
    article.tags.add(*[f"tag-{i}" for i in range(n)])


def test_index_lists_categories_and_newest_articles(client, category, make_article, product):
    """The KB index shows its categories, the newest articles and a FAQ link per product with articles."""
    make_article(title="Reset your password", products=[product])
    response = client.get("/kb/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Getting started" in html
    assert "Reset your password" in html
    assert "/kb-tools/faq/acme-cloud/" in html
    assert 'action="/kb-tools/search/"' in html


def test_category_lists_only_live_articles(client, category, make_article):
    """A category page lists its live articles; drafts stay out."""
    make_article(title="Published one")
    make_article(title="Draft one", live=False)
    html = client.get("/kb/getting-started/").content.decode()
    assert "Published one" in html
    assert "Draft one" not in html


def test_article_renders_every_block_type(client, make_article, product):
    """Text, steps, callout and code blocks render; products and tags link to their FAQ and search."""
    article = make_article(
        title="Export data",
        summary="How to export.",
        products=[product],
        tags=["export"],
        body=[
            ("text", "<p>Intro text.</p>"),
            ("steps", {"title": "Do this", "steps": ["<p>First step</p>", "<p>Second step</p>"]}),
            ("callout", {"kind": "warning", "text": "<p>Careful now</p>"}),
            ("code", {"language": "shell", "code": "acme export <all>"}),
        ],
    )
    html = Client().get(article.url).content.decode()
    assert "Intro text." in html
    assert "<li><p>First step</p></li>" in html
    assert "kb-callout--warning" in html and "Careful now" in html
    assert "acme export &lt;all&gt;" in html
    assert 'href="/kb-tools/faq/acme-cloud/"' in html
    assert "#export" in html


def test_unknown_article_path_is_404(client, kb_index):
    """A path below /kb/ that matches no live page is a 404, also through the fast routing."""
    assert client.get("/kb/getting-started/no-such-article/").status_code == 404


def test_draft_article_is_not_served(client, make_article):
    """An unpublished article is not reachable by its URL."""
    draft = make_article(title="Secret draft", live=False)
    assert client.get("/kb/getting-started/" + draft.slug + "/").status_code == 404


@pytest.mark.parametrize("rows", [5, 50])
def test_article_budget_uncached_is_three_queries(rows, make_article, django_assert_num_queries):
    """An anonymous article view costs 3 queries (site, article, extras; the brand is cached), whatever it lists."""
    article = make_article(title="Budget article")
    _seed_rows(make_article, article, rows)
    client = Client()
    client.get("/kb/")  # warms the site root paths in the cache, as any earlier request would
    page_cache.purge()
    with django_assert_num_queries(3):
        response = client.get(article.url)
    assert response.status_code == 200
    assert response[page_cache.HIT_HEADER] == "miss"
    assert response.content.decode().count('<li><a href="/kb/getting-started/related-') == rows


def test_article_cache_hit_costs_no_query(make_article, django_assert_num_queries):
    """The second anonymous view of an article comes from the cache without touching the database."""
    article = make_article(title="Cached article")
    Client().get(article.url)
    with django_assert_num_queries(0):
        response = Client().get(article.url)
    assert response.status_code == 200
    assert response[page_cache.HIT_HEADER] == "hit"
    assert "Cached article" in response.content.decode()


def test_cached_page_gives_each_visitor_their_own_csrf_token(make_article):
    """CSRF tokens are never shared through the cache: each visitor's token matches their own cookie."""
    article = make_article(title="Token article")
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.get(article.url)
    response = second.get(article.url)
    assert response[page_cache.HIT_HEADER] == "hit"
    tokens = CSRF_VALUE.findall(response.content.decode())
    assert tokens and page_cache.TOKEN_PLACEHOLDER not in response.content.decode()
    switched = second.post("/i18n/setlang/", {"language": "de", "csrfmiddlewaretoken": tokens[0], "next": "/kb/"})
    assert switched.status_code == 302


def test_publishing_purges_the_cache(make_article):
    """A publish below the KB drops cached pages: the next view shows the new title."""
    article = make_article(title="Old title")
    Client().get(article.url)
    assert Client().get(article.url)[page_cache.HIT_HEADER] == "hit"
    article.title = "New title"
    article.save_revision().publish()
    response = Client().get(article.url)
    assert response[page_cache.HIT_HEADER] == "miss"
    assert "New title" in response.content.decode()


def test_members_are_never_served_from_the_cache(client, customer, make_article):
    """A logged-in member gets a freshly rendered page (their own header), never the shared one."""
    article = make_article(title="Member article")
    Client().get(article.url)
    client.force_login(customer)
    response = client.get(article.url)
    assert page_cache.HIT_HEADER not in response
    assert f"@{customer.handle}" in response.content.decode()


def test_cache_is_per_language(make_article):
    """German and English visitors get the page in their language from separate cache entries."""
    article = make_article(title="Language article")
    english = Client().get(article.url, HTTP_ACCEPT_LANGUAGE="en")
    german = Client().get(article.url, HTTP_ACCEPT_LANGUAGE="de")
    assert "Was this article helpful?" in english.content.decode()
    assert "War dieser Artikel hilfreich?" in german.content.decode()
    assert german[page_cache.HIT_HEADER] == "miss"


def test_view_restricted_article_still_asks_for_login(client, make_article):
    """A login-restricted article keeps Wagtail's restriction although the route is resolved by the KB."""
    from wagtail.models import PageViewRestriction

    article = make_article(title="Restricted article")
    PageViewRestriction.objects.create(page=article, restriction_type=PageViewRestriction.LOGIN)
    response = client.get(article.url)
    assert response.status_code == 302
    assert response["Location"].endswith("login/?next=" + article.url)
    assert KBArticlePage.objects.get(pk=article.pk).live is True
