"""The Redis channel layer, made to come back by itself after Redis restarts.

redis-py's asyncio connections do not retry by default: after a Redis restart every connection left
in channels_redis' pool fails once with "Connection closed by server", which would close a live
socket although Redis is back. One immediate retry on a fresh connection replaces such a stale
connection; a Redis that is really down still fails at once (portal.consumers closes the socket
with 4503 and the page retries with backoff).
"""

from __future__ import annotations

from channels_redis import core
from channels_redis.utils import create_pool
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff


class RedisChannelLayer(core.RedisChannelLayer):
    """channels_redis' layer whose connections retry once, so a restarted Redis is picked up again."""

    def create_pool(self, index):
        host = dict(self.hosts[index])
        host.setdefault("retry", Retry(NoBackoff(), 1))
        return create_pool(host)
