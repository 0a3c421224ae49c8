"""Stopping the real Redis under a running portal: pages, login and replies keep working, live updates pause,
/healthz says "degraded"; after Redis restarts on the same port the cache and live updates are used again.

The test starts its own redis-server on a free loopback port (no persistence) and a Daphne process with
REDIS_URL pointing at it, so killing Redis touches nothing else on the machine.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
import websockets

from portal import cache as portal_cache
from portal.cache import FailSoftRedisCache
from tests.e2e.conftest import CHROMIUM_ARGS
from tests.integration.conftest import daphne_start, var_copy
from tests.smtp import free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
CUSTOMER = ("customer@example.com", "customer-demo-2026")


class RedisServer:
    """A throwaway redis-server that can be killed (SIGKILL) and started again on the same port."""

    def __init__(self, port: int, workdir: Path):
        self.port = port
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server"),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.cli("PING") == "PONG":
                return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

    def cli(self, *args: str) -> str:
        result = subprocess.run(
            [shutil.which("redis-cli"), "-p", str(self.port), *args], capture_output=True, text=True, timeout=5
        )
        return result.stdout.strip()

    def key_count(self) -> int:
        return int(self.cli("DBSIZE") or 0)


@pytest.fixture(scope="module")
def portal_on_own_redis(var_templates):
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is needed (apt-get install redis-server)")
    tmp = var_copy(var_templates["seeded"], "portal-redis-down-")
    redis = RedisServer(free_port(), tmp)
    redis.start()
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.development",
        "PORTAL_VAR_DIR": str(tmp),
        "REDIS_URL": f"redis://127.0.0.1:{redis.port}/0",
        "REDIS_CACHE_RETRY_SECONDS": "1",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "STAFF_2FA_REQUIRED": "0",
    }
    env.pop("DATABASE_URL", None)
    log_path = tmp / "daphne.log"
    try:
        daphne, url = daphne_start(env=env, port=port, log_path=log_path)
    except RuntimeError:
        redis.kill()
        raise
    yield {"url": url, "ws": f"ws://127.0.0.1:{port}", "redis": redis, "log": log_path}
    daphne.terminate()
    daphne.wait(timeout=10)
    if redis.process.poll() is None:
        redis.kill()
    shutil.rmtree(tmp, ignore_errors=True)


def logged_in_client(url: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=15, follow_redirects=False)
    page = client.get("/account/login/")
    assert page.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/account/login/", data={"csrfmiddlewaretoken": token, "username": CUSTOMER[0], "password": CUSTOMER[1]}
    )
    assert response.status_code == 302, response.text[:2000]
    assert client.get("/account/").status_code == 200
    return client


def first_thread_path(client: httpx.Client) -> str:
    forums = client.get("/forums/")
    assert forums.status_code == 200
    forum = re.search(r'href="(/forums/(?!search|similar|tags|t/|p/|blog/)[a-z0-9-]+/)"', forums.text).group(1)
    listing = client.get(forum)
    assert listing.status_code == 200
    return re.search(r'href="(/forums/t/\d+/)"', listing.text).group(1)


def reply(client: httpx.Client, thread_path: str, body: str) -> httpx.Response:
    page = client.get(thread_path)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return client.post(thread_path + "reply/", data={"csrfmiddlewaretoken": token, "body": body})


async def open_thread_socket(ws: str, origin: str, thread_path: str):
    thread_id = re.search(r"/t/(\d+)/", thread_path).group(1)
    return await websockets.connect(f"{ws}/ws/forums/threads/{thread_id}/", origin=origin, open_timeout=10)


def socket_close_code(ws: str, origin: str, thread_path: str) -> int | None:
    """The close code the server gives a thread socket (None if it stays open for two seconds, -status if refused)."""

    async def scenario():
        try:
            socket = await open_thread_socket(ws, origin, thread_path)
        except websockets.exceptions.InvalidStatus as refused:
            return -refused.response.status_code
        try:
            await asyncio.wait_for(socket.recv(), timeout=2)
        except websockets.exceptions.ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else 1006
        except TimeoutError:
            await socket.close()
            return None
        return None

    return asyncio.run(scenario())


def wait_for_health(client: httpx.Client, redis_status: str) -> dict:
    deadline = time.monotonic() + 15
    while True:
        response = client.get("/healthz")
        body = response.json()
        if body["checks"]["redis"]["status"] == redis_status or time.monotonic() > deadline:
            return {"http": response.status_code, **body}
        time.sleep(0.3)


def test_pages_login_and_replies_survive_a_stopped_redis_and_recover(portal_on_own_redis):
    url, ws, redis = portal_on_own_redis["url"], portal_on_own_redis["ws"], portal_on_own_redis["redis"]
    anonymous = httpx.Client(base_url=url, timeout=15)

    # Redis up: pages are served, the cache holds entries, the live socket stays open, health is ok.
    member = logged_in_client(url)
    thread_path = first_thread_path(member)
    assert member.get(thread_path).status_code == 200
    assert anonymous.get("/").status_code == 200
    assert redis.key_count() > 0
    assert socket_close_code(ws, url, thread_path) is None
    health = wait_for_health(anonymous, "ok")
    assert health["http"] == 200
    assert health["status"] in {"ok", "degraded"}  # a fresh demo has no worker or scheduler running
    assert health["checks"]["redis"] == {"status": "ok"}

    # Redis killed: an open live socket is closed with 4503 ("paused"); new ones are refused until it is back.
    async def open_socket_when_redis_dies():
        socket = await open_thread_socket(ws, url, thread_path)
        await asyncio.to_thread(redis.kill)
        try:
            await asyncio.wait_for(socket.recv(), timeout=15)
        except websockets.exceptions.ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None
        finally:
            await socket.close()
        return None

    assert asyncio.run(open_socket_when_redis_dies()) == 4503
    assert socket_close_code(ws, url, thread_path) == -403

    # Every page, a new login and a reply still work.
    assert anonymous.get("/").status_code == 200
    assert anonymous.get("/forums/").status_code == 200
    assert anonymous.get(thread_path).status_code == 200
    health = wait_for_health(anonymous, "down")
    assert health["http"] == 200
    assert health["status"] == "degraded"
    assert health["checks"]["redis"]["status"] == "down"
    assert health["checks"]["database"] == {"status": "ok"}
    second = logged_in_client(url)
    posted = reply(second, thread_path, "Written while the cache server was down; it must still arrive.")
    assert posted.status_code == 302, posted.text[:2000]
    page = second.get(posted.headers["location"], follow_redirects=True)
    assert page.status_code == 200
    assert "Written while the cache server was down" in page.text

    # Redis back on the same port: health turns ok, the cache fills again, live replies arrive again.
    redis.start()
    assert redis.key_count() == 0
    health = wait_for_health(anonymous, "ok")
    assert health["checks"]["redis"] == {"status": "ok"}
    assert anonymous.get(thread_path).status_code == 200
    assert anonymous.get("/forums/").status_code == 200
    assert redis.key_count() > 0

    async def live_reply():
        socket = await open_thread_socket(ws, url, thread_path)
        try:
            await asyncio.to_thread(reply, member, thread_path, "Live again after the restart of the cache server.")
            frame = await asyncio.wait_for(socket.recv(), timeout=10)
        finally:
            await socket.close()
        return frame

    # The socket names the new post; each page fetches it rendered for its own viewer (issue 17).
    frame = json.loads(asyncio.run(live_reply()))
    assert frame["type"] == "post" and set(frame) == {"type", "post_id"}
    fragment = member.get(f"/forums/p/{frame['post_id']}/fragment/")
    assert "Live again after the restart of the cache server." in fragment.json()["html"]
    log = portal_on_own_redis["log"].read_text()
    assert "Traceback" not in log, log[-4000:]


def test_thread_page_says_live_updates_paused_and_catches_up_when_redis_is_back(portal_on_own_redis):
    """In a real browser: the notice appears when Redis stops, goes when it is back, and the missed reply shows."""
    from playwright.sync_api import expect, sync_playwright

    url, redis = portal_on_own_redis["url"], portal_on_own_redis["redis"]
    if redis.process.poll() is not None:
        redis.start()
    member = logged_in_client(url)
    thread_path = first_thread_path(member)
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    assert executable, "Debian's chromium is needed: apt-get install chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(base_url=url)
            page.set_default_timeout(15_000)
            page.goto(thread_path)
            live = page.locator("#post-list")
            paused = page.locator("#live-paused")
            expect(live).to_have_attribute("data-live", "connected")
            expect(paused).to_be_empty()
            expect(paused).to_have_attribute("aria-live", "polite")

            redis.kill()
            expect(paused).to_have_text("Live updates paused. Reconnecting…")
            posted = reply(member, thread_path, "Sent while the live updates were paused.")
            assert posted.status_code == 302

            redis.start()
            expect(live).to_have_attribute("data-live", "connected", timeout=30_000)
            expect(paused).to_be_empty()
            expect(
                page.locator("#post-list .post").filter(has_text="Sent while the live updates were paused.")
            ).to_have_count(1)
        finally:
            browser.close()


@pytest.fixture
def own_redis(tmp_path):
    server = RedisServer(free_port(), tmp_path)
    server.start()
    yield server
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGCONT)
        server.kill()


def test_invalidations_missed_while_redis_hangs_are_replayed(own_redis):
    """A frozen Redis (SIGSTOP) keeps its data: the version bump and the delete the portal could not send
    are applied once it answers again, so no entry from before the outage is served as current."""
    location = f"redis://127.0.0.1:{own_redis.port}/0"
    backend = FailSoftRedisCache(
        location, {"OPTIONS": {"RETRY_SECONDS": 0, "socket_connect_timeout": 0.5, "socket_timeout": 0.5}}
    )
    try:
        backend.set("brand-version", 3, timeout=None)
        backend.set("kb-page", "old html")
        backend.set("other", "kept")
        own_redis.process.send_signal(signal.SIGSTOP)
        with pytest.raises(ValueError):
            backend.incr("brand-version")
        assert backend.delete("kb-page") is False
        assert backend.get("other", "miss") == "miss"
        own_redis.process.send_signal(signal.SIGCONT)
        assert backend.get("other") == "kept"
        assert backend.get("brand-version") == 4
        assert backend.get("kb-page", "gone") == "gone"
    finally:
        portal_cache._circuits.pop(location, None)
