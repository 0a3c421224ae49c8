"""portal.cache and portal.ratelimit with Redis unreachable: misses instead of errors, limits that still hold.

The Redis here is a real redis-py client connecting to a loopback port nobody listens on (a stopped
Redis); tests/integration/test_redis_down.py stops and restarts a real redis-server.
"""

from __future__ import annotations

import logging
import socket
import time

import pytest
import redis
from django.core.cache import cache, caches
from django.test import override_settings
from django.urls import reverse

from portal import cache as portal_cache
from portal import ratelimit
from portal.cache import CacheUnavailable, FailSoftRedisCache, outage_raises


class CountingConnection(redis.Connection):
    """A real redis-py connection that counts its connect attempts."""

    attempts = 0

    def connect(self):
        type(self).attempts += 1
        return super().connect()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def dead_location():
    """A Redis URL whose port refuses connections, with a fresh circuit (state is per process and location)."""
    location = f"redis://127.0.0.1:{closed_port()}/0"
    CountingConnection.attempts = 0
    yield location
    portal_cache._circuits.pop(location, None)


def dead_cache(location, retry_seconds=5):
    return FailSoftRedisCache(
        location,
        {
            "OPTIONS": {
                "RETRY_SECONDS": retry_seconds,
                "socket_connect_timeout": 0.5,
                "connection_class": CountingConnection,
            }
        },
    )


@pytest.fixture
def cache_down(dead_location):
    """The default cache is Redis, and Redis is down."""
    config = {
        "default": {
            "BACKEND": "portal.cache.FailSoftRedisCache",
            "LOCATION": dead_location,
            "OPTIONS": {"RETRY_SECONDS": 5, "socket_connect_timeout": 0.5},
        }
    }
    with override_settings(CACHES=config):
        yield caches["default"]
    ratelimit._local.clear()


def test_an_unreachable_redis_answers_like_an_empty_cache(dead_location):
    """Reads give the default, writes do nothing, add and delete say False, incr says the key is missing."""
    backend = dead_cache(dead_location)
    assert backend.get("brand", "default") == "default"
    assert backend.get_many(["a", "b"]) == {}
    assert backend.set("brand", "blue") is None
    assert backend.add("brand", "blue") is False
    assert backend.delete("brand") is False
    assert backend.has_key("brand") is False
    assert backend.set_many({"a": 1, "b": 2}) == ["a", "b"]
    assert backend.delete_many(["a", "b"]) is None
    assert backend.get_or_set("version", 1) == 1
    with pytest.raises(ValueError):
        backend.incr("version")
    assert backend.available is False


def test_an_open_circuit_costs_no_connection_attempt_and_logs_once(dead_location, caplog):
    """After the first failure, calls answer without touching Redis until the retry interval passes."""
    backend = dead_cache(dead_location)
    with caplog.at_level(logging.WARNING, logger="portal.cache"):
        for _ in range(25):
            assert backend.get("page") is None
    # The first call tries to connect (redis-py retries once inside it), the others do not.
    assert CountingConnection.attempts == 1
    warnings = [record for record in caplog.records if record.name == "portal.cache"]
    assert len(warnings) == 1
    assert "unreachable" in warnings[0].getMessage()


def test_the_circuit_is_shared_by_the_instances_of_a_process(dead_location):
    """Each thread has its own cache instance; one failure spares every thread the connect attempt."""
    dead_cache(dead_location).get("page")
    other_thread = dead_cache(dead_location)
    assert other_thread.available is False
    assert other_thread.get("page", "miss") == "miss"
    assert CountingConnection.attempts == 1


def test_after_the_retry_interval_redis_is_tried_again(dead_location, monkeypatch):
    """The breaker is short: once the interval has passed, the next call reaches for Redis again."""
    clock = [1000.0]
    monkeypatch.setattr(portal_cache.time, "monotonic", lambda: clock[0])
    backend = dead_cache(dead_location, retry_seconds=5)
    backend.get("page")
    clock[0] += 4.9
    backend.get("page")
    assert CountingConnection.attempts == 1
    clock[0] += 0.2
    backend.get("page")
    assert CountingConnection.attempts == 2


def test_inside_outage_raises_an_outage_is_an_error_not_a_miss(dead_location):
    backend = dead_cache(dead_location)
    with outage_raises(), pytest.raises(CacheUnavailable):
        backend.add("rl:x", 1)
    with outage_raises(), pytest.raises(CacheUnavailable):
        backend.get("rl:x")
    assert backend.get("rl:x", "miss") == "miss"


def test_missed_invalidations_are_kept_for_replay(dead_location):
    """Deletes and increments that could not reach Redis are remembered, a delete winning over an incr."""
    backend = dead_cache(dead_location)
    backend.delete("fragment")
    with pytest.raises(ValueError):
        backend.incr("kb-generation")
    with pytest.raises(ValueError):
        backend.incr("fragment")
    backend.delete_many(["row-1", "row-2"])
    circuit = portal_cache._circuits[dead_location]
    assert circuit.pending == {
        backend.make_and_validate_key("fragment"): "delete",
        backend.make_and_validate_key("kb-generation"): "incr",
        backend.make_and_validate_key("row-1"): "delete",
        backend.make_and_validate_key("row-2"): "delete",
    }


def test_log_lines_do_not_show_the_redis_password(caplog):
    location = f"redis://:hunter2@127.0.0.1:{closed_port()}/0"
    try:
        with caplog.at_level(logging.WARNING, logger="portal.cache"):
            dead_cache(location).get("x")
        assert "hunter2" not in caplog.text
        assert "redis://127.0.0.1:" in caplog.text
    finally:
        portal_cache._circuits.pop(location, None)


def test_rate_limits_still_hold_while_redis_is_down(cache_down):
    """A security limit fails safe: counting moves into the process instead of opening the door."""
    assert cache_down.available is True
    counts = [ratelimit.hit("login:203.0.113.7", limit=3, window=900) for _ in range(3)]
    assert counts == [1, 2, 3]
    with pytest.raises(ratelimit.RateLimited) as raised:
        ratelimit.hit("login:203.0.113.7", limit=3, window=900)
    assert 0 < raised.value.retry_after <= 900
    assert ratelimit.is_limited("login:203.0.113.7", limit=3, window=900) is True
    # Other keys keep their own windows.
    assert ratelimit.hit("login:198.51.100.2", limit=3, window=900) == 1
    assert ratelimit.is_limited("login:198.51.100.2", limit=3, window=900) is False
    ratelimit.reset("login:203.0.113.7", window=900)
    assert ratelimit.is_limited("login:203.0.113.7", limit=3, window=900) is False
    assert cache_down.available is False


def test_rate_limits_count_in_the_cache_while_it_is_up():
    """With a working cache nothing is counted in the process."""
    assert [ratelimit.hit("dsar-export:7", limit=2, window=3600) for _ in range(2)] == [1, 2]
    with pytest.raises(ratelimit.RateLimited):
        ratelimit.hit("dsar-export:7", limit=2, window=3600)
    assert ratelimit._local._counts == {}
    assert cache.get(f"rl:dsar-export:7:{int(time.time()) // 3600}") == 3


def test_local_windows_stay_bounded(monkeypatch):
    monkeypatch.setattr(ratelimit._LocalWindows, "MAX_KEYS", 10)
    windows = ratelimit._LocalWindows()
    for number in range(25):
        windows.incr(f"rl:k{number}:1", ttl=60)
    assert len(windows._counts) <= 10
    assert windows.get("rl:k24:1") == 1


@pytest.mark.django_db
@override_settings(SIGNUP_RATE_PER_HOUR=2)
def test_signup_is_throttled_and_served_while_redis_is_down(client, cache_down):
    """No 500 with Redis stopped; the third sign-up from one address in the hour is refused."""
    statuses = []
    for number in range(3):
        response = client.post(
            reverse("signup"),
            {
                "email": f"new{number}@example.com",
                "password1": "a-long-secret-77",
                "password2": "a-long-secret-77",
                "preferred_language": "en",
            },
        )
        statuses.append(response.status_code)
    assert statuses == [302, 302, 429]
    assert cache_down.available is False


@pytest.fixture
def layer_down(dead_location):
    """The channel layer is the Redis one, and Redis is down."""
    layers = {
        "default": {
            "BACKEND": "portal.channel_layers.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": dead_location, "socket_connect_timeout": 0.5}]},
        }
    }
    with override_settings(CHANNEL_LAYERS=layers):
        yield


@pytest.mark.django_db(transaction=True)
def test_a_thread_socket_is_refused_cleanly_while_the_layer_is_down(layer_down, caplog):
    """No traceback escapes the consumer: the handshake is refused and one warning is logged."""
    from asgiref.sync import async_to_sync
    from channels.routing import URLRouter
    from channels.testing import WebsocketCommunicator

    from community import services
    from community.models import Forum
    from portal import consumers
    from portal.roles import Role
    from portal.routing import websocket_urlpatterns
    from tests.factories import make_member

    member = make_member(role=Role.CUSTOMER)
    forum = Forum.objects.create(name="General", slug="general")
    thread = services.thread_create(forum=forum, author=member, title="Printer offline", body="It blinks.")
    consumers._last_logged = float("-inf")

    async def run():
        communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/forums/threads/{thread.pk}/")
        communicator.scope["user"] = member
        connected, code = await communicator.connect(timeout=5)
        await communicator.wait(timeout=5)
        return connected, code

    with caplog.at_level(logging.WARNING, logger="portal.consumers"):
        connected, code = async_to_sync(run)()
    assert (connected, code) == (False, consumers.LAYER_UNAVAILABLE)
    assert [record.getMessage().split(" (")[0] for record in caplog.records if record.name == "portal.consumers"] == [
        "Channel layer unreachable"
    ]


@pytest.mark.django_db(transaction=True)
def test_a_reply_is_saved_and_answered_while_the_layer_is_down(client, layer_down, cache_down, caplog):
    """The after-commit live update fails quietly: the member's reply is saved and they are redirected."""
    from community import services
    from community.models import Forum, Post
    from portal.roles import Role
    from tests.factories import PASSWORD, make_member

    asker = make_member(role=Role.CUSTOMER)
    helper = make_member(role=Role.MODERATOR)
    forum = Forum.objects.create(name="General", slug="general")
    thread = services.thread_create(forum=forum, author=asker, title="Printer offline", body="It blinks.")
    client.login(username=helper.email, password=PASSWORD)
    with caplog.at_level(logging.WARNING, logger="community.live"):
        response = client.post(reverse("community:reply", args=[thread.pk]), {"body": "Unplug it for ten seconds."})
    assert response.status_code == 302
    assert list(Post.objects.filter(thread=thread).values_list("body", flat=True).order_by("pk")) == [
        "It blinks.",
        "Unplug it for ten seconds.",
    ]
    skipped = [record for record in caplog.records if record.name == "community.live"]
    assert len(skipped) == 1
    assert "channel layer unreachable" in skipped[0].getMessage()
    assert skipped[0].exc_info is None
