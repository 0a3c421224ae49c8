"""The same ASGI app behind a real Daphne process: HTTP and WebSocket over loopback, Redis layer."""

import asyncio
import json
import urllib.request

import pytest
import websockets

pytestmark = pytest.mark.integration


def test_http_home_page_is_served_by_daphne(daphne_redis):
    with urllib.request.urlopen(daphne_redis["url"] + "/", timeout=10) as response:
        body = response.read().decode()
    assert response.status == 200
    assert "Acme Community" in body


def test_websocket_round_trip_through_redis_layer(daphne_redis):
    """A ping goes out through the Redis channel layer group and comes back as pong."""

    async def scenario():
        async with websockets.connect(
            daphne_redis["ws"] + "/ws/ping/", origin=daphne_redis["url"], open_timeout=10
        ) as socket:
            await socket.send(json.dumps({"type": "ping"}))
            return json.loads(await asyncio.wait_for(socket.recv(), timeout=10))

    assert asyncio.run(scenario()) == {"type": "pong", "user": None}


def test_websocket_from_foreign_origin_is_rejected(daphne_redis):
    async def scenario():
        async with websockets.connect(daphne_redis["ws"] + "/ws/ping/", origin="https://evil.example", open_timeout=10):
            pass

    with pytest.raises(websockets.exceptions.InvalidStatus) as excinfo:
        asyncio.run(scenario())
    assert excinfo.value.response.status_code == 403
