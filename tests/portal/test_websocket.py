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
