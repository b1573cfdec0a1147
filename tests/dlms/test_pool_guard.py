"""One association per meter across gateway nodes: two pools sharing the store's meter locks."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from cas.dlms import MemoryInvocationCounterStore, MeterBusy, SessionPool
from cas.store.redis import RedisStore
from tests.store.conftest import REDIS_URL

from . import apdus
from .conftest import fleet_of


@pytest.fixture
async def guard():
    store = await RedisStore.open(REDIS_URL, prefix=f"cas-test:{uuid.uuid4().hex}:")
    yield store
    await store.close()


async def test_a_second_node_waits_for_the_first_to_release_the_meter(guard):
    async with fleet_of(count=1) as fleet:
        meter = fleet.meters[0]
        node_a = SessionPool(MemoryInvocationCounterStore(), guard=guard, owner="a")
        node_b = SessionPool(MemoryInvocationCounterStore(), guard=guard, owner="b", busy_wait=5)
        try:
            async with node_a.session(meter) as session:
                await session.request(apdus.get(apdus.CLOCK))
                waiting = asyncio.create_task(node_b.request(meter, apdus.get(apdus.CLOCK)))
                await asyncio.sleep(0.3)
                assert not waiting.done()  # b waits while a holds the meter
            assert fleet[0].stats.open_connections == 1
            await node_a.close()  # a releases the association and the meter's lock
            answer = await asyncio.wait_for(waiting, 5)
            assert answer[:2] == b"\xc4\x01"
            assert fleet[0].stats.associations == 2
        finally:
            await node_a.close()
            await node_b.close()


async def test_a_busy_meter_is_reported_after_the_wait(guard):
    async with fleet_of(count=1) as fleet:
        meter = fleet.meters[0]
        node_a = SessionPool(MemoryInvocationCounterStore(), guard=guard, owner="a")
        node_b = SessionPool(MemoryInvocationCounterStore(), guard=guard, owner="b", busy_wait=0.3)
        try:
            await node_a.request(meter, apdus.get(apdus.CLOCK))  # a keeps its association idle
            with pytest.raises(MeterBusy, match="another gateway node"):
                await node_b.request(meter, apdus.get(apdus.CLOCK))
            assert fleet[0].stats.associations == 1
        finally:
            await node_a.close()
            await node_b.close()
