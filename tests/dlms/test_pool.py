"""Association reuse: one association per meter, reused, released when idle, capped."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from cas.dlms.pool import SessionPool

from . import apdus
from .conftest import COMBINATIONS, fleet_of


async def wait_for(condition, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


@pytest.mark.parametrize(("transport", "security"), COMBINATIONS)
async def test_several_requests_one_association(
    pool: SessionPool, transport: str, security: str
) -> None:
    async with fleet_of(transport, security) as fleet:
        sim, meter = fleet[0], fleet.meters[0]
        serial = f"SIM{int(meter.system_title[6:], 16):010d}"
        for _ in range(5):
            assert apdus.data_of(await pool.request(meter, apdus.get(apdus.SERIAL))) == serial
        async with pool.session(meter) as session:
            assert apdus.data_of(await session.request(apdus.get(apdus.SERIAL))) == serial
            clock = apdus.data_of(await session.request(apdus.get(apdus.CLOCK)))
            assert abs(apdus.cosem_time(clock) - datetime.now(UTC)) < timedelta(seconds=5)
        assert sim.stats.associations == 1  # as the meter counted them
        assert sim.stats.connections == 1
        assert sim.stats.open_connections == 1  # still open, for the next caller
        assert pool.stats.opened == 1 and pool.stats.reused == 5


async def test_idle_association_is_released_then_a_new_one_opens():
    async with fleet_of("hdlc", "low") as fleet:
        sim, meter = fleet[0], fleet.meters[0]
        pool = SessionPool(max_idle=0.2)
        try:
            await pool.request(meter, apdus.get(apdus.SERIAL))
            assert pool.open_sessions == 1
            await wait_for(lambda: pool.open_sessions == 0)
            await wait_for(lambda: sim.stats.open_connections == 0)  # RLRQ, DISC, closed
            assert pool.stats.released_idle == 1
            await pool.request(meter, apdus.get(apdus.SERIAL))
            assert sim.stats.associations == 2
        finally:
            await pool.close()


async def test_release_comes_before_the_meters_inactivity_timeout():
    # The meter drops idle connections after 1 s; the pool releases them earlier itself.
    async with fleet_of("wrapper", "none", inactivity_timeout=1.0) as fleet:
        sim = fleet[0]
        pool = SessionPool(idle_margin=0.5)
        meter = fleet.meters[0]
        try:
            assert pool.idle_limit(meter) == pytest.approx(0.75)
            await pool.request(meter, apdus.get(apdus.SERIAL))
            await asyncio.sleep(0.3)
            await pool.request(meter, apdus.get(apdus.SERIAL))  # within the limit: reused
            assert sim.stats.associations == 1
            await wait_for(lambda: pool.open_sessions == 0, timeout=2.0)
            assert pool.stats.released_idle == 1
        finally:
            await pool.close()


async def test_two_callers_on_one_meter_take_turns(pool):
    async with fleet_of() as fleet:
        meter = fleet.meters[0]
        inside = []
        overlap = []

        async def caller(name: str) -> None:
            async with pool.session(meter) as session:
                if inside:
                    overlap.append(name)
                inside.append(name)
                await session.request(apdus.get(apdus.SERIAL))
                await asyncio.sleep(0.05)
                await session.request(apdus.get(apdus.CLOCK))
                inside.remove(name)

        await asyncio.gather(caller("a"), caller("b"), caller("c"))
        assert overlap == []
        assert fleet[0].stats.associations == 1


async def test_meters_in_parallel(pool):
    async with fleet_of(count=4, security="hls-gmac") as fleet:
        for sim in fleet:
            sim.faults.delay = 0.2
        started = time.monotonic()
        responses = await asyncio.gather(
            *(pool.request(meter, apdus.get(apdus.SERIAL)) for meter in fleet.meters)
        )
        elapsed = time.monotonic() - started
        # Each meter answers after 0.2 s for each of AARQ, pass 3 and the GET: serial
        # would take 2.4 s, in parallel about 0.6 s.
        assert elapsed < 1.5
        assert [apdus.data_of(r) for r in responses] == [
            f"SIM{int(m.system_title[6:], 16):010d}" for m in fleet.meters
        ]
        assert pool.open_sessions == 4


async def test_global_cap_releases_the_least_recently_used():
    async with fleet_of(count=3) as fleet:
        pool = SessionPool(max_sessions=2)
        try:
            for meter in fleet.meters:
                await pool.request(meter, apdus.get(apdus.SERIAL))
                assert pool.open_sessions <= 2
            await wait_for(lambda: fleet[0].stats.open_connections == 0)  # the LRU one
            assert fleet[1].stats.open_connections == 1
            assert fleet[2].stats.open_connections == 1
        finally:
            await pool.close()


async def test_cap_waits_when_every_session_is_busy():
    async with fleet_of(count=2) as fleet:
        pool = SessionPool(max_sessions=1)
        try:
            entered = asyncio.Event()
            release = asyncio.Event()

            async def hold() -> None:
                async with pool.session(fleet.meters[0]):
                    entered.set()
                    await release.wait()

            holder = asyncio.create_task(hold())
            await entered.wait()
            waiting = asyncio.create_task(pool.request(fleet.meters[1], apdus.get(apdus.SERIAL)))
            await asyncio.sleep(0.1)
            assert not waiting.done()  # no room, nothing idle to release
            release.set()
            await holder
            assert apdus.data_of(await asyncio.wait_for(waiting, 3))
            assert pool.open_sessions == 1
        finally:
            await pool.close()


async def test_close_releases_every_association():
    async with fleet_of(count=2, transport="hdlc") as fleet:
        pool = SessionPool()
        for meter in fleet.meters:
            await pool.request(meter, apdus.get(apdus.SERIAL))
        await pool.close()
        assert pool.open_sessions == 0
        await wait_for(lambda: all(sim.stats.open_connections == 0 for sim in fleet))
        with pytest.raises(RuntimeError):
            await pool.request(fleet.meters[0], apdus.get(apdus.SERIAL))


async def test_changed_registry_entry_gets_a_new_association(pool):
    import dataclasses

    async with fleet_of() as fleet:
        meter = fleet.meters[0]
        await pool.request(meter, apdus.get(apdus.SERIAL))
        changed = dataclasses.replace(meter, response_timeout=4.0)
        await pool.request(changed, apdus.get(apdus.SERIAL))
        assert fleet[0].stats.associations == 2


async def test_malformed_request_does_not_cost_the_association(pool):
    async with fleet_of() as fleet:
        meter = fleet.meters[0]
        await pool.request(meter, apdus.get(apdus.SERIAL))
        with pytest.raises(ValueError, match="confirmed"):
            await pool.request(meter, apdus.get(apdus.SERIAL, invoke=0x81))
        with pytest.raises(ValueError):
            await pool.request(meter, b"\x01\x02")
        await pool.request(meter, apdus.get(apdus.SERIAL))
        assert fleet[0].stats.associations == 1


async def test_association_the_meter_dropped_is_not_reused(pool):
    async with fleet_of() as fleet:
        sim, meter = fleet[0], fleet.meters[0]
        async with pool.session(meter) as session:
            await session.request(apdus.get(apdus.SERIAL))
        await sim.stop()  # the meter closes its connections (and stops listening)
        await wait_for(lambda: not session.usable)
        await sim.start(meter.port)
        assert apdus.data_of(await pool.request(meter, apdus.get(apdus.SERIAL)))
        assert sim.stats.associations == 2
        assert pool.stats.opened == 2 and pool.stats.reused == 0


async def test_unusable_registry_entries_are_refused_without_leaking_capacity():
    import dataclasses

    from cas.registry import Authentication, MeterKeys, SecurityPolicy

    async with fleet_of("wrapper", "hls-gmac") as fleet:
        meter = fleet.meters[0]
        pool = SessionPool(max_sessions=1)
        try:
            bad = [
                dataclasses.replace(meter, security=SecurityPolicy.ENCRYPTED),  # no integrity
                dataclasses.replace(meter, keys=MeterKeys()),  # HLS-GMAC without keys
                dataclasses.replace(meter, authentication=Authentication.LOW, password=None),
            ]
            for entry in bad:
                with pytest.raises(ValueError):
                    await pool.request(entry, apdus.get(apdus.SERIAL))
                assert pool.open_sessions == 0
            assert apdus.data_of(await pool.request(meter, apdus.get(apdus.SERIAL)))
        finally:
            await pool.close()


async def test_one_shot_work_releases_the_association_after_use():
    async with fleet_of(count=3) as fleet:
        pool = SessionPool()
        try:
            for meter in fleet.meters:
                async with pool.session(meter, keep=False) as session:
                    assert apdus.data_of(await session.request(apdus.get(apdus.SERIAL)))
            await wait_for(lambda: pool.open_sessions == 0)  # RLRQ sent, admission freed
            await wait_for(lambda: all(sim.stats.open_connections == 0 for sim in fleet))
            assert pool.stats.released_after_use == 3 and pool.stats.released_idle == 0
            assert [sim.stats.associations for sim in fleet] == [1, 1, 1]
            assert not pool._slots  # nothing kept per plain meter once released
        finally:
            await pool.close()


async def test_one_shot_work_keeps_the_association_for_a_caller_waiting_for_it():
    async with fleet_of() as fleet:
        sim, meter = fleet[0], fleet.meters[0]
        pool = SessionPool()
        try:
            first = pool.session(meter, keep=False)
            session = await first.__aenter__()
            second = asyncio.create_task(pool.request(meter, apdus.get(apdus.SERIAL)))
            await asyncio.sleep(0.05)  # the second caller waits for the meter
            await session.request(apdus.get(apdus.SERIAL))
            await first.__aexit__(None, None, None)
            assert apdus.data_of(await second)
            assert sim.stats.associations == 1 and pool.stats.released_after_use == 0
            assert pool.open_sessions == 1  # kept for follow-up work (keep=True)
        finally:
            await pool.close()


async def test_the_next_association_waits_for_the_released_one_to_close():
    # one association per meter at a time, also while a release is under way
    async with fleet_of(latency=0.1) as fleet:
        sim, meter = fleet[0], fleet.meters[0]
        pool = SessionPool()
        try:
            async with pool.session(meter, keep=False) as session:
                await session.request(apdus.get(apdus.SERIAL))
            assert pool.open_sessions == 1  # the RLRQ waits 0.1 s for its RLRE
            async with pool.session(meter, keep=False) as session:
                assert sim.stats.open_connections == 1  # the first one closed before
                await session.request(apdus.get(apdus.SERIAL))
            assert fleet.stats.peak_open_connections == 1
            assert sim.stats.associations == 2
        finally:
            await pool.close()


async def test_eviction_takes_the_least_recently_used_of_the_segment():
    from cas.dlms.admission import Admission, SegmentLimit

    async with fleet_of(count=6, segments=2) as fleet:  # seg-0: meters 0, 2, 4; seg-1: 1, 3, 5
        pool = SessionPool(admission=Admission(10, {"seg-0": SegmentLimit(max_open=2)}))
        meters = fleet.meters
        try:
            for index in (1, 0, 2, 0):  # meter 1 (seg-1) is the oldest; in seg-0, meter 2
                await pool.request(meters[index], apdus.get(apdus.SERIAL))
            await pool.request(meters[4], apdus.get(apdus.SERIAL))  # seg-0 is full
            await wait_for(lambda: fleet[2].stats.open_connections == 0)
            assert pool.stats.released_idle == 1
            assert [fleet[i].stats.open_connections for i in (0, 1, 4)] == [1, 1, 1]
        finally:
            await pool.close()
