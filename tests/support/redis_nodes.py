"""Gateway nodes sharing one Redis store in a test: a store per node, one fresh key prefix."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import redis.asyncio as aioredis

from cas.gateway import GatewaySettings
from cas.registry import Meter
from cas.store.redis import RedisKeys, RedisStore
from tests.store.conftest import REDIS_URL
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.redis_keys import drop_prefix


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
        await drop_prefix(REDIS_URL, self.prefix)

    async def wait_listening(self, count: int, timeout: float = 10.0) -> None:
        """Until ``count`` subscribers listen to the work notices (a notice published before
        a node subscribes does not reach it)."""
        client = aioredis.from_url(REDIS_URL)
        channel = RedisKeys(self.prefix).work_notices
        try:
            deadline = asyncio.get_running_loop().time() + timeout
            while True:
                [(_, listening)] = await client.pubsub_numsub(channel)
                if listening >= count:
                    return
                assert asyncio.get_running_loop().time() < deadline, f"{listening} listening"
                await asyncio.sleep(0.01)
        finally:
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
            await self.wait_listening(workers)
            yield nodes, api
