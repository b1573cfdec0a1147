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


@pytest.fixture
async def nodes(guard):
    """One simulated meter and a function making gateway nodes (pools) sharing its lock."""
    made: list[SessionPool] = []

    def node(owner: str, **options: float) -> SessionPool:
        made.append(
            SessionPool(MemoryInvocationCounterStore(), guard=guard, owner=owner, **options)
        )
        return made[-1]

    async with fleet_of(count=1) as fleet:
        try:
            yield fleet, fleet.meters[0], node
        finally:
            for pool in made:
                await pool.close()


async def test_a_second_node_waits_for_the_first_to_release_the_meter(nodes):
    fleet, meter, node = nodes
    node_a = node("a")
    node_b = node("b", busy_wait=5)
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


async def test_a_busy_meter_is_reported_after_the_wait(nodes):
    fleet, meter, node = nodes
    node_a = node("a")
    node_b = node("b", busy_wait=0.3)
    async with node_a.session(meter) as session:  # a uses the meter all along
        await session.request(apdus.get(apdus.CLOCK))
        with pytest.raises(MeterBusy, match="another gateway node"):
            await node_b.request(meter, apdus.get(apdus.CLOCK))
    assert fleet[0].stats.associations == 1


async def test_an_idle_association_is_released_when_another_node_asks(nodes):
    fleet, meter, node = nodes
    node_a = node("a")
    node_b = node("b", busy_wait=5)
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


async def test_an_association_in_use_is_released_right_after_its_use_when_asked(nodes):
    fleet, meter, node = nodes
    node_a = node("a")
    node_b = node("b", busy_wait=5)
    async with node_a.session(meter) as session:
        await session.request(apdus.get(apdus.CLOCK))
        waiting = asyncio.create_task(node_b.request(meter, apdus.get(apdus.SERIAL)))
        await asyncio.sleep(0.3)  # b asked while a was using it
        assert not waiting.done()
        await session.request(apdus.get(apdus.CLOCK))  # a finishes its work
    assert apdus.data_of(await asyncio.wait_for(waiting, 2))
    assert node_a.stats.released_wanted == 1
    assert fleet[0].stats.associations == 2


async def test_a_meter_lock_is_renewed_while_held_and_freed_with_the_association(nodes, guard):
    _fleet, meter, node = nodes
    node_a = node("a", lock_ttl=0.9)  # renewed every 0.3 s
    async with node_a.session(meter, keep=False) as session:
        await asyncio.sleep(2.0)  # well past the lock's first lifetime
        assert not await guard.acquire_meter(meter.system_title, "b", 5.0)
        await session.request(apdus.get(apdus.CLOCK))
    await asyncio.sleep(0.1)  # the one-shot association is released in the background
    assert await guard.acquire_meter(meter.system_title, "b", 5.0)  # freed, not lapsed
    await guard.release_meter(meter.system_title, "b")
    await asyncio.sleep(0.4)
    assert node_a._renewer is None  # nothing held: the renewal stops at its next round


class SlowRenewals:
    """The store's meter locks, where every acquire after the first of a meter lands late
    (a renewal that reaches Redis after the release it raced)."""

    def __init__(self, store: RedisStore, delay: float) -> None:
        self.store = store
        self.delay = delay
        self.seen: set[str] = set()

    async def acquire_meter(self, title: str, owner: str, ttl: float) -> bool:
        if title in self.seen:
            await asyncio.sleep(self.delay)
        self.seen.add(title)
        return await self.store.acquire_meter(title, owner, ttl)

    def __getattr__(self, name: str):
        return getattr(self.store, name)


async def test_a_renewal_landing_after_the_release_gives_the_lock_back(guard):
    async with fleet_of(count=1) as fleet:
        meter = fleet.meters[0]
        slow = SlowRenewals(guard, delay=0.3)
        pool = SessionPool(MemoryInvocationCounterStore(), guard=slow, owner="a", lock_ttl=0.6)
        try:
            async with pool.session(meter, keep=False) as session:
                await asyncio.sleep(0.25)  # the first renewal starts at 0.2 s and lands late
                await session.request(apdus.get(apdus.CLOCK))
            await asyncio.sleep(0.05)  # released (background) before the renewal lands
            assert await guard.acquire_meter(meter.system_title, "probe", 0.05)  # freed
            await asyncio.sleep(0.4)  # the late renewal took it again, then gave it back
            assert await guard.acquire_meter(meter.system_title, "b", 5.0)
        finally:
            await pool.close()
