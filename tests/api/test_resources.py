"""The API's resources: what each token sees and may do, errors as problem details, ETags, query budgets."""

from __future__ import annotations

import pytest

from api.models import ApiToken
from community import services as community_services
from community.models import Forum, Post, Thread
from consent.pseudonyms import recipient_domain
from tests.api.conftest import auth, integration_token, personal_token
from tests.factories import make_member


def _threads(client, secret, slug="general", **params):
    response = client.get(f"/api/v1/forums/{slug}/threads", params, **auth(secret))
    assert response.status_code == 200, response.content
    return response.json()


def test_read_token_cannot_write(client, customer, thread):
    """A personal read token gets 403 for a reply and a new thread; nothing is written."""
    secret = personal_token(customer, "read")
    reply = client.post(
        f"/api/v1/threads/{thread.pk}/posts", {"body": "Hi"}, content_type="application/json", **auth(secret)
    )
    assert reply.status_code == 403
    assert reply["Content-Type"] == "application/problem+json"
    assert reply.json()["detail"] == "This token lacks the scope “threads:write”."
    created = client.post(
        "/api/v1/forums/general/threads",
        {"title": "A new question", "body": "text"},
        content_type="application/json",
        **auth(secret),
    )
    assert created.status_code == 403
    assert Post.objects.count() == 1 and Thread.objects.count() == 1


def test_write_token_asks_and_replies_as_the_member(client, customer, other_customer, thread):
    """A write token creates a thread and a reply through the forum services, authored by its member."""
    secret = personal_token(other_customer, "write")
    reply = client.post(
        f"/api/v1/threads/{thread.pk}/posts", {"body": "Try **this**."}, content_type="application/json", **auth(secret)
    )
    assert reply.status_code == 201, reply.content
    post = Post.objects.get(pk=reply.json()["id"])
    assert (post.author, post.body_html) == (other_customer, "<p>Try <strong>this</strong>.</p>")
    assert reply.json()["author"]["is_you"] is True
    thread.refresh_from_db()
    assert thread.reply_count == 1
    created = client.post(
        "/api/v1/forums/general/threads",
        {"title": "Where is the manual?", "body": "Looking for it."},
        content_type="application/json",
        **auth(secret),
    )
    assert created.status_code == 201
    assert created.json()["question"]["body_html"] == "<p>Looking for it.</p>"
    assert Thread.objects.get(pk=created.json()["id"]).author == other_customer


def test_member_token_cannot_reach_cards(client, moderator):
    """Even a moderator's personal write token gets 403 on cards: personal tokens never carry card scopes."""
    secret = personal_token(moderator, "write")
    response = client.get("/api/v1/cards", **auth(secret))
    assert response.status_code == 403
    assert response.json()["detail"] == "This token lacks the scope “cards:read”."


def test_private_thread_of_another_member_is_invisible(client, customer, other_customer):
    """Member A's token neither lists nor reads member B's private thread; B's own token does both."""
    forum = Forum.objects.create(name="Support", slug="support")
    private = community_services.thread_create(
        forum=forum, author=other_customer, title="My private problem", body="Secret", is_private=True
    )
    a, b = personal_token(customer), personal_token(other_customer)
    assert _threads(client, a, "support")["items"] == []
    assert client.get(f"/api/v1/threads/{private.pk}", **auth(a)).status_code == 404
    assert client.get(f"/api/v1/threads/{private.pk}/posts", **auth(a)).status_code == 404
    assert [t["id"] for t in _threads(client, b, "support")["items"]] == [private.pk]
    assert client.get(f"/api/v1/threads/{private.pk}", **auth(b)).json()["question"]["body_html"] == "<p>Secret</p>"


def test_other_members_consents_and_exports_are_unreachable(client, customer, other_customer, administrator):
    """Consents and exports are the caller's own; an integration token has no scope for them at all."""
    secret = integration_token(administrator, administrator, ["threads:read", "cards:read"])
    assert client.get("/api/v1/me/consents", **auth(secret)).status_code == 403
    assert client.get("/api/v1/me/exports", **auth(secret)).status_code == 403


def test_members_appear_as_pseudonyms_of_each_client(client, customer, other_customer, thread):
    """Two clients see the same author under different pseudonyms, neither of which is the handle."""
    first, second = personal_token(other_customer), personal_token(other_customer)
    one = _threads(client, first)["items"][0]["author"]
    two = _threads(client, second)["items"][0]["author"]
    assert one["pseudonym"] != two["pseudonym"]
    assert customer.handle not in one["pseudonym"]
    domains = [recipient_domain(t.recipient_key) for t in ApiToken.objects.order_by("pk")]
    assert [one["pseudonym"].split("_")[0], two["pseudonym"].split("_")[0]] == domains
    assert one["is_you"] is False


def test_errors_are_translated_problem_details(client):
    """Accept-Language picks the language of the problem's title and detail."""
    response = client.get("/api/v1/forums", HTTP_AUTHORIZATION="Bearer wrong", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["title"] == "Anmeldung erforderlich"
    assert body["status"] == 401 and body["instance"] == "/api/v1/forums"


def test_validation_errors_name_the_fields(client, customer, forum):
    secret = personal_token(customer, "write")
    response = client.post(
        "/api/v1/forums/general/threads", {"title": "Hi", "body": "x"}, content_type="application/json", **auth(secret)
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"title": ["The title is too short: use at least 5 characters."]}


def test_etag_gives_304(client, customer, thread):
    """A repeated read with If-None-Match answers 304 without a body; a change gives a new ETag."""
    secret = personal_token(customer, "write")
    first = client.get("/api/v1/forums/general/threads", **auth(secret))
    etag = first["ETag"]
    again = client.get("/api/v1/forums/general/threads", HTTP_IF_NONE_MATCH=etag, **auth(secret))
    assert (again.status_code, again.content, again["ETag"]) == (304, b"", etag)
    community_services.post_create(thread=thread, author=customer, body="More")
    changed = client.get("/api/v1/forums/general/threads", HTTP_IF_NONE_MATCH=etag, **auth(secret))
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_cursor_pagination_walks_every_thread_once(client, customer, forum):
    for n in range(5):
        community_services.thread_create(forum=forum, author=customer, title=f"Question number {n}", body="text")
    secret = personal_token(customer)
    seen, cursor = [], None
    while True:
        page = _threads(client, secret, limit=2, **({"cursor": cursor} if cursor else {}))
        seen += [t["title"] for t in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f"Question number {n}" for n in (4, 3, 2, 1, 0)]
    bad = client.get("/api/v1/forums/general/threads", {"cursor": "nonsense"}, **auth(secret))
    assert bad.status_code == 400 and bad["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("rows", [2, 12])
def test_thread_list_query_budget_is_flat(client, django_assert_num_queries, customer, forum, rows):
    """Listing threads costs the same queries for 2 or 12 threads by different authors."""
    for n in range(rows):
        author = make_member()
        community_services.thread_create(forum=forum, author=author, title=f"Question number {n}", body="text")
    secret = personal_token(customer)
    client.get("/api/v1/forums", **auth(secret))  # the token's last use is written once per minute, not counted here
    with django_assert_num_queries(4):
        response = client.get("/api/v1/forums/general/threads", {"limit": 20}, **auth(secret))
    assert len(response.json()["items"]) == rows
