"""The chat against a real Daphne on loopback with the Redis channel layer, logged in over HTTP like a browser."""

from __future__ import annotations

import asyncio
import json
import re

import httpx
import pytest
import websockets

pytestmark = pytest.mark.integration


def _login(base: str, email: str, password: str) -> httpx.Client:
    """A client holding a session cookie obtained through the real login form."""
    client = httpx.Client(base_url=base, timeout=10)
    page = client.get("/account/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/account/login/", data={"csrfmiddlewaretoken": token, "username": email, "password": password}
    )
    assert response.status_code == 302, response.text[:500]
    assert "sessionid" in client.cookies
    return client


def _start_chat(client: httpx.Client, topic: str, body: str) -> int:
    page = client.get("/chat/")
    if page.status_code == 302:
        return int(re.search(r"/chat/(\d+)/", page.headers["location"]).group(1))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = client.post("/chat/", data={"csrfmiddlewaretoken": token, "topic": topic, "body": body})
    assert response.status_code == 302, response.text[:500]
    return int(re.search(r"/chat/(\d+)/", response.headers["location"]).group(1))


def _socket(server, path: str, client: httpx.Client | None):
    headers = {"Cookie": f"sessionid={client.cookies['sessionid']}"} if client is not None else {}
    return websockets.connect(server["ws"] + path, origin=server["url"], additional_headers=headers, open_timeout=10)


async def _until(socket, frame_type: str, timeout: float = 10) -> list[dict]:
    seen = []
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), timeout=timeout))
        seen.append(frame)
        if frame["type"] == frame_type:
            return seen


def test_chat_round_trip_reconnect_and_replay_through_daphne_and_redis(daphne_redis):
    """Start over HTTP, take from the console socket, talk both ways, drop and resync without loss or duplicates."""
    customer = _login(daphne_redis["url"], "customer@example.com", "customer-demo-2026")
    moderator = _login(daphne_redis["url"], "moderator@example.com", "moderator-demo-2026")
    chat_id = _start_chat(customer, "Daphne integration", "Hello from the integration test")

    async def scenario():
        async with _socket(daphne_redis, "/ws/chat/console/", moderator) as console:
            snapshot = json.loads(await asyncio.wait_for(console.recv(), timeout=10))
            assert chat_id in [row["id"] for row in snapshot["waiting"]]
        async with (
            _socket(daphne_redis, f"/ws/chat/{chat_id}/", customer) as member,
            _socket(daphne_redis, f"/ws/chat/{chat_id}/", moderator) as staff,
        ):
            hello = json.loads(await member.recv())
            assert (hello["role"], hello["queue"]) == ("member", 1)
            await staff.recv()
            await staff.send(json.dumps({"type": "take"}))
            state = (await _until(member, "state"))[-1]
            assert state["status"] == "active"
            await member.send(json.dumps({"type": "message", "body": "Ping from member", "client_id": "m-1"}))
            ack = (await _until(member, "ack"))[-1]
            received = [f for f in await _until(staff, "message") if f["type"] == "message"]
            while received[-1]["message"]["seq"] != ack["seq"]:
                received = [f for f in await _until(staff, "message") if f["type"] == "message"]
            assert received[-1]["message"]["html"] == "<p>Ping from member</p>"
            last_seen = ack["seq"]
        # The member is gone; support writes twice; the member comes back and asks for what it missed.
        async with _socket(daphne_redis, f"/ws/chat/{chat_id}/", moderator) as staff:
            await staff.recv()
            acks = []
            for text in ("first while away", "second while away"):
                await staff.send(json.dumps({"type": "message", "body": text, "client_id": text}))
                acks.append((await _until(staff, "ack"))[-1]["seq"])
        async with _socket(daphne_redis, f"/ws/chat/{chat_id}/", customer) as member:
            await member.recv()
            await member.send(json.dumps({"type": "sync", "last_seq": last_seen}))
            replay = (await _until(member, "replay"))[-1]
            return acks, replay

    acks, replay = asyncio.run(scenario())
    assert [m["seq"] for m in replay["messages"]] == acks
    assert [m["html"] for m in replay["messages"]] == ["<p>first while away</p>", "<p>second while away</p>"]


def test_other_customer_and_anonymous_are_refused_on_every_chat_id(daphne_redis):
    customer = _login(daphne_redis["url"], "customer@example.com", "customer-demo-2026")
    own = _start_chat(customer, "Refusal check", "Is anyone else able to read this?")
    intruder = _login(daphne_redis["url"], "customer2@example.com", "customer2-demo-2026")
    own_of_intruder = {int(i) for i in re.findall(r'href="/chat/(\d+)/"', intruder.get("/chat/").text)}

    async def attempt(chat_id: int, client) -> int:
        try:
            async with _socket(daphne_redis, f"/ws/chat/{chat_id}/", client) as socket:
                await socket.recv()
        except websockets.exceptions.InvalidStatus as exc:
            return exc.response.status_code
        return 101

    async def scenario():
        results = {}
        for chat_id in range(1, own + 3):
            if chat_id in own_of_intruder:
                continue
            results[chat_id] = (await attempt(chat_id, intruder), await attempt(chat_id, None))
        return results

    results = asyncio.run(scenario())
    assert own in results
    assert set(results.values()) == {(403, 403)}
