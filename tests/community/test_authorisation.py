"""Authorisation matrix over every forum URL and the thread WebSocket route.

Viewers: anonymous, the customer who asked (has private-forum access), another customer
with access who wrote the reply, a moderator, and a member without access to the private forum.
Expected: 200/302 (done), "login" (sent to log in), 403, 404 (private content is never revealed).
"""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from community import services
from community.models import Forum
from portal.roles import Role
from tests.factories import make_member

VIEWERS = ("anonymous", "customer", "another", "moderator", "no_access")


@pytest.fixture
def world(db):
    customer = make_member(role=Role.CUSTOMER)
    another = make_member(role=Role.CUSTOMER)
    world = {
        "anonymous": None,
        "customer": customer,
        "another": another,
        "moderator": make_member(role=Role.MODERATOR),
        "no_access": make_member(role=Role.CUSTOMER),
    }
    public = Forum.objects.create(name="General", slug="general")
    beta = Forum.objects.create(name="Beta", slug="beta", is_private=True)
    for member in (customer, another):
        services.forum_grant_access(forum=beta, user=member)
    thread = services.thread_create(forum=public, author=customer, title="Public question", body="public")
    private = services.thread_create(forum=beta, author=customer, title="Private question", body="private")
    world["T"] = thread.pk
    world["P"] = private.pk
    world["R"] = services.post_create(thread=thread, author=another, body="public reply").pk
    world["PR"] = services.post_create(thread=private, author=another, body="private reply").pk
    return world


L, F, N = "login", 403, 404
# (method, url template, data, {viewer: expected})
MATRIX = [
    ("get", "/forums/", None, dict.fromkeys(VIEWERS, 200)),
    ("get", "/forums/general/", None, dict.fromkeys(VIEWERS, 200)),
    ("get", "/forums/beta/", None, {"anonymous": N, "customer": 200, "another": 200, "moderator": 200, "no_access": N}),
    ("get", "/forums/nope/", None, dict.fromkeys(VIEWERS, N)),
    ("get", "/forums/t/{T}/", None, dict.fromkeys(VIEWERS, 200)),
    (
        "get",
        "/forums/t/{P}/",
        None,
        {"anonymous": N, "customer": 200, "another": 200, "moderator": 200, "no_access": N},
    ),
    ("get", "/forums/t/999999/", None, dict.fromkeys(VIEWERS, N)),
    (
        "get",
        "/forums/general/ask/",
        None,
        {"anonymous": L, "customer": 200, "another": 200, "moderator": 200, "no_access": 200},
    ),
    (
        "get",
        "/forums/beta/ask/",
        None,
        {"anonymous": L, "customer": 200, "another": 200, "moderator": 200, "no_access": N},
    ),
    (
        "post",
        "/forums/beta/ask/",
        {"title": "Sneaky question", "body": "x", "action": "publish"},
        {"anonymous": L, "customer": 302, "another": 302, "moderator": 302, "no_access": N},
    ),
    (
        "get",
        "/forums/t/{T}/reply/",
        None,
        {"anonymous": L, "customer": 200, "another": 200, "moderator": 200, "no_access": 200},
    ),
    (
        "get",
        "/forums/t/{P}/reply/",
        None,
        {"anonymous": L, "customer": 200, "another": 200, "moderator": 200, "no_access": N},
    ),
    (
        "post",
        "/forums/t/{P}/reply/",
        {"body": "hi", "action": "publish"},
        {"anonymous": L, "customer": 302, "another": 302, "moderator": 302, "no_access": N},
    ),
    ("get", "/forums/p/{R}/", None, dict.fromkeys(VIEWERS, 302)),
    ("get", "/forums/p/{R}/fragment/", None, dict.fromkeys(VIEWERS, 200)),
    (
        "get",
        "/forums/p/{PR}/fragment/",
        None,
        {"anonymous": N, "customer": 200, "another": 200, "moderator": 200, "no_access": N},
    ),
    (
        "get",
        "/forums/mentions/?q=a",
        None,
        {"anonymous": F, "customer": 200, "another": 200, "moderator": 200, "no_access": 200},
    ),
    (
        "get",
        "/forums/p/{PR}/",
        None,
        {"anonymous": N, "customer": 302, "another": 302, "moderator": 302, "no_access": N},
    ),
    (
        "get",
        "/forums/p/{R}/edit/",
        None,
        {"anonymous": L, "customer": F, "another": 200, "moderator": 200, "no_access": F},
    ),
    (
        "get",
        "/forums/p/{PR}/edit/",
        None,
        {"anonymous": L, "customer": F, "another": 200, "moderator": 200, "no_access": N},
    ),
    (
        "get",
        "/forums/p/{R}/history/",
        None,
        {"anonymous": F, "customer": F, "another": 200, "moderator": 200, "no_access": F},
    ),
    (
        "get",
        "/forums/p/{PR}/history/",
        None,
        {"anonymous": N, "customer": F, "another": 200, "moderator": 200, "no_access": N},
    ),
    (
        "get",
        "/forums/p/{R}/flag/",
        None,
        {"anonymous": L, "customer": 200, "another": F, "moderator": 200, "no_access": 200},
    ),
    (
        "get",
        "/forums/p/{PR}/flag/",
        None,
        {"anonymous": L, "customer": 200, "another": F, "moderator": 200, "no_access": N},
    ),
    (
        "post",
        "/forums/p/{R}/accept/",
        {},
        {"anonymous": L, "customer": 302, "another": F, "moderator": 302, "no_access": F},
    ),
    (
        "post",
        "/forums/p/{PR}/accept/",
        {},
        {"anonymous": L, "customer": 302, "another": F, "moderator": 302, "no_access": N},
    ),
    (
        "post",
        "/forums/p/{R}/helpful/",
        {},
        {"anonymous": L, "customer": 302, "another": F, "moderator": 302, "no_access": 302},
    ),
    (
        "post",
        "/forums/p/{PR}/helpful/",
        {},
        {"anonymous": L, "customer": 302, "another": F, "moderator": 302, "no_access": N},
    ),
    (
        "post",
        "/forums/t/{T}/tags/",
        {"tag": "x1"},
        {"anonymous": L, "customer": 302, "another": F, "moderator": 302, "no_access": F},
    ),
    (
        "post",
        "/forums/t/{P}/tags/",
        {"tag": "x1"},
        {"anonymous": L, "customer": 302, "another": F, "moderator": 302, "no_access": N},
    ),
    (
        "post",
        "/forums/t/{T}/moderate/",
        {"action": "lock"},
        {"anonymous": L, "customer": F, "another": F, "moderator": 302, "no_access": F},
    ),
    (
        "post",
        "/forums/t/{P}/moderate/",
        {"action": "lock"},
        {"anonymous": L, "customer": F, "another": F, "moderator": 302, "no_access": N},
    ),
    # Watching, bookmarks, unread: members only, and never about what they cannot see.
    (
        "get",
        "/forums/bookmarks/",
        None,
        {"anonymous": L, "customer": 200, "another": 200, "moderator": 200, "no_access": 200},
    ),
    ("get", "/forums/tag/nope/", None, dict.fromkeys(VIEWERS, N)),
    ("get", "/forums/t/{T}/unread/", None, dict.fromkeys(VIEWERS, 302)),
    (
        "get",
        "/forums/t/{P}/unread/",
        None,
        {"anonymous": N, "customer": 302, "another": 302, "moderator": 302, "no_access": N},
    ),
    (
        "post",
        "/forums/t/{P}/watch/",
        {"level": "watching"},
        {"anonymous": L, "customer": 302, "another": 302, "moderator": 302, "no_access": N},
    ),
    (
        "post",
        "/forums/beta/watch/",
        {"level": "watching"},
        {"anonymous": L, "customer": 302, "another": 302, "moderator": 302, "no_access": N},
    ),
    (
        "post",
        "/forums/t/{P}/bookmark/",
        {},
        {"anonymous": L, "customer": 302, "another": 302, "moderator": 302, "no_access": N},
    ),
    (
        "post",
        "/forums/p/{PR}/bookmark/",
        {},
        {"anonymous": L, "customer": 302, "another": 302, "moderator": 302, "no_access": N},
    ),
    (
        "post",
        "/forums/p/{R}/moderate/",
        {"action": "hide", "reason": "x"},
        {"anonymous": L, "customer": F, "another": F, "moderator": 302, "no_access": F},
    ),
    (
        "post",
        "/forums/p/{PR}/moderate/",
        {"action": "hide", "reason": "x"},
        {"anonymous": L, "customer": F, "another": F, "moderator": 302, "no_access": N},
    ),
    ("get", "/forums/search/?q=question", None, dict.fromkeys(VIEWERS, 200)),
    ("get", "/forums/similar/?title=question", None, dict.fromkeys(VIEWERS, 200)),
    ("get", "/forums/tags/?q=a", None, dict.fromkeys(VIEWERS, 200)),
    (
        "get",
        "/admin/community/queue/",
        None,
        {
            "anonymous": "admin_login",
            "customer": "admin_login",
            "another": "admin_login",
            "moderator": 200,
            "no_access": "admin_login",
        },
    ),
    (
        "get",
        "/admin/community/log/",
        None,
        {
            "anonymous": "admin_login",
            "customer": "admin_login",
            "another": "admin_login",
            "moderator": 200,
            "no_access": "admin_login",
        },
    ),
    (
        "get",
        "/admin/community/threads/{P}/",
        None,
        {
            "anonymous": "admin_login",
            "customer": "admin_login",
            "another": "admin_login",
            "moderator": 200,
            "no_access": "admin_login",
        },
    ),
]

CASES = [(method, url, data, viewer, expected[viewer]) for method, url, data, expected in MATRIX for viewer in VIEWERS]


def _outcome(response):
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith("/account/login/"):
            return "login"
        if location.startswith("/admin/login/"):
            return "admin_login"
    return response.status_code


@pytest.mark.parametrize(
    ("method", "url", "data", "viewer", "expected"), CASES, ids=[f"{c[0]} {c[1]} {c[3]}" for c in CASES]
)
def test_http_matrix(client, home_page, world, method, url, data, viewer, expected):
    """Each viewer gets exactly the expected outcome for each forum URL."""
    if world[viewer] is not None:
        client.force_login(world[viewer])
    response = getattr(client, method)(url.format(**world), data or {})
    assert _outcome(response) == expected


def test_private_content_never_leaks_into_lists_or_search(client, home_page, world, django_capture_on_commit_callbacks):
    """A member without access sees no private thread, count, search hit or similar suggestion."""
    from community.models import Post, Thread
    from portal.tasks import reindex

    reindex.call(
        refs=[("community.Thread", pk) for pk in Thread.objects.values_list("pk", flat=True)]
        + [("community.Post", pk) for pk in Post.objects.values_list("pk", flat=True)]
    )
    client.force_login(world["no_access"])
    index = client.get("/forums/")
    assert [f.slug for f in index.context["forums"]] == ["general"]
    assert "Beta" not in index.content.decode()
    assert [t.pk for t in client.get("/forums/search/?q=question").context["results"]] == [world["T"]]
    assert [t.pk for t in client.get("/forums/search/?q=private").context["results"]] == []
    assert "Private question" not in client.get("/forums/similar/?title=question+here").content.decode()
    client.force_login(world["customer"])
    assert sorted(t.pk for t in client.get("/forums/search/?q=question").context["results"]) == sorted(
        [world["T"], world["P"]]
    )


def _ws_accepts(user, thread_id: int) -> bool:
    from portal.routing import websocket_urlpatterns

    async def run():
        communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/forums/threads/{thread_id}/")
        communicator.scope["user"] = user or AnonymousUser()
        connected, _code = await communicator.connect()
        await communicator.disconnect()
        return connected

    return async_to_sync(run)()


WS_EXPECTED = {"anonymous": False, "customer": True, "another": True, "moderator": True, "no_access": False}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewer", VIEWERS)
def test_websocket_matrix(world, viewer):
    """The thread socket accepts exactly the viewers who may read the thread."""
    assert _ws_accepts(world[viewer], world["T"]) is True
    assert _ws_accepts(world[viewer], world["P"]) is WS_EXPECTED[viewer]
    assert _ws_accepts(world[viewer], 999999) is False
