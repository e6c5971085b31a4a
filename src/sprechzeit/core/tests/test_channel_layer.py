"""The channel layer's bounded pool (`core.channel_layer`) against the real Redis on
127.0.0.1:6379 (as the two-process tests; an unreachable Redis fails, never skips): a
burst of broadcasts far larger than the pool is delivered in full over at most
`max_connections` connections; channels_redis' own pool, capped the same, refuses it."""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import Any

import pytest
import redis
from channels_redis.core import RedisChannelLayer
from redis.exceptions import MaxConnectionsError

from sprechzeit.core.channel_layer import BoundedRedisChannelLayer

pytestmark = [pytest.mark.postgres]  # runs in the pass that has the services

REDIS_URL = os.environ.get("SPRECHZEIT_TEST_REDIS_URL", "redis://127.0.0.1:6379/7")
BURST = 300
POOL = 4


def _connections_named(name: str) -> int:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        return sum(1 for entry in client.client_list() if entry.get("name") == name)
    finally:
        client.close()


async def _burst(layer: Any, name: str) -> tuple[int, int]:
    """BURST broadcasts at once to a group of two channels; returns (delivered, the
    most connections the layer held open meanwhile)."""
    group = f"burst-{uuid.uuid4().hex}"
    channels = [await layer.new_channel() for _ in range(2)]
    for channel in channels:
        await layer.group_add(group, channel)
    peak = 0

    async def watch() -> None:
        nonlocal peak
        while True:
            peak = max(peak, await asyncio.to_thread(_connections_named, name))
            await asyncio.sleep(0.005)

    watcher = asyncio.ensure_future(watch())
    try:
        await asyncio.gather(
            *(layer.group_send(group, {"type": "burst", "n": n}) for n in range(BURST))
        )
        delivered = 0
        for channel in channels:
            for _ in range(BURST):
                await asyncio.wait_for(layer.receive(channel), 10)
                delivered += 1
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        for channel in channels:
            await layer.group_discard(group, channel)
        await layer.flush()
        await layer.close_pools()
    peak = max(peak, _connections_named(name))
    return delivered, peak


def _host(name: str, **extra: Any) -> dict[str, Any]:
    return {"address": REDIS_URL, "socket_timeout": 30, "client_name": name, **extra}


def test_a_burst_larger_than_the_pool_waits_for_connections_and_is_delivered() -> None:
    name = f"bounded-{uuid.uuid4().hex[:8]}"
    layer = BoundedRedisChannelLayer(
        hosts=[_host(name, max_connections=POOL, timeout=30)], capacity=2 * BURST
    )
    delivered, peak = asyncio.run(_burst(layer, name))
    assert delivered == 2 * BURST
    assert 1 <= peak <= POOL


def test_channels_redis_own_pool_with_the_same_cap_refuses_the_burst() -> None:
    """Why the bounded pool exists: the same burst through the stock layer with the same
    cap fails (`Too many connections`) instead of waiting."""
    name = f"stock-{uuid.uuid4().hex[:8]}"
    layer = RedisChannelLayer(hosts=[_host(name, max_connections=POOL)], capacity=2 * BURST)
    with pytest.raises(MaxConnectionsError):
        asyncio.run(_burst(layer, name))
