"""Query budgets: equal at 5 and 50 rows, and within the issue's limits for the ideas app's own queries.

Every themed page also pays the portal shell's fixed per-request queries (session, member,
unread-notification badge, permission cache, site, brand settings); they are counted in the
exact totals and listed apart, so the budgets of the ideas app stay visible.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ideas import services
from ideas.models import Comment
from tests.factories import make_member

pytestmark = pytest.mark.usefixtures("home_page")

SHELL_TABLES = (
    '"django_session"',
    '"portal_notification"',
    '"auth_permission"',
    '"wagtailcore_site"',
    '"theme_brandsettings"',
)


def _split(ctx) -> tuple[int, int]:
    """(total, ideas-app) queries: the shell's are the session, member row (with the badge's counter) and permission cache
    (site and brand are cached after the first request)."""
    shell = 0
    for query in ctx.captured_queries:
        sql = query["sql"]
        if any(t in sql for t in SHELL_TABLES) or sql.startswith('SELECT "portal_user"."id", "portal_user"."password"'):
            shell += 1
    total = len(ctx.captured_queries)
    return total, total - shell


def _measure(call, *, warm: bool = True) -> tuple[int, int]:
    if warm:
        call()  # fills the brand cache, as any earlier page view would
    with CaptureQueriesContext(connection) as ctx:
        response = call()
    assert response.status_code in (200, 302), response.status_code
    return _split(ctx)


def _seed_board(make_idea, viewer, n: int):
    ideas = [make_idea(title=f"Budget idea {i}") for i in range(n)]
    for idea in ideas[::2]:
        services.vote_set(idea_id=idea.pk, voter=viewer, voted=True)
    return ideas


@pytest.mark.parametrize("sort", ["top", "trending", "newest"])
def test_board_list_budget_equal_at_5_and_50(client, make_idea, customer, sort):
    """The board list with my vote state costs the same at 5 and 50 ideas: 2 ideas queries, 5 in all."""
    client.force_login(customer)
    _seed_board(make_idea, customer, 5)
    small = _measure(lambda: client.get(f"/ideas/acme-cloud/?sort={sort}"))
    _seed_board(make_idea, customer, 45)
    large = _measure(lambda: client.get(f"/ideas/acme-cloud/?sort={sort}"))
    assert small == large == (5, 2)


def test_board_list_anonymous_budget(client, make_idea):
    """Anonymous visitors: the 2 ideas queries only."""
    _seed_board(make_idea, make_member(), 5)
    small = _measure(lambda: client.get("/ideas/acme-cloud/"))
    _seed_board(make_idea, make_member(), 45)
    assert small == _measure(lambda: client.get("/ideas/acme-cloud/")) == (2, 2)


def test_idea_page_budget_equal_at_5_and_50_comments(client, idea, customer):
    """The idea page with 5 or 50 comments costs 3 ideas queries, 6 in all."""
    client.force_login(customer)
    authors = [make_member() for _ in range(5)]
    for n in range(5):
        Comment.objects.create(idea=idea, author=authors[n], body="x", body_html="<p>x</p>")
    small = _measure(lambda: client.get(f"/ideas/idea/{idea.pk}/"))
    more = [make_member() for _ in range(45)]
    for n in range(45):
        Comment.objects.create(idea=idea, author=more[n], body="y", body_html="<p>y</p>")
    large = _measure(lambda: client.get(f"/ideas/idea/{idea.pk}/"))
    assert small == large == (6, 3)


def test_vote_budget(client, make_idea, customer):
    """A vote costs 6 queries in all (session, member, lock, check, insert, count), equal with 5 or 50 ideas."""
    client.force_login(customer)
    ideas = _seed_board(make_idea, make_member(), 5)
    small = _measure(lambda: client.post(f"/ideas/idea/{ideas[0].pk}/vote/", {"voted": "1"}), warm=False)
    ideas += _seed_board(make_idea, make_member(), 45)
    large = _measure(lambda: client.post(f"/ideas/idea/{ideas[-1].pk}/vote/", {"voted": "1"}), warm=False)
    assert small == large == (6, 4)
    withdraw = _measure(lambda: client.post(f"/ideas/idea/{ideas[-1].pk}/vote/", {"voted": "0"}), warm=False)
    assert withdraw == (5, 3)
