"""A worker keeps the leases of its running tasks: a slow meter's task is not handed to
another worker while it runs, however long it takes."""

from __future__ import annotations

import asyncio

from cas.simulator import MeterFleet
from tests.e2e.test_scheduled import ENERGY, schedule
from tests.support.clock import FakeClock
from tests.support.gateway import running_gateway
from tests.support.soap import device_access, envelope, get_xml

LEASE = 0.6  # s; the worker extends every third of it


async def test_leases_of_running_tasks_are_extended_until_they_finish():
    clock = FakeClock()
    fleet = MeterFleet(count=2, latency=0.5)  # association + 1 GET: about 1 s per meter
    async with fleet, running_gateway(fleet.meters, clock=clock, background=False) as gateway:
        gw = gateway.gateway
        gw.worker.lease = LEASE
        titles = [meter.system_title for meter in fleet.meters]
        created = await gateway.post(
            envelope(
                "create",
                "DeviceAccess",
                device_access(titles, [get_xml(*ENERGY)], schedule(clock.now)),
            )
        )
        (resource_id,) = created.ids
        await gw.scheduler.dispatch_due()
        assert await gw.worker.work_once() == 2
        # Past both leases as first granted: only the keeper's extensions keep them.
        clock.advance(3 * LEASE)
        await asyncio.sleep(2 * LEASE / 3 + 0.1)
        assert await gw.store.claim_tasks("intruder", clock.now, 10, lease=30) == []
        await gw.worker.drain()
        results = await gw.store.results(resource_id)
        assert sorted(r.device_id for r in results) == sorted(titles)
        assert all(r.ok for r in results)
        assert gw.worker._keeper is None  # nothing runs: no keeper left behind
