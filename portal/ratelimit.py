"""Fixed-window rate limits in the cache, shared by web and WebSocket paths.

When the cache cannot be reached (Redis stopped), counting moves to a window kept in this process's
memory (``_LocalWindows``) instead of failing open: a login, sign-up, reset or DSAR limit still
holds, per process, until Redis answers again. A database counter would hold exactly across
processes, but it would put a write on every limited request exactly while the portal is degraded,
and it needs a table for what is a short outage; with N web processes an attacker gets at most N
times the limit during the outage, never an unlimited number of attempts.
"""

from __future__ import annotations

import threading
import time

from django.core.cache import cache

from portal.cache import CacheUnavailable, outage_raises


class RateLimited(Exception):
    """Raised when an action exceeds its limit; carries seconds until it is allowed again."""

    def __init__(self, retry_after: int):
        super().__init__(f"Rate limit exceeded, retry after {retry_after}s")
        self.retry_after = retry_after


class _LocalWindows:
    """Counters of this process used while the shared cache is unavailable (bounded in size)."""

    MAX_KEYS = 50_000

    def __init__(self):
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, float]] = {}  # cache key -> (count, expires at)

    def incr(self, cache_key: str, *, ttl: int) -> int:
        now = time.time()
        with self._lock:
            count, expires = self._counts.get(cache_key, (0, 0.0))
            if expires <= now:
                count = 0
                expires = now + ttl
                if len(self._counts) >= self.MAX_KEYS:
                    self._prune(now)
            count += 1
            self._counts[cache_key] = (count, expires)
            return count

    def get(self, cache_key: str) -> int:
        with self._lock:
            count, expires = self._counts.get(cache_key, (0, 0.0))
            return count if expires > time.time() else 0

    def delete(self, cache_key: str) -> None:
        with self._lock:
            self._counts.pop(cache_key, None)

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()

    def _prune(self, now: float) -> None:
        for key in [key for key, (_, expires) in self._counts.items() if expires <= now]:
            del self._counts[key]
        # Still full of live windows: drop the oldest half rather than grow without bound.
        if len(self._counts) >= self.MAX_KEYS:
            for key in sorted(self._counts, key=lambda key: self._counts[key][1])[: self.MAX_KEYS // 2]:
                del self._counts[key]


_local = _LocalWindows()


def _count_in_cache(cache_key: str, *, window: int) -> int:
    if cache.add(cache_key, 1, timeout=window + 1):
        return 1
    try:
        return cache.incr(cache_key)
    except ValueError:
        cache.set(cache_key, 1, timeout=window + 1)
        return 1


def hit(key: str, *, limit: int, window: int) -> int:
    """Count one action under ``key``; raise RateLimited above ``limit`` per ``window`` seconds."""
    now = int(time.time())
    bucket = now // window
    cache_key = f"rl:{key}:{bucket}"
    try:
        with outage_raises():
            count = _count_in_cache(cache_key, window=window)
    except CacheUnavailable:
        count = _local.incr(cache_key, ttl=window + 1)
    if count > limit:
        raise RateLimited(retry_after=(bucket + 1) * window - now)
    return count


def is_limited(key: str, *, limit: int, window: int) -> bool:
    """Whether ``key`` is over its limit, without counting."""
    bucket = int(time.time()) // window
    cache_key = f"rl:{key}:{bucket}"
    try:
        with outage_raises():
            count = cache.get(cache_key) or 0
    except CacheUnavailable:
        count = _local.get(cache_key)
    return count >= limit


def reset(key: str, *, window: int) -> None:
    bucket = int(time.time()) // window
    cache_key = f"rl:{key}:{bucket}"
    _local.delete(cache_key)
    try:
        with outage_raises():
            cache.delete(cache_key)
    except CacheUnavailable:
        # The shared counter stays until its window ends; the cache replays the delete when it is back.
        pass
