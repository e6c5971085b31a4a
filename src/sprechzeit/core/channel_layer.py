"""The Redis channel layer with a bounded connection pool that waits.

channels_redis opens a new Redis connection whenever every pooled one is busy, up to
`max_connections`. On a busy node a burst of cut-offs (each a `group_send`) while the
event loop runs late found every connection busy, so each process opened hundreds of
new ones at once; Redis, saturated itself, accepted them late, and the connects timed
out (`Timeout connecting to server`: 539 failed cut-off broadcasts in a 4,000-run,
docs/performance.md). Here the pool is redis-py's `BlockingConnectionPool`: at most
`max_connections` per event loop, and a command that finds them all busy waits up to
`timeout` seconds for one to come back (then `ConnectionError`) instead of connecting.
"""

from __future__ import annotations

from typing import Any

from channels_redis.core import RedisChannelLayer
from redis.asyncio import BlockingConnectionPool


class BoundedRedisChannelLayer(RedisChannelLayer):  # type: ignore[misc]
    """`channels_redis.core.RedisChannelLayer` whose hosts (dicts with `address`) get a
    `BlockingConnectionPool`: `max_connections` (default 50) and `timeout` (seconds to
    wait for a free connection, default 20) come from the host's entry."""

    def create_pool(self, index: int) -> BlockingConnectionPool:
        host: dict[str, Any] = dict(self.hosts[index])
        address = host.pop("address")
        return BlockingConnectionPool.from_url(address, **host)
