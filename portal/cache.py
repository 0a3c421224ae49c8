"""A Redis cache that degrades to misses when Redis is unreachable, so pages keep being served.

Every page reads through the cache (fragments, brand, KB pages, rate limits). With Django's plain
``RedisCache`` a stopped Redis turns each of those reads into a server error. ``FailSoftRedisCache``
turns connection failures into what a cold cache would answer (``get`` gives the default, writes do
nothing, ``add`` gives False, ``incr`` raises ValueError as for a missing key) and opens a short
circuit breaker: for ``RETRY_SECONDS`` after a failure no call touches Redis, so an outage costs one
connect attempt per process and interval instead of one per call.

Callers that must not mistake an outage for a cold cache (rate limits: a miss would reset every
counter) wrap their calls in ``outage_raises()`` and get ``CacheUnavailable`` instead.

Deletes and increments that fail during an outage are invalidations (a version or generation bump,
a dropped entry). They are remembered (up to ``PENDING_LIMIT`` keys per process) and replayed when
Redis answers again, so a page changed during the outage is not served stale from the old entries
afterwards; beyond the limit, staleness is bounded by the entries' timeouts.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis import exceptions as redis_exceptions
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)

#: What an unreachable, restarting or timing-out Redis raises (redis-py wraps most socket errors).
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    redis_exceptions.ConnectionError,
    redis_exceptions.TimeoutError,
    ConnectionError,
    TimeoutError,
    OSError,
)

PENDING_LIMIT = 1000
LOG_INTERVAL_SECONDS = 60.0

_raise_on_outage: contextvars.ContextVar[bool] = contextvars.ContextVar("portal_cache_raise_on_outage", default=False)


class CacheUnavailable(Exception):
    """The cache could not be reached; raised only inside ``outage_raises()``."""


@contextlib.contextmanager
def outage_raises() -> Iterator[None]:
    """Inside this block a FailSoftRedisCache raises CacheUnavailable instead of answering like a miss."""
    token = _raise_on_outage.set(True)
    try:
        yield
    finally:
        _raise_on_outage.reset(token)


class _Circuit:
    """Outage state of one Redis location, shared by the per-thread cache instances of a process."""

    def __init__(self, location: str, retry_seconds: float):
        self.location = location
        self.retry_seconds = retry_seconds
        self.lock = threading.Lock()
        self.open_until = 0.0
        self.down_since: float | None = None
        self.last_logged = float("-inf")
        self.pending: dict[str, str] = {}  # full key -> "delete" or "incr"
        self.pending_overflowed = False

    def closed(self) -> bool:
        return time.monotonic() >= self.open_until

    def trip(self, error: BaseException) -> None:
        now = time.monotonic()
        with self.lock:
            self.open_until = now + self.retry_seconds
            first = self.down_since is None
            if first:
                self.down_since = now
            if first or now - self.last_logged >= LOG_INTERVAL_SECONDS:
                self.last_logged = now
                logger.warning(
                    "Cache at %s unreachable (%s: %s); serving without cache, retrying every %ss",
                    self.location,
                    type(error).__name__,
                    error,
                    self.retry_seconds,
                )

    def remember(self, key: str, operation: str) -> None:
        with self.lock:
            if key in self.pending or len(self.pending) < PENDING_LIMIT:
                # A delete wins over an increment: the entry is gone either way.
                if self.pending.get(key) != "delete":
                    self.pending[key] = operation
            else:
                self.pending_overflowed = True

    def recovered(self) -> tuple[dict[str, str], bool] | None:
        """Mark the location reachable; return the invalidations to replay if it had been down."""
        if self.down_since is None:
            return None
        with self.lock:
            if self.down_since is None:
                return None
            outage = time.monotonic() - self.down_since
            self.down_since = None
            self.open_until = 0.0
            pending, overflowed = self.pending, self.pending_overflowed
            self.pending, self.pending_overflowed = {}, False
        logger.warning("Cache at %s reachable again after %.0fs", self.location, outage)
        return pending, overflowed


_circuits: dict[str, _Circuit] = {}
_circuits_lock = threading.Lock()


def _without_credentials(location: str) -> str:
    """The location as logs may show it: a password in the URL stays out of the log."""
    parts = [urlsplit(url) for url in re.split("[;,]", location)]
    return ",".join(urlunsplit(part._replace(netloc=part.netloc.rpartition("@")[2])) for part in parts)


def _circuit_for(location: str, retry_seconds: float) -> _Circuit:
    with _circuits_lock:
        circuit = _circuits.get(location)
        if circuit is None:
            circuit = _circuits[location] = _Circuit(_without_credentials(location), retry_seconds)
        return circuit


class FailSoftRedisCache(RedisCache):
    """Django's RedisCache whose outages read as misses; configure ``OPTIONS["RETRY_SECONDS"]``."""

    def __init__(self, server, params):
        params = dict(params)
        options = dict(params.get("OPTIONS") or {})
        retry_seconds = float(options.pop("RETRY_SECONDS", 5))
        # redis-py's default retries a refused connection ten times with backoff, seconds per call.
        # One immediate retry still replaces a pooled connection that went stale in a Redis restart.
        options.setdefault("retry", Retry(NoBackoff(), 1))
        params["OPTIONS"] = options
        super().__init__(server, params)
        location = server if isinstance(server, str) else ",".join(server)
        self._circuit = _circuit_for(location, retry_seconds)

    # -- the guard around every call ---------------------------------------------------------

    @property
    def available(self) -> bool:
        """False while the circuit is open after a failure (calls answer as misses without trying)."""
        return self._circuit.closed()

    def _call(self, method: Callable[[], Any], fallback: Any, *, missed: tuple[list[str], str] | None = None) -> Any:
        """Run ``method`` against Redis; on an outage remember ``missed`` invalidations and answer ``fallback``."""
        error = None
        if self._circuit.closed():
            try:
                result = method()
            except OUTAGE_ERRORS as exc:
                error = exc
                self._circuit.trip(exc)
            else:
                self._after_success()
                return result
        if missed is not None:
            keys, operation = missed
            for key in keys:
                self._circuit.remember(key, operation)
        if _raise_on_outage.get():
            raise CacheUnavailable(str(error) if error else "circuit open") from error
        return fallback

    def _after_success(self) -> None:
        replay = self._circuit.recovered()
        if replay is None:
            return
        pending, overflowed = replay
        if overflowed:
            logger.warning(
                "More than %s invalidations missed during the outage; cached entries expire on their own", PENDING_LIMIT
            )
        client = self._cache
        items = list(pending.items())
        for index, (key, operation) in enumerate(items):
            try:
                if operation == "delete":
                    client.delete(key)
                elif client.get(key, None) is not None:
                    client.incr(key, 1)
            except OUTAGE_ERRORS as error:
                self._circuit.trip(error)
                for left_key, left_operation in items[index:]:
                    self._circuit.remember(left_key, left_operation)
                return
            except (ValueError, redis_exceptions.ResponseError):
                continue  # expired meanwhile, or not a counter: nothing to bump

    # -- the cache API ---------------------------------------------------------------------

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(lambda: super(FailSoftRedisCache, self).add(key, value, timeout, version), False)

    def get(self, key, default=None, version=None):
        return self._call(lambda: super(FailSoftRedisCache, self).get(key, default, version), default)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(lambda: super(FailSoftRedisCache, self).set(key, value, timeout, version), None)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(lambda: super(FailSoftRedisCache, self).touch(key, timeout, version), False)

    def delete(self, key, version=None):
        missed = ([self.make_and_validate_key(key, version=version)], "delete")
        return self._call(lambda: super(FailSoftRedisCache, self).delete(key, version), False, missed=missed)

    def get_many(self, keys, version=None):
        return self._call(lambda: super(FailSoftRedisCache, self).get_many(keys, version), {})

    def has_key(self, key, version=None):
        return self._call(lambda: super(FailSoftRedisCache, self).has_key(key, version), False)

    def incr(self, key, delta=1, version=None):
        missed = ([self.make_and_validate_key(key, version=version)], "incr")
        result = self._call(lambda: super(FailSoftRedisCache, self).incr(key, delta, version), _MISSED, missed=missed)
        if result is _MISSED:
            raise ValueError(f"Key '{key}' not found (cache unavailable).")
        return result

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        result = self._call(lambda: super(FailSoftRedisCache, self).set_many(data, timeout, version), _MISSED)
        return list(data) if result is _MISSED else result

    def delete_many(self, keys, version=None):
        keys = list(keys)
        missed = ([self.make_and_validate_key(key, version=version) for key in keys], "delete")
        return self._call(lambda: super(FailSoftRedisCache, self).delete_many(keys, version), None, missed=missed)

    def clear(self):
        return self._call(lambda: super(FailSoftRedisCache, self).clear(), False)


#: Marks a call that did not reach Redis, where None or False would be a real answer.
_MISSED = object()
