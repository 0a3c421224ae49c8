"""Hostile query values, form fields, JSON bodies and WebSocket frames get a clear answer, never a server error.

Issue 18, finding 6. Runs on SQLite and PostgreSQL (NUL bytes fail only on PostgreSQL, search
syntax only on SQLite's FTS5), so both must pass.
"""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from wagtail.search import index as search_index

from community import services as community_services
from community.models import Forum, ModerationSettings, Thread
from ideas import services as idea_services
from ideas.models import Board
from portal.inputs import (
    JSONInputError,
    bounded_int,
    clean_text,
    load_json,
    search_shortened_message,
    search_words,
)
from portal.roles import Role
from tests.factories import make_member

DEEP = "[" * 5000 + "]" * 5000


# --- the helpers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, 1),
        ("", 1),
        ("abc", 1),
        ("3", 3),
        (" 7 ", 7),
        ("0", 1),
        ("-5", 1),
        ("9" * 20, 10_000),
        ("-" + "9" * 20, 1),
        ("9" * 5000, 10_000),
        ("0" * 30 + "7", 7),
        ("1e9", 1),
        ("٣", 1),
        ("3.5", 1),
        (True, 1),
        (42, 42),
    ],
)
def test_bounded_int_keeps_every_value_within_its_bounds(value, expected):
    """Anything that is not a plain decimal integer is the default; integers are clamped, however long."""
    assert bounded_int(value, 1, 10_000) == expected


def test_clean_text_drops_control_characters_but_keeps_line_breaks_in_bodies():
    assert clean_text("a\x00b\x01c\x1f\x7fd\te\nf") == "abcdef"
    assert clean_text("a\x00b\tc\r\nd\x0be", multiline=True) == "ab\tc\r\nde"
    assert clean_text("x\ud800y") == "xy"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('"abcd', "abcd"),
        ('abcd">efgh', "abcd efgh"),
        ('abc" OR "def', "abc OR def"),
        ("NEAR(abcd*", "NEAR abcd"),
        ("a\x00b", "a b"),
        ("Grüße, Zürich!", "Grüße Zürich"),
        ('"">', ""),
    ],
)
def test_search_words_leave_no_search_syntax(raw, expected):
    assert search_words(raw) == (expected, False)


def test_search_words_say_when_a_long_search_was_shortened():
    words, cut = search_words(" ".join(f"word{n}" for n in range(30)))
    assert words == " ".join(f"word{n}" for n in range(12))
    assert cut is True


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (DEEP, "too_deep"),
        ('{"a":' * 30 + "1" + "}" * 30, "too_deep"),
        ('{"x": "' + "a" * 70_000 + '"}', "too_large"),
        ('{"x": "a\\u0000b"}', "bad_json"),
        ('{"x": "\\ud800"}', "bad_json"),
        (b'{"x": "\xff"}', "bad_json"),
        ("{not json", "bad_json"),
        (None, "bad_json"),
    ],
)
def test_load_json_refuses_deep_large_and_broken_documents(text, code):
    with pytest.raises(JSONInputError) as refused:
        load_json(text)
    assert refused.value.code == code


def test_load_json_counts_brackets_inside_strings_as_text():
    assert load_json('{"text": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[ \\" {{{{{{{{{{{{{{{{{{{{{{{"}') == {
        "text": '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[ " {{{{{{{{{{{{{{{{{{{{{{{'
    }


# --- pages -----------------------------------------------------------------------------------


@pytest.fixture
def forum(db):
    config = ModerationSettings.load()
    config.hold_first_posts = False
    config.save()
    return Forum.objects.create(name="General", slug="general")


@pytest.fixture
def thread(forum, customer):
    thread = community_services.thread_create(
        forum=forum, author=customer, title="How do I reset my key?", body="I lost my key.", tags=["api"]
    )
    search_index.insert_or_update_object(thread)
    return thread


@pytest.fixture
def board(db):
    return Board.objects.create(name="Acme Cloud", slug="acme-cloud")


@pytest.fixture
def strict_client(client):
    """A client that raises the view's exception instead of answering 500, so a failure names its cause."""
    client.raise_request_exception = True
    return client


HOSTILE_VALUES = ["key\x00", "9" * 20, "-" + "9" * 20, '"key', 'key">', 'reset" OR "key', "NEAR(key*", "\x01\x1f"]


@pytest.mark.django_db
@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_hostile_query_values_never_cause_a_server_error(strict_client, thread, board, home_page, value):
    """NUL bytes (PostgreSQL), huge page numbers (both) and search syntax (SQLite FTS5) are answered normally."""
    thread_url = f"/forums/t/{thread.pk}/"
    for url, names in [
        ("/forums/search/", ["q", "page"]),
        ("/forums/similar/", ["title"]),
        ("/forums/tags/", ["q"]),
        ("/forums/general/", ["tag", "filter", "page"]),
        (thread_url, ["page"]),
        (f"{thread_url}reply/", ["quote"]),
        ("/kb-tools/search/", ["q", "type", "product", "tag"]),
        ("/kb-tools/suggest/", ["q", "limit"]),
        ("/ideas/similar/", ["q", "board"]),
        ("/ideas/acme-cloud/", ["page", "sort", "status", "show"]),
    ]:
        for name in names:
            response = strict_client.get(url, {name: value})
            assert (url, name, response.status_code) in {(url, name, 200), (url, name, 302)}


@pytest.mark.django_db
def test_search_syntax_is_searched_as_words(strict_client, thread):
    """Quotes and ">" around a word find the thread that has the word (SQLite answered 500 before)."""
    for query in ['"reset', 'reset">', 'reset" key"']:
        response = strict_client.get("/forums/search/", {"q": query})
        assert response.status_code == 200
        assert [t.pk for t in response.context["results"]] == [thread.pk]


@pytest.mark.django_db
def test_a_nul_byte_is_removed_before_the_query(strict_client, thread):
    response = strict_client.get("/forums/search/", {"q": "res\x00et"})
    assert response.status_code == 200
    assert [t.pk for t in response.context["results"]] == [thread.pk]
    tags = strict_client.get("/forums/tags/", {"q": "a\x00p"})
    assert tags.json() == {"results": ["api"]}


@pytest.mark.django_db
def test_a_twenty_digit_page_number_shows_the_last_reachable_page(strict_client, thread, board):
    forum_page = strict_client.get("/forums/general/", {"page": "9" * 20})
    assert forum_page.status_code == 200
    assert forum_page.context["page"].number == 10_000
    assert list(forum_page.context["threads"]) == []
    idea_page = strict_client.get("/ideas/acme-cloud/", {"page": "9" * 20})
    assert idea_page.status_code == 200
    assert idea_page.context["page"] == 10_000


@pytest.mark.django_db
def test_a_path_with_a_nul_byte_is_a_bad_request(client, home_page):
    assert client.get("/forums/gen%00eral/").status_code == 400
    assert client.get("/some%00page/").status_code == 400


@pytest.mark.django_db
def test_a_long_search_is_shortened_with_a_notice(strict_client, thread, home_page):
    query = "reset " + " ".join(f"filler{n}" for n in range(20))
    for url in ("/forums/search/", "/kb-tools/search/"):
        response = strict_client.get(url, {"q": query})
        assert response.status_code == 200
        assert [str(m) for m in response.context["messages"]] == [search_shortened_message()]
    short = strict_client.get("/forums/search/", {"q": "reset"})
    assert list(short.context["messages"]) == []


@pytest.mark.django_db
def test_a_form_body_keeps_its_line_breaks_and_loses_its_nul_bytes(client, forum, customer):
    client.force_login(customer)
    response = client.post(
        "/forums/general/ask/",
        {"title": "Printer\x00 is offline", "body": "Line one\x00\nLine two", "tags": "print\x00er"},
    )
    assert response.status_code == 302
    thread = Thread.objects.get()
    assert thread.title == "Printer is offline"
    assert thread.posts.get().body == "Line one\nLine two"
    assert [t.name for t in thread.tags.all()] == ["printer"]


@pytest.mark.django_db
def test_more_than_five_tags_are_refused_with_a_message(client, forum, customer):
    """Extra tags used to be dropped without a word; now the form says so and nothing is created."""
    client.force_login(customer)
    response = client.post(
        "/forums/general/ask/",
        {"title": "Printer is offline", "body": "It stopped.", "tags": "a1, b2, c3, d4, e5, f6"},
    )
    assert response.status_code in (200, 400)
    assert response.context["form"].errors["tags"] == ["A thread has at most 5 tags."]
    assert Thread.objects.count() == 0
    five = client.post(
        "/forums/general/ask/",
        {"title": "Printer is offline", "body": "It stopped.", "tags": "a1, b2, c3, d4, e5, A1"},
    )
    assert five.status_code == 302
    assert sorted(t.name for t in Thread.objects.get().tags.all()) == ["a1", "b2", "c3", "d4", "e5"]


@pytest.mark.django_db
def test_the_service_refuses_too_many_tags_too(forum, customer):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        community_services.thread_create(
            forum=forum, author=customer, title="Printer is offline", body="x", tags=["a", "b", "c", "d", "e", "f"]
        )
    assert refused.value.message_dict == {"tags": ["A thread has at most 5 tags."]}
    assert Thread.objects.count() == 0


@pytest.mark.django_db
def test_the_crm_hook_refuses_a_deeply_nested_body(client):
    """A correctly signed body nested 5,000 deep is a 400 with a reason, not a RecursionError."""
    from datetime import UTC, datetime

    from standardwebhooks.webhooks import Webhook

    from crm import services as crm_services
    from crm.models import ConnectionKind, CrmConnection
    from crm.signing import new_secret

    secret = new_secret()
    connection = crm_services.connection_save(
        connection=CrmConnection(name="Hook", kind=ConnectionKind.WEBHOOK, url="http://127.0.0.1:9/hook"),
        secrets={"signing_secret": secret},
    )
    now = datetime.now(tz=UTC)
    headers = {
        "HTTP_WEBHOOK_ID": "msg_deep",
        "HTTP_WEBHOOK_TIMESTAMP": str(int(now.timestamp())),
        "HTTP_WEBHOOK_SIGNATURE": Webhook(secret).sign("msg_deep", now, DEEP),
    }
    client.raise_request_exception = True
    response = client.post(f"/crm/hooks/{connection.pk}/", data=DEEP, content_type="application/json", **headers)
    assert (response.status_code, response.json()) == (400, {"error": "the body is not JSON"})


# --- sockets ---------------------------------------------------------------------------------


async def _frame(communicator, text: str) -> dict:
    await communicator.send_to(text_data=text)
    return await communicator.receive_json_from(timeout=5)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_deeply_nested_chat_frame_gets_an_error_and_the_socket_stays_usable():
    from community.chat import services as chat_services
    from tests.chat.conftest import connect

    def build():
        member = make_member(role=Role.CUSTOMER)
        return member, chat_services.chat_start(member=member, topic="Invoice is missing", body="Where is it?")

    member, chat = await sync_to_async(build)()
    socket, connected, _code = await connect(f"/ws/chat/{chat.pk}/", member)
    assert connected
    await socket.receive_json_from(timeout=5)  # the chat's state on joining
    refused = await _frame(socket, DEEP)
    assert (refused["type"], refused["error"]) == ("error", "too_deep")
    nul = await _frame(socket, json.dumps({"type": "message", "body": "a\x00b"}))
    assert (nul["type"], nul["error"]) == ("error", "bad_json")
    alive = await _frame(socket, json.dumps({"type": "nonsense", "ref": 7}))
    assert (alive["type"], alive["error"], alive["ref"]) == ("error", "unknown_type", 7)
    await socket.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_ping_and_thread_sockets_refuse_deep_and_huge_frames_and_stay_open():
    from tests.chat.conftest import connect

    def build():
        config = ModerationSettings.load()
        config.hold_first_posts = False
        config.save()
        forum = Forum.objects.create(name="General", slug="general")
        member = make_member(role=Role.CUSTOMER)
        return community_services.thread_create(forum=forum, author=member, title="A question here", body="x")

    thread = await sync_to_async(build)()
    ping, connected, _code = await connect("/ws/ping/")
    assert connected
    assert (await _frame(ping, DEEP))["error"] == "too_deep"
    assert (await _frame(ping, json.dumps({"x": "a" * 20_000})))["error"] == "too_large"
    assert (await _frame(ping, "{broken"))["error"] == "bad_json"
    assert await _frame(ping, json.dumps({"type": "ping"})) == {"type": "pong", "user": None}
    await ping.disconnect()
    # The thread socket is read-only and parses nothing: every frame, however deep, gets the same answer.
    live, connected, _code = await connect(f"/ws/forums/threads/{thread.pk}/")
    assert connected
    for text in (DEEP, json.dumps({"x": "a" * 20_000}), "{broken", json.dumps({"type": "ping"})):
        assert await _frame(live, text) == {"type": "error", "error": "read_only"}
    await live.disconnect()


@pytest.mark.django_db
def test_ideas_search_source_takes_syntax_as_words(board):
    from ideas.search import idea_hits

    idea = idea_services.idea_create(
        board=board, author=make_member(role=Role.CUSTOMER), title="Export reports as PDF", body="Please."
    )
    search_index.insert_or_update_object(idea)
    assert [h.key for h in idea_hits(user=None, query='"export">', limit=5)] == [idea.pk]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "matches"), [('"reset', True), ('reset">', True), ('reset" key"', True), ('"', False), ('">', False)]
)
def test_the_search_backend_takes_quotes_literally(thread, query, matches):
    """Wagtail's own searches (the admin's search boxes) reach the backend unfiltered; quotes must not be syntax."""
    from wagtail.search.backends import get_search_backend

    found = list(get_search_backend().search(query, Thread.objects.all(), operator="or"))
    completed = list(get_search_backend().autocomplete(query, Thread.objects.all()))
    assert found == completed == ([thread] if matches else [])


def test_the_middleware_bounds_page_numbers_and_cleans_values(rf):
    """Every paginator (the portal's and Wagtail's admin) gets a positive page number the database can hold."""
    from django.http import HttpResponse

    from portal.input_middleware import InputNormalisationMiddleware

    seen = {}

    def view(request):
        seen.update({key: request.GET.getlist(key) for key in request.GET})
        return HttpResponse()

    request = rf.get("/", {"page": ["0", "9" * 20, "last", "abc"], "p": "-3", "q": "a\x00b\tc", "x\x00": "1"})
    InputNormalisationMiddleware(view)(request)
    assert seen == {"page": ["1", "10000", "last", "1"], "p": ["1"], "q": ["abc"], "x": ["1"]}


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/ideas/", "/ideas/"),
        ("ab", "/fallback/"),
        ("' OR '1'='1", "/fallback/"),
        ("//evil.example/", "/fallback/"),
        ("https://evil.example/", "/fallback/"),
        ("", "/fallback/"),
        (None, "/fallback/"),
    ],
)
def test_safe_next_url_takes_only_paths_on_this_site(rf, target, expected):
    """A bare word used to reach redirect(), which took it for a URL pattern name and failed with a 500."""
    from portal.inputs import safe_next_url

    assert safe_next_url(target, request=rf.get("/"), fallback="/fallback/") == expected


@pytest.mark.django_db
def test_a_vote_with_a_word_as_next_redirects_to_the_idea(client, board, customer):
    idea = idea_services.idea_create(board=board, author=customer, title="Export reports as PDF", body="Please.")
    voter = make_member(role=Role.CUSTOMER)
    client.force_login(voter)
    client.raise_request_exception = True
    response = client.post(f"/ideas/idea/{idea.pk}/vote/", {"voted": "1", "next": "ab"})
    assert (response.status_code, response["Location"]) == (302, idea.get_absolute_url())
