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
            async with node_a.session(meter) as session:  # a uses the meter all along
                await session.request(apdus.get(apdus.CLOCK))
                with pytest.raises(MeterBusy, match="another gateway node"):
                    await node_b.request(meter, apdus.get(apdus.CLOCK))
            assert fleet[0].stats.associations == 1
        finally:
            await node_a.close()
            await node_b.close()


async def test_an_idle_association_is_released_when_another_node_asks(guard):
    async with fleet_of(count=1) as fleet:
        meter = fleet.meters[0]
        node_a = SessionPool(MemoryInvocationCounterStore(), guard=guard, owner="a")
        node_b = SessionPool(MemoryInvocationCounterStore(), guard=guard, owner="b", busy_wait=5)
        try:
            await node_a.request(meter, apdus.get(apdus.CLOCK))  # a keeps it idle (for reuse)
            await asyncio.sleep(0.1)  # a listens for requests from the other nodes
            loop = asyncio.get_running_loop()
            started = loop.time()
            answer = await node_b.request(meter, apdus.get(apdus.SERIAL))
            waited = loop.time() - started
            assert apdus.data_of(answer)
            assert waited < 1.0  # not the idle time a would have kept it (up to 5 s and more)
            assert node_a.stats.released_wanted == 1 and node_a.open_sessions == 0
            assert fleet[0].stats.associations == 2
            assert node_b.open_sessions == 1  # b keeps it idle now, until a asks in turn
            assert apdus.data_of(await node_a.request(meter, apdus.get(apdus.CLOCK)))
            assert node_b.stats.released_wanted == 1 and fleet[0].stats.associations == 3
        finally:
            await node_a.close()
            await node_b.close()


async def test_an_association_in_use_is_released_right_after_its_use_when_asked(guard):
    async with fleet_of(count=1) as fleet:
        meter = fleet.meters[0]
        node_a = SessionPool(MemoryInvocationCounterStore(), guard=guard, owner="a")
        node_b = SessionPool(MemoryInvocationCounterStore(), guard=guard, owner="b", busy_wait=5)
        try:
            async with node_a.session(meter) as session:
                await session.request(apdus.get(apdus.CLOCK))
                waiting = asyncio.create_task(node_b.request(meter, apdus.get(apdus.SERIAL)))
                await asyncio.sleep(0.3)  # b asked while a was using it
                assert not waiting.done()
                await session.request(apdus.get(apdus.CLOCK))  # a finishes its work
            assert apdus.data_of(await asyncio.wait_for(waiting, 2))
            assert node_a.stats.released_wanted == 1
            assert fleet[0].stats.associations == 2
        finally:
            await node_a.close()
            await node_b.close()
