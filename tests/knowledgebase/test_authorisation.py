"""Who may open the knowledge base tools: the exact allowed set per role."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (None, 302),
        ("customer", 403),
        ("other_customer", 403),
        ("product_manager", 403),
        ("dpo", 403),
        ("moderator", 200),
        ("editor", 200),
        ("administrator", 200),
    ],
)
def test_review_report_access(request, client, kb_index, role, expected):
    """Editors, moderators and admins read the review report; everyone else is refused."""
    if role:
        client.force_login(request.getfixturevalue(role))
    assert client.get("/kb-tools/review/").status_code == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (None, 302),
        ("customer", 404),
        ("other_customer", 404),
        ("product_manager", 404),
        ("editor", 404),
        ("dpo", 404),
        ("moderator", 200),
        ("administrator", 200),
    ],
)
def test_promote_page_access(request, client, answered_thread, category, role, expected):
    """Only moderators (and admins) can open the promotion of a thread with an accepted answer."""
    if role:
        client.force_login(request.getfixturevalue(role))
    assert client.get(f"/kb-tools/promote/{answered_thread.pk}/").status_code == expected


@pytest.mark.parametrize("url", ["/kb-tools/search/?q=key", "/kb-tools/suggest/?q=key", "/kb/"])
def test_public_tools_are_open_to_anonymous_visitors(client, kb_index, url):
    assert client.get(url).status_code == 200


def test_unpublishing_purges_the_cache(make_article):
    """An unpublished article disappears at once for anonymous visitors, cache or not."""
    from django.test import Client

    article = make_article(title="Soon gone")
    Client().get(article.url)
    article.unpublish()
    assert Client().get(article.url).status_code == 404
