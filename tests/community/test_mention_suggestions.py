"""The editors' "@" autocomplete: public handles by prefix, members only, at most eight, rate-limited."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from community import services
from community.selectors import MENTION_SUGGESTION_LIMIT
from portal.models import User
from portal.roles import Role
from portal.services import user_display_name_set
from tests.community.conftest import reply
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def _member(handle: str, **extra) -> User:
    member = make_member(role=Role.CUSTOMER, **extra)
    User.objects.filter(pk=member.pk).update(handle=handle)
    member.refresh_from_db()
    return member


def _ask(client, q: str, **params):
    return client.get("/forums/mentions/", {"q": q, **params})


def _handles(response) -> list[str]:
    assert response.status_code == 200
    return [row["handle"] for row in response.json()["results"]]


def test_handles_starting_with_the_prefix_in_order_never_e_mail_or_names(client, thread, customer):
    """Members who posted publicly are found by handle prefix; the answer holds handles only."""
    for handle in ("otter-blue", "otter-amber", "owl-grey"):
        reply(thread, _member(handle, first_name="Olga", last_name="Private"), "hello")
    client.force_login(customer)
    response = _ask(client, "@Otter")
    assert response.json() == {
        "results": [
            {"handle": "otter-amber", "name": "", "team": False},
            {"handle": "otter-blue", "name": "", "team": False},
        ]
    }
    body = response.content.decode()
    assert "@example.com" not in body and "Olga" not in body and "Private" not in body
    assert _handles(_ask(client, "o")) == ["otter-amber", "otter-blue", "owl-grey"]
    assert _handles(_ask(client, "ott-x")) == []


def test_at_most_eight(client, thread, customer):
    for n in range(MENTION_SUGGESTION_LIMIT + 3):
        reply(thread, _member(f"lynx-{n:02d}"), "hi")
    client.force_login(customer)
    assert MENTION_SUGGESTION_LIMIT == 8
    assert _handles(_ask(client, "lynx")) == [f"lynx-{n:02d}" for n in range(8)]


def test_members_only(client, thread, customer):
    reply(thread, _member("panda-one"), "hi")
    response = _ask(client, "panda")
    assert response.status_code == 403
    assert response.json() == {"error": "Log in to mention members."}


def test_erased_deactivated_and_silent_members_are_not_offered_suspended_ones_are(client, thread, customer):
    """Only names the asker could read somewhere; suspension is not revealed by leaving someone out."""
    erased, inactive, suspended = _member("heron-erased"), _member("heron-inactive"), _member("heron-suspended")
    for member in (erased, inactive, suspended):
        reply(thread, member, "hi")
    User.objects.filter(pk=erased.pk).update(erased_at=timezone.now())
    User.objects.filter(pk=inactive.pk).update(is_active=False)
    User.objects.filter(pk=suspended.pk).update(suspended_until=timezone.now() + timedelta(days=3))
    _member("heron-silent")  # never posted: their handle is shown nowhere
    client.force_login(customer)
    assert _handles(_ask(client, "heron")) == ["heron-suspended"]


def test_the_asker_is_not_offered_to_themselves(client, thread, customer):
    User.objects.filter(pk=customer.pk).update(handle="puffin-me")
    reply(thread, _member("puffin-you"), "hi")
    client.force_login(customer)
    assert _handles(_ask(client, "puffin")) == ["puffin-you"]


def test_private_posts_reveal_nobody_except_in_their_own_thread(
    client, private_thread, beta_member, customer, moderator
):
    """A member who wrote only in a private forum is offered in that thread (to who may view it), nowhere else."""
    insider = _member("marten-beta")
    services.forum_grant_access(forum=private_thread.forum, user=insider)
    reply(private_thread, insider, "beta only")
    client.force_login(customer)
    assert _handles(_ask(client, "marten")) == []
    assert _handles(_ask(client, "marten", thread=private_thread.pk)) == []  # customer may not view it
    client.force_login(beta_member)
    assert _handles(_ask(client, "marten")) == []
    assert _handles(_ask(client, "marten", thread=private_thread.pk)) == ["marten-beta"]


def test_participants_of_the_thread_come_first(client, forum, thread, customer, other_customer):
    elsewhere = services.thread_create(forum=forum, author=other_customer, title="Another question", body="x")
    reply(elsewhere, _member("badger-a"), "hi")
    reply(thread, _member("badger-z"), "hi")
    client.force_login(customer)
    assert _handles(_ask(client, "badger")) == ["badger-a", "badger-z"]
    assert _handles(_ask(client, "badger", thread=thread.pk)) == ["badger-z", "badger-a"]


def test_team_members_are_found_by_display_name_and_offered_by_handle(client, customer, moderator):
    """Staff appear under their display name with the Team mark; the handle is what a mention needs."""
    User.objects.filter(pk=moderator.pk).update(handle="calm-falcon")
    moderator.refresh_from_db()
    user_display_name_set(user=moderator, display_name="Mona from Support")
    client.force_login(customer)
    expected = [{"handle": "calm-falcon", "name": "Mona from Support", "team": True}]
    assert _ask(client, "mona").json() == {"results": expected}
    assert _ask(client, "calm").json() == {"results": expected}


@pytest.mark.parametrize("q", ["", "@", "a b", "x" * 41, "-lead", "%", "_", "o'; --", "\x00", "ü"])
def test_bad_prefixes_give_no_suggestions(client, thread, customer, q):
    reply(thread, _member("owl-white"), "hi")
    client.force_login(customer)
    assert _handles(_ask(client, q)) == []


def test_hostile_thread_values_are_ignored(client, thread, customer):
    reply(thread, _member("wren-one"), "hi")
    client.force_login(customer)
    for value in ("abc", "-1", "9" * 30, "999999"):
        assert _handles(_ask(client, "wren", thread=value)) == ["wren-one"]


def test_rate_limited(client, customer, monkeypatch):
    from community import views

    monkeypatch.setattr(views, "MENTION_SUGGESTIONS_PER_MINUTE", 3)
    client.force_login(customer)
    assert [_ask(client, "a").status_code for _ in range(3)] == [200, 200, 200]
    response = _ask(client, "a")
    assert response.status_code == 429
    assert json.loads(response.content) == {"error": "Too many requests. Please try again later."}
    assert 0 < int(response["Retry-After"]) <= 60


def test_the_answer_has_a_fixed_query_budget(client, thread, customer, django_assert_num_queries):
    for n in range(12):
        reply(thread, _member(f"kite-{n:02d}"), "hi")
    client.force_login(customer)
    _ask(client, "kite")
    with django_assert_num_queries(3):  # session, user, members
        assert len(_handles(_ask(client, "kite"))) == 8
    with django_assert_num_queries(4):  # session, user, thread, members
        assert len(_handles(_ask(client, "kite", thread=thread.pk))) == 8
