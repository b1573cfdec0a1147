"""Segment limits shared by the nodes on Redis: the ledger's counts, leases and start times;
SharedAdmission between two nodes; and two worker nodes reading one group, whose segments
the simulated meters see within the limits of the whole gateway, not twice them."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import pytest

from cas.dlms.admission import SegmentLimit
from cas.dlms.shared_segments import SharedAdmission
from cas.gateway import GatewaySettings
from cas.simulator import MeterFleet
from cas.store.redis import RedisStore
from tests.e2e.test_group_access import group_access
from tests.support.soap import envelope

SKEW = 0.1  # s: how much later than admitted a meter may see a connection start


async def counted(store: RedisStore, segment: str) -> set[str]:
    members = await store._client.zrange(store.keys.segment_connections(segment), 0, -1)
    return {m.decode() for m in members}


# --- the ledger ------------------------------------------------------------------------------


async def test_a_segment_counts_its_connections_across_nodes(redis_nodes):
    a, b = await redis_nodes.open(), await redis_nodes.open()
    assert await a.segment_enter("north", "a:0", 2, 15)
    assert await b.segment_enter("north", "b:0", 2, 15)
    assert not await a.segment_enter("north", "a:1", 2, 15)  # full, whoever asks
    assert await a.segment_enter("south", "a:1", 2, 15)  # another segment is not
    await b.segment_leave("north", "b:0")
    assert await a.segment_enter("north", "a:2", 2, 15)
    assert await counted(a, "north") == {"a:0", "a:2"}


async def test_a_dead_nodes_places_lapse_and_a_live_nodes_are_renewed(redis_nodes):
    store = await redis_nodes.open()
    assert await store.segment_enter("north", "dead:0", 2, 0.4)
    assert await store.segment_enter("north", "live:0", 2, 0.4)
    for _ in range(3):  # 0.75 s in all: past both entries' first lifetime
        await asyncio.sleep(0.25)
        await store.segment_renew({"north": ["live:0"]}, 0.4)
    assert await store.segment_enter("north", "new:0", 2, 0.4)  # the dead one's place
    assert await counted(store, "north") == {"live:0", "new:0"}


async def test_new_connections_are_spaced_across_nodes(redis_nodes):
    a, b = await redis_nodes.open(), await redis_nodes.open()
    waits = [await (a if i % 2 else b).segment_start("north", 10.0) for i in range(5)]
    expected = [0.0, 0.1, 0.2, 0.3, 0.4]
    # the calls themselves take some time: each wait is at most the ideal, less by a little
    assert all(e - 0.05 <= w <= e + 1e-6 for w, e in zip(waits, expected, strict=True)), waits
    assert await a.segment_start("south", 10.0) == 0.0  # segments are apart


# --- SharedAdmission between two nodes ----------------------------------------------------


@contextlib.asynccontextmanager
async def two_nodes(redis_nodes, north: SegmentLimit, **options) -> AsyncIterator[tuple]:
    """SharedAdmissions "a" and "b" on one Redis, segment "north" limited; closed after."""
    limits = {"north": north}
    a = SharedAdmission(await redis_nodes.open(), "a", 100, limits, **options)
    b = SharedAdmission(await redis_nodes.open(), "b", 100, limits, **options)
    try:
        yield a, b
    finally:
        await a.close()
        await b.close()


async def test_a_full_segment_waits_for_another_nodes_connection_to_close(redis_nodes):
    async with two_nodes(redis_nodes, SegmentLimit(max_open=2)) as (a, b):
        await a.acquire("north")
        await a.acquire("north")
        waiting = asyncio.create_task(b.acquire("north"))
        await asyncio.sleep(0.2)
        assert not waiting.done() and b.waited_for_ledger >= 2
        assert b.open_in("north") == 1  # b's own limit let it through; the ledger held it
        a.release("north")
        await asyncio.wait_for(waiting, 2)
        assert len(await counted(a.ledger, "north")) == 2
        await b.acquire("south")  # unlimited: never in the ledger
        assert await counted(a.ledger, "south") == set()
    assert await counted(a.ledger, "north") == set()  # close gave everything back


async def test_a_waiter_that_gives_up_holds_nothing(redis_nodes):
    async with two_nodes(redis_nodes, SegmentLimit(max_open=1)) as (a, b):
        await a.acquire("north")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(b.acquire("north"), 0.3)
        assert b.open_in("north") == 0 and b.open_total == 0
        assert len(await counted(a.ledger, "north")) == 1  # a's only


async def test_a_release_during_a_cancelled_waiters_start_leaves_nothing_held(redis_nodes):
    """Places are interchangeable: a release while a later waiter waits for its start time
    takes that waiter's place; the waiter, cancelled, gives back the other one."""
    async with two_nodes(redis_nodes, SegmentLimit(max_open=5, new_per_second=2)) as (a, b):
        await a.acquire("north")
        await asyncio.sleep(0.6)  # a may start another by its own rate
        await b.acquire("north")  # but b took the segment's next start: a's is 0.5 s away
        waiting = asyncio.create_task(a.acquire("north"))
        await asyncio.sleep(0.2)
        assert len(await counted(a.ledger, "north")) == 3
        a.release("north")
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await asyncio.sleep(0.05)  # the leaves land
        assert len(await counted(a.ledger, "north")) == 1  # b's
        assert a.open_in("north") == 0 and not a._held["north"]


async def test_places_held_are_renewed_past_their_lifetime(redis_nodes):
    async with two_nodes(redis_nodes, SegmentLimit(max_open=1), ttl=0.3) as (a, b):
        await a.acquire("north")
        with pytest.raises(TimeoutError):  # 1 s: three lifetimes, a's place stays
            await asyncio.wait_for(b.acquire("north"), 1.0)


class FlakyLedger:
    """A RedisStore's ledger that raises while ``away`` (Redis unreachable)."""

    def __init__(self, store: RedisStore) -> None:
        self.store = store
        self.away = False

    def __getattr__(self, name: str):
        call = getattr(self.store, name)

        async def maybe(*args, **kwargs):
            if self.away:
                raise ConnectionError("Redis is away")
            return await call(*args, **kwargs)

        return maybe


async def test_a_ledger_that_is_away_fails_the_connection_and_holds_nothing(redis_nodes):
    store = await redis_nodes.open()
    ledger = FlakyLedger(store)
    node = SharedAdmission(ledger, "a", 100, {"north": SegmentLimit(max_open=1)})
    try:
        ledger.away = True
        with pytest.raises(ConnectionError, match="Redis is away"):
            await node.acquire("north")
        assert node.open_in("north") == 0 and node.open_total == 0  # the grant went back
        ledger.away = False
        await node.acquire("north")  # nothing was left counted: the one place is free
        assert len(await counted(store, "north")) == 1
    finally:
        await node.close()
    assert await counted(store, "north") == set()


# --- two worker nodes, the meters' view ---------------------------------------------------


async def test_two_workers_keep_each_segment_within_the_gateways_limits(redis_nodes):
    fleet = MeterFleet(count=72, segments=3, latency=0.05)  # 24 meters in each segment
    rate = 10
    settings = GatewaySettings(
        worker_concurrency=24,
        segment_limits={
            "seg-0": SegmentLimit(max_open=3),
            "seg-1": SegmentLimit(new_per_second=rate),
        },
    )
    started = time.monotonic()
    async with fleet, redis_nodes.workers_and_api(fleet.meters, 2, settings) as (workers, api):
        reply = await api.post(envelope("create", "DeviceAccess", group_access("DG_ALL_METERS")))
        assert reply.result == "OK", reply.error_codes
        assert len(reply.results(0)) == 72
        opened = [node.gateway.pool.stats.opened for node in workers]
    assert sum(opened) == 72 and min(opened) >= 6, opened  # both nodes worked in each segment
    capped, limited, free = (fleet.segments[f"seg-{i}"] for i in range(3))
    assert capped.connections == limited.connections == free.connections == 24
    assert capped.peak_open_connections <= 3  # each node alone would allow 3: 6 in all
    assert free.peak_open_connections > 6  # the limits, not the workload, held the others
    assert limited.max_starts_within(1.0 - SKEW) <= rate + 1
    starts = limited.starts
    assert starts[-1] - starts[0] >= (len(starts) - 1) / rate - SKEW
    assert time.monotonic() - started < 30
