"""Gateway nodes sharing one Redis store in a test: a store per node, one fresh key prefix."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import redis.asyncio as aioredis

from cas.gateway import GatewaySettings
from cas.registry import Meter
from cas.store.redis import RedisStore
from tests.store.conftest import REDIS_URL
from tests.support.gateway import RunningGateway, running_gateway


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

    @contextlib.asynccontextmanager
    async def workers_and_api(
        self, meters: list[Meter], workers: int, settings: GatewaySettings | None = None
    ) -> AsyncIterator[tuple[list[RunningGateway], RunningGateway]]:
        """``workers`` worker nodes (with ``settings``) and an api node, each a gateway on
        its own store; entered once the workers listen to the work notices."""
        async with contextlib.AsyncExitStack() as stack:
            nodes = [
                await stack.enter_async_context(
                    running_gateway(
                        meters, store=await self.open(), role="worker", settings=settings
                    )
                )
                for _ in range(workers)
            ]
            api = await stack.enter_async_context(
                running_gateway(meters, store=await self.open(), role="api")
            )
            await asyncio.sleep(0.3)  # the workers' subscriptions are in place
            yield nodes, api
