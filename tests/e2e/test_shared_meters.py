"""Where several nodes share the meters (Redis), a worker frees a meter once its tasks for it
are done: an idle association would hold the meter's lock against the other nodes. On the
single-node SQLite store the association is kept for the next task."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from lxml import etree

from cas.simulator import MeterFleet, readings
from tests.e2e.test_scheduled import ENERGY, schedule, settle
from tests.support.clock import FakeClock
from tests.support.gateway import running_gateway
from tests.support.soap import NS, device_access, envelope, get_xml


async def test_a_worker_frees_the_meter_after_its_tasks_only_where_nodes_share_it(backend):
    clock = FakeClock()
    fleet = MeterFleet(count=2)
    real_start = datetime.now(UTC)
    async with (
        fleet,
        running_gateway(fleet.meters, store=backend, clock=clock, background=False) as gateway,
    ):
        titles = [meter.system_title for meter in fleet.meters]
        ids = []
        for _ in range(2):  # two resources on the same meters, due together
            created = await gateway.post(
                envelope(
                    "create",
                    "DeviceAccess",
                    device_access(titles, [get_xml(*ENERGY)], schedule(clock.now, "PT1M")),
                )
            )
            assert created.result == "OK", created.error_codes
            ids += created.ids
        await settle(gateway)
        store, pool = gateway.gateway.store, gateway.gateway.pool
        results = [r for rid in ids for r in await store.results(rid)]
        assert sorted(r.device_id for r in results) == sorted(titles * 2)
        for result in results:
            value = etree.fromstring(result.xml).findtext(".//cos:double-long-unsigned", None, NS)
            moments = (real_start, datetime.now(UTC))
            assert int(value) in {readings.energy_import_wh(result.device_id, t) for t in moments}
        shared = backend is not None
        # released at once (the RLRQ's round trip), not after an idle time (5 s when shared)
        await wait_until(lambda: pool.open_sessions == (0 if shared else 2), timeout=1.0)
        if shared:  # free for another node at once
            for title in titles:
                assert await store.acquire_meter(title, "another-node", 15)
                await store.release_meter(title, "another-node")
        clock.advance(60)
        await settle(gateway)
        # four tasks per meter in all; the kept association serves them all on SQLite
        assert fleet.stats.associations == (4 if shared else 2)


async def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.02)
