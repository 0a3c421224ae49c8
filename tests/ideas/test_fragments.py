"""The idea board served from cached row fragments shows each viewer exactly what a fresh render shows
them, changes show at once, and the visitor's query string fills the vote form without new cache entries."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from ideas import services
from portal.roles import Role
from tests.factories import make_member

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
NONCE = re.compile(r'nonce="[^"]+"')


def _html(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    html = CSRF.sub('name="csrfmiddlewaretoken" value=""', response.content.decode())
    return NONCE.sub('nonce=""', html)  # the CSP nonce differs per response


@pytest.fixture
def voted(make_idea):
    """Two ideas; the voter supports the first."""
    first, second = make_idea(title="Dark mode for the dashboard"), make_idea(title="Export reports as PDF")
    voter = make_member(role=Role.CUSTOMER)
    services.vote_set(idea_id=first.pk, voter=voter, voted=True)
    return first, second, voter


@pytest.fixture
def viewers(voted):
    """Anonymous, a voter, a member who did not vote, and a suspended member."""
    _first, _second, voter = voted
    suspended = make_member(role=Role.CUSTOMER)
    type(suspended).objects.filter(pk=suspended.pk).update(suspended_until=timezone.now() + timezone.timedelta(days=3))
    clients = {"anonymous": Client()}
    for name, user in (("voter", voter), ("bystander", make_member(role=Role.CUSTOMER)), ("suspended", suspended)):
        clients[name] = Client()
        clients[name].force_login(user)
    return clients


def test_every_viewer_sees_a_fresh_render_after_others_filled_the_cache(board, voted, viewers):
    url = f"/ideas/{board.slug}/"
    fresh = {}
    for name, client in viewers.items():
        cache.clear()
        fresh[name] = _html(client, url)
    assert fresh["voter"].count("<span data-vote-label>Voted ✓ (take back)") == 1
    assert "<span data-vote-label>Voted ✓" not in fresh["bystander"] and "Log in to vote" in fresh["anonymous"]
    assert "data-vote-label" not in fresh["suspended"]
    for first in viewers:
        cache.clear()
        _html(viewers[first], url)
        for name, client in viewers.items():
            assert _html(client, url) == fresh[name], (first, name)


@pytest.mark.parametrize("change", ["vote", "status", "comment", "erase_author"])
def test_a_change_shows_at_once_on_the_cached_board(board, voted, viewers, change, dpo):
    first, second, voter = voted
    url = f"/ideas/{board.slug}/"
    for client in viewers.values():
        _html(client, url)
    if change == "vote":
        services.vote_set(idea_id=second.pk, voter=voter, voted=True)
    elif change == "status":
        services.idea_set_status(idea=first, by=make_member(role=Role.PRODUCT_MANAGER), status="shipped")
    elif change == "comment":
        services.comment_create(idea=second, author=voter, body="Yes please")
    elif change == "erase_author":
        from consent.dsar.services import member_erase

        member_erase(member=second.author, actor=dpo)
    cached = {name: _html(client, url) for name, client in viewers.items()}
    for name, html in cached.items():
        cache.clear()
        assert html == _html(viewers[name], url), (change, name)


def test_the_query_string_fills_the_vote_form_without_new_cache_entries(board, voted, viewers, monkeypatch):
    """Each visitor's filters come back in the form's next field, escaped; the rows still come from the cache."""
    from django.template.backends.django import Template

    renders = []
    original = Template.render
    monkeypatch.setattr(
        Template, "render", lambda self, *a, **k: renders.append(self.template.name) or original(self, *a, **k)
    )
    client = viewers["bystander"]
    _html(client, f"/ideas/{board.slug}/?sort=top&x=1")
    rows_rendered = renders.count("ideas/includes/idea_row.html")
    assert rows_rendered == 2
    html = _html(client, f'/ideas/{board.slug}/?sort=top&x="><b>2')
    assert renders.count("ideas/includes/idea_row.html") == rows_rendered
    rows = html.split('<ol class="ideas-list"')[1].split("</ol>")[0]
    assert rows.count('name="next" value="/ideas/acme-cloud/?sort=top&amp;x=%22%3E%3Cb%3E2"') == 2
    assert "<b>2" not in html
