"""Redis restarted while the gateway has resources scheduled and tasks queued (a private
redis-server with AOF, as production must run it): the gateway rides the restarts out, every
iteration runs on its meters, and every result and reply survives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cas.simulator import MeterFleet, readings
from cas.store.redis import RedisStore
from tests.e2e.test_scheduled import ENERGY, directory_entry, schedule, settle
from tests.store.test_redis_restart import REDIS_SERVER, RedisServer
from tests.support.clock import FakeClock
from tests.support.gateway import running_gateway
from tests.support.receiver import Receiver
from tests.support.soap import NS, device_access, envelope, get_xml, read_reply

pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")


async def test_scheduled_reads_survive_redis_restarts(tmp_path):
    clock = FakeClock()
    fleet = MeterFleet(count=2)
    real_start = datetime.now(UTC)
    with RedisServer(tmp_path) as server:
        store = await RedisStore.open(server.url, prefix="cas:")
        async with (
            fleet,
            Receiver() as receiver,
            running_gateway(fleet.meters, store=store, clock=clock, background=False) as gateway,
        ):
            titles = [meter.system_title for meter in fleet.meters]
            activates = clock.now + timedelta(minutes=1)
            created = await gateway.post(
                envelope(
                    "create",
                    "DeviceAccess",
                    device_access(titles, [get_xml(*ENERGY)], schedule(activates, "PT1M")),
                    header_extra=f"<mes:ReplyAddress>{receiver.url}</mes:ReplyAddress>",
                )
            )
            assert created.result == "OK", created.error_codes
            (resource_id,) = created.ids

            server.stop()  # restarted while the resource waits for its first iteration
            server.start()
            clock.advance(60)
            await settle(gateway)

            clock.advance(60)  # iteration 1: its tasks queued, then Redis restarts
            assert await gateway.gateway.scheduler.dispatch_due() == 1
            server.stop()
            server.start()
            await settle(gateway)

            server.stop()  # and once more before the replies go out
            server.start()
            assert await gateway.gateway.delivery.deliver_due() == 2
            await receiver.wait_for(2)

            iterations = await gateway.gateway.store.iterations(resource_id)
            assert [(i.number, str(i.status)) for i in iterations] == [
                (0, "ITERATION-OK"),
                (1, "ITERATION-OK"),
            ]
            results = await gateway.post(
                envelope("get", "DeviceAccess", request=f"<mes:ID>{resource_id}</mes:ID>")
            )
            entry = directory_entry(
                await gateway.post(envelope("get", "ResourceDirectory")), resource_id
            )
            assert entry.findtext("dev:ResourceStatus", namespaces=NS) == "ITERATION-OK"
        await store.close()
    moments = (real_start, datetime.now(UTC))  # the meters run on real time
    rows = results.results(0)
    # each meter once per iteration: results come in the order they were stored, iteration
    # by iteration, and within one in the order its meters answered (they run concurrently)
    devices = [r.device_id for r in rows]
    assert [sorted(devices[:2]), sorted(devices[2:])] == [sorted(titles)] * 2
    for row in rows:
        value = int(row.value(".//cos:double-long-unsigned"))
        assert value in {readings.energy_import_wh(row.device_id, t) for t in moments}
    events = [read_reply(200, request.body) for request in receiver.requests]
    assert len(events) == 2
    assert sorted(len(event.results(0)) for event in events) == [2, 2]
