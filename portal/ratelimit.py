"""Fixed-window rate limits in the cache, shared by web and WebSocket paths."""

from __future__ import annotations

import time

from django.core.cache import cache


class RateLimited(Exception):
    """Raised when an action exceeds its limit; carries seconds until it is allowed again."""

    def __init__(self, retry_after: int):
        super().__init__(f"Rate limit exceeded, retry after {retry_after}s")
        self.retry_after = retry_after


def hit(key: str, *, limit: int, window: int) -> int:
    """Count one action under ``key``; raise RateLimited above ``limit`` per ``window`` seconds."""
    now = int(time.time())
    bucket = now // window
    cache_key = f"rl:{key}:{bucket}"
    if cache.add(cache_key, 1, timeout=window + 1):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:
            cache.set(cache_key, 1, timeout=window + 1)
            count = 1
    if count > limit:
        raise RateLimited(retry_after=(bucket + 1) * window - now)
    return count


def is_limited(key: str, *, limit: int, window: int) -> bool:
    """Whether ``key`` is over its limit, without counting."""
    bucket = int(time.time()) // window
    return (cache.get(f"rl:{key}:{bucket}") or 0) >= limit


def reset(key: str, *, window: int) -> None:
    bucket = int(time.time()) // window
    cache.delete(f"rl:{key}:{bucket}")
