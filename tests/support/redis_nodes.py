"""Gateway nodes sharing one Redis store in a test: a store per node, one fresh key prefix."""

from __future__ import annotations

import contextlib
import uuid

import redis.asyncio as aioredis

from cas.store.redis import RedisStore
from tests.store.conftest import REDIS_URL


class RedisNodes:
    """Opens a RedisStore per node, all under one fresh key prefix; ``cleanup`` closes them
    and removes the prefix's keys."""

    def __init__(self) -> None:
        self.prefix = f"cas-test:{uuid.uuid4().hex}:"
        self.opened: list[RedisStore] = []

    async def open(self) -> RedisStore:
        store = await RedisStore.open(REDIS_URL, prefix=self.prefix)
        self.opened.append(store)
        return store

    async def cleanup(self) -> None:
        for store in self.opened:  # a gateway closes its store: closing again is harmless
            with contextlib.suppress(Exception):
                await store.close()
        client = aioredis.from_url(REDIS_URL)
        keys = [key async for key in client.scan_iter(match=f"{self.prefix}*", count=1000)]
        if keys:
            await client.delete(*keys)
        await client.aclose()
