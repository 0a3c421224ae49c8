"""One ASGI app serves HTTP and WebSocket: a round trip through the channel layer."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from portal.asgi import application

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

ORIGIN = [(b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000")]


async def test_anonymous_ping_round_trip():
    communicator = WebsocketCommunicator(application, "/ws/ping/", headers=ORIGIN)
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=5) == {"type": "pong", "user": None}
    await communicator.send_to(text_data="not json")
    assert await communicator.receive_json_from(timeout=5) == {
        "type": "error",
        "error": "bad_json",
        "message": "The message is not valid JSON.",
    }
    await communicator.send_json_to({"type": "pong"})
    assert await communicator.receive_json_from(timeout=5) == {"type": "error", "error": "unknown_type"}
    await communicator.disconnect()


async def test_session_user_reaches_the_consumer(client):
    """AuthMiddlewareStack puts the logged-in member on the scope."""
    from tests.factories import make_member

    member = await database_sync_to_async(make_member)()
    await database_sync_to_async(client.force_login)(member)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    communicator = WebsocketCommunicator(application, "/ws/ping/", headers=ORIGIN + [(b"cookie", cookie)])
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=5) == {"type": "pong", "user": member.handle}
    await communicator.disconnect()


async def test_foreign_origin_is_refused():
    communicator = WebsocketCommunicator(
        application, "/ws/ping/", headers=[(b"origin", b"https://evil.example"), (b"host", b"127.0.0.1:8000")]
    )
    connected, _ = await communicator.connect()
    assert not connected


@pytest.mark.parametrize(
    "origin",
    [
        b"http://127.0.0.1:8001",  # the same host on another port is another origin
        b"http://127.0.0.1",
        b"https://127.0.0.1:8000",  # another scheme
        b"null",
    ],
)
async def test_origin_must_match_scheme_host_and_port(origin):
    """The check compares the whole origin, not just the host name."""
    communicator = WebsocketCommunicator(
        application, "/ws/ping/", headers=[(b"origin", origin), (b"host", b"127.0.0.1:8000")]
    )
    connected, _ = await communicator.connect()
    assert not connected


async def test_the_configured_public_origin_is_accepted_behind_a_proxy(settings):
    """Behind the TLS proxy the browser's origin is PORTAL_BASE_URL, whatever port Daphne listens on."""
    settings.PORTAL_BASE_URL = "https://community.example.com"
    settings.ALLOWED_HOSTS = ["community.example.com"]
    communicator = WebsocketCommunicator(
        application,
        "/ws/ping/",
        headers=[(b"origin", b"https://community.example.com"), (b"host", b"community.example.com")],
    )
    connected, _ = await communicator.connect()
    assert connected
    await communicator.disconnect()
    other_port = WebsocketCommunicator(
        application,
        "/ws/ping/",
        headers=[(b"origin", b"https://community.example.com:8443"), (b"host", b"community.example.com")],
    )
    connected, _ = await other_port.connect()
    assert not connected
