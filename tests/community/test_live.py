"""Live updates: a new post reaches open thread pages over the channel layer, after commit only."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from community import services
from community.models import Forum
from portal.roles import Role
from tests.factories import make_member


def _communicator(user, thread_id):
    from portal.routing import websocket_urlpatterns

    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/forums/threads/{thread_id}/")
    communicator.scope["user"] = user
    return communicator


@pytest.mark.django_db(transaction=True)
def test_new_reply_is_pushed_to_an_open_thread_page():
    """A reply committed by one member is announced on another member's open socket by its id alone.

    The HTML is fetched per viewer (``post_fragment``), so no member's buttons or permissions travel
    over the shared group.
    """
    asker = make_member(role=Role.CUSTOMER)
    helper = make_member(role=Role.MODERATOR)
    forum = Forum.objects.create(name="General", slug="general")
    thread = services.thread_create(forum=forum, author=asker, title="Live question", body="q")

    async def run():
        communicator = _communicator(asker, thread.pk)
        connected, _ = await communicator.connect()
        assert connected
        post = await sync_to_async(services.post_create)(thread=thread, author=helper, body="**Live** answer")
        message = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return post, message

    post, message = async_to_sync(run)()
    assert message == {"type": "post", "post_id": post.pk}


@pytest.mark.django_db(transaction=True)
def test_held_post_is_not_broadcast_and_rolled_back_post_neither():
    """Nothing is sent for a held post or for a transaction that rolls back."""
    from django.db import transaction

    from community.models import ModerationSettings

    asker = make_member(role=Role.CUSTOMER)
    forum = Forum.objects.create(name="General", slug="general")
    config = ModerationSettings.load()
    config.hold_first_posts = False
    config.save()
    thread = services.thread_create(forum=forum, author=asker, title="Quiet question", body="q")
    config.hold_first_posts = True
    config.save()
    newcomer = make_member(role=Role.CUSTOMER)

    def post_then_roll_back():
        try:
            with transaction.atomic():
                services.post_create(thread=thread, author=asker, body="rolled back")
                raise RuntimeError("abort")
        except RuntimeError:
            pass

    async def run():
        communicator = _communicator(asker, thread.pk)
        await communicator.connect()
        await sync_to_async(services.post_create)(thread=thread, author=newcomer, body="held reply")
        await sync_to_async(post_then_roll_back)()
        nothing = await communicator.receive_nothing(timeout=0.5)
        await communicator.disconnect()
        return nothing

    assert async_to_sync(run)() is True


@pytest.mark.django_db(transaction=True)
def test_client_frames_get_an_error_and_change_nothing():
    """The socket is read-only: frames from clients get an error frame."""
    asker = make_member(role=Role.CUSTOMER)
    forum = Forum.objects.create(name="General", slug="general")
    thread = services.thread_create(forum=forum, author=asker, title="Read only", body="q")

    async def run():
        communicator = _communicator(asker, thread.pk)
        await communicator.connect()
        await communicator.send_to(text_data="not json {")
        first = await communicator.receive_json_from(timeout=2)
        await communicator.send_json_to({"type": "post", "body": "sneaky"})
        second = await communicator.receive_json_from(timeout=2)
        await communicator.disconnect()
        return first, second

    first, second = async_to_sync(run)()
    assert first == second == {"type": "error", "error": "read_only"}
    assert thread.posts.count() == 1


def test_a_failing_channel_layer_never_breaks_posting(monkeypatch, db, django_capture_on_commit_callbacks):
    """When the layer is down the reply is still stored and its notifications still run."""
    from community import live
    from portal.models import Notification

    class BrokenLayer:
        async def group_send(self, group, message):
            raise ConnectionError("redis down")

    monkeypatch.setattr(live, "get_channel_layer", lambda: BrokenLayer())
    asker = make_member(role=Role.CUSTOMER)
    helper = make_member(role=Role.CUSTOMER)
    forum = Forum.objects.create(name="General", slug="general")
    thread = services.thread_create(forum=forum, author=asker, title="Layer down", body="q")
    with django_capture_on_commit_callbacks(execute=True):
        services.post_create(thread=thread, author=helper, body="still works")
    assert thread.posts.count() == 2
    assert Notification.objects.filter(recipient=asker, kind="community.reply").count() == 1


@pytest.mark.django_db
def test_a_reconnecting_page_fetches_exactly_the_posts_it_missed(
    client, thread, customer, other_customer, moderator, django_assert_num_queries
):
    """After a dropped socket the page asks for posts after its last one: newer published posts only, in order."""
    from tests.community.conftest import reply

    seen = reply(thread, other_customer, "Seen before the drop")
    missed = [reply(thread, other_customer, f"Missed {n} <script>alert(1)</script>") for n in range(3)]
    hidden = reply(thread, other_customer, "Hidden later")
    services.post_hide(post=hidden, moderator=moderator, reason="Off topic")
    client.force_login(customer)
    client.get(f"/forums/t/{thread.pk}/")  # warm the shell's caches
    with django_assert_num_queries(5):  # session, user, thread, posts, the viewer's helpful marks
        response = client.get(f"/forums/t/{thread.pk}/posts/?after={seen.pk}")
    assert response.status_code == 200
    data = response.json()
    assert [p["post_id"] for p in data["posts"]] == [p.pk for p in missed]
    assert data["more"] is False
    assert f'id="post-{missed[0].pk}"' in data["posts"][0]["html"]
    assert "Missed 0" in data["posts"][0]["html"]
    assert "<script>" not in data["posts"][0]["html"]
    # Rendered for this viewer, with the buttons the thread page gives them.
    assert f'action="/forums/p/{missed[0].pk}/helpful/"' in data["posts"][0]["html"]
    assert f'href="/forums/t/{thread.pk}/reply/?quote={missed[0].pk}"' in data["posts"][0]["html"]
    assert data["posts"][0]["announcement"] == f"New reply from {other_customer.handle}"
    assert (data["reply_count"], data["replies_heading"]) == (4, "4 replies")  # the hidden one is not counted
    assert client.get(f"/forums/t/{thread.pk}/posts/?after={missed[-1].pk}").json() == {
        "posts": [],
        "more": False,
        "reply_count": 4,
        "replies_heading": "4 replies",
    }


@pytest.mark.django_db
def test_catch_up_is_bounded_and_says_when_more_exist(client, thread, customer, other_customer):
    from community.models import ModerationSettings
    from community.selectors import LIVE_CATCH_UP_LIMIT
    from tests.community.conftest import reply

    config = ModerationSettings.load()
    config.posts_per_hour = 1000
    config.save()
    for n in range(LIVE_CATCH_UP_LIMIT + 2):
        reply(thread, other_customer, f"Reply {n}")
    client.force_login(customer)
    data = client.get(f"/forums/t/{thread.pk}/posts/?after=0").json()
    assert len(data["posts"]) == LIVE_CATCH_UP_LIMIT
    assert data["more"] is True


@pytest.mark.django_db
def test_catch_up_refuses_bad_input_and_threads_the_viewer_may_not_see(client, private_thread, thread, customer):
    client.force_login(customer)
    for after in ("", "abc", "-1", "1.5"):
        response = client.get(f"/forums/t/{thread.pk}/posts/?after={after}")
        assert (after, response.status_code) == (after, 400)
        assert response.json()["error"] == "Say after which post to continue."
    assert client.get(f"/forums/t/{private_thread.pk}/posts/?after=0").status_code == 404
    assert client.get("/forums/t/999999/posts/?after=0").status_code == 404
