"""The scheduler's rules, seen through SOAP and the store: NotOlderThan, Duration, Priority,
retries and BypassRetry, iterations missed while down, interrupted writes."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest

from cas.access.worker import TaskWorker
from cas.simulator import MeterFleet
from cas.store.sqlite import SqliteStore
from tests.e2e.test_scheduled import BYPASS_RETRY, ENERGY, iso, schedule, settle
from tests.support.clock import FakeClock
from tests.support.gateway import running_gateway
from tests.support.soap import action_xml, device_access, envelope, get_xml

DISCONNECT_STATE = (70, "0.0.96.3.10.255", 2)


@pytest.fixture
async def setup():
    clock = FakeClock()
    fleet = MeterFleet(count=3)
    async with fleet, running_gateway(fleet.meters, clock=clock, background=False) as gateway:
        yield fleet, gateway, clock


def not_older_than(moment) -> str:
    return f"<dev:NotOlderThan>{iso(moment)}</dev:NotOlderThan>"


async def test_not_older_than_answers_from_stored_results_without_the_meter(setup):
    fleet, gateway, clock = setup
    meter = fleet[0]
    title = meter.system_title
    first = await gateway.post(
        envelope(
            "create",
            "DeviceAccess",
            device_access([title], [get_xml(*ENERGY)], not_older_than(clock.now)),
        )
    )
    assert first.result == "OK"
    await gateway.gateway.keeper.flush()
    requests_before = meter.stats.requests
    clock.advance(30)
    second = await gateway.post(
        envelope(
            "create",
            "DeviceAccess",
            device_access(
                [title],
                [get_xml(*ENERGY, invoke=66)],
                not_older_than(clock.now - timedelta(seconds=60)),
            ),
        )
    )
    assert second.result == "OK"
    assert meter.stats.requests == requests_before  # the meter was not asked
    original, reused = first.results(0)[0], second.results(0)[0]
    assert reused.value(".//cos:double-long-unsigned") == original.value(
        ".//cos:double-long-unsigned"
    )
    assert reused.element.getparent().getparent().get("Activated") == (
        original.element.getparent().getparent().get("Activated")
    )
    # Too old for a stricter request: the meter is read again.
    third = await gateway.post(
        envelope(
            "create",
            "DeviceAccess",
            device_access([title], [get_xml(*ENERGY)], not_older_than(clock.now)),
        )
    )
    assert third.result == "OK" and meter.stats.requests > requests_before
    # The first request's results can be fetched by its ID (it asked for NotOlderThan).
    again = await gateway.post(
        envelope("get", "DeviceAccess", request=f"<mes:ID>{first.ids[0]}</mes:ID>")
    )
    assert [r.kind for r in again.results(0)] == ["XDLMSResult"]


async def test_duration_bounds_an_iteration(setup):
    fleet, gateway, clock = setup
    slow = fleet[1]
    slow.faults.delay = 0.6
    titles = [fleet.meters[0].system_title, slow.system_title]
    created = await gateway.post(
        envelope(
            "create",
            "DeviceAccess",
            device_access(titles, [get_xml(*ENERGY)], schedule(clock.now, "PT1M", "PT0.3S")),
            header_extra=BYPASS_RETRY,
        )
    )
    (resource_id,) = created.ids

    async def tick():  # the fake clock follows real time while the slow meter answers
        while True:
            await asyncio.sleep(0.05)
            clock.advance(0.05)

    ticker = asyncio.create_task(tick())
    try:
        await settle(gateway)
    finally:
        ticker.cancel()
    (iteration,) = await gateway.gateway.store.iterations(resource_id)
    assert str(iteration.status) == "ITERATION-NOT-COMPLETED"
    results = {r.device_id: r for r in await gateway.gateway.store.results(resource_id)}
    assert results[titles[0]].ok and not results[titles[1]].ok
    assert b"4.1" in results[titles[1]].xml and b"not completed" in results[titles[1]].xml


async def test_higher_priority_runs_first_under_contention(setup):
    fleet, gateway, clock = setup
    worker: TaskWorker = gateway.gateway.worker
    worker.concurrency = 1
    order = []
    original = gateway.gateway.runner.run

    async def recording(device_id, *args, **kwargs):
        order.append(device_id)
        return await original(device_id, *args, **kwargs)

    gateway.gateway.runner.run = recording
    low, high = fleet.meters[0].system_title, fleet.meters[1].system_title
    for title, priority in ((low, 1), (high, 200)):
        created = await gateway.post(
            envelope(
                "create",
                "DeviceAccess",
                device_access([title], [get_xml(*ENERGY)], schedule(clock.now, priority=priority)),
            )
        )
        assert created.result == "OK"
    await settle(gateway)
    assert order == [high, low]


async def test_unreachable_meter_is_retried_unless_bypassed(setup):
    fleet, gateway, clock = setup
    meter = fleet[2]
    meter.faults.no_answer = True
    gateway.gateway.registry.put(dataclasses.replace(fleet.meters[2], response_timeout=0.2))
    title = meter.system_title
    retried = await gateway.post(
        envelope(
            "create",
            "DeviceAccess",
            device_access([title], [get_xml(*ENERGY)], schedule(clock.now)),
        )
    )
    bypassed = await gateway.post(
        envelope(
            "create",
            "DeviceAccess",
            device_access([title], [get_xml(*ENERGY)], schedule(clock.now)),
            header_extra=BYPASS_RETRY,
        )
    )
    await settle(gateway)
    store = gateway.gateway.store
    (failed,) = await store.results(bypassed.ids[0])
    assert not failed.ok and b"4.1" in failed.xml
    assert await store.results(retried.ids[0]) == []  # waiting for its retry
    meter.faults.reset()
    clock.advance(60)
    await settle(gateway)
    (recovered,) = await store.results(retried.ids[0])
    assert recovered.ok


async def test_iterations_missed_while_down_run_once_and_are_recorded(tmp_path):
    clock = FakeClock()
    path = tmp_path / "cas.db"
    async with MeterFleet(count=1) as fleet:
        title = fleet.meters[0].system_title
        store = await SqliteStore.open(path)
        async with running_gateway(
            fleet.meters, store=store, clock=clock, background=False
        ) as gateway:
            created = await gateway.post(
                envelope(
                    "create",
                    "DeviceAccess",
                    device_access([title], [get_xml(*ENERGY)], schedule(clock.now, "PT1M")),
                )
            )
            (resource_id,) = created.ids
            await settle(gateway)
        # the gateway is down for 3 minutes and 30 seconds
        clock.advance(210)
        store = await SqliteStore.open(path)
        async with running_gateway(
            fleet.meters, store=store, clock=clock, background=False
        ) as gateway:
            await settle(gateway)
            iterations = await gateway.gateway.store.iterations(resource_id)
            resource = await gateway.gateway.store.get_resource(resource_id)
    assert [(i.number, str(i.status)) for i in iterations] == [
        (0, "ITERATION-OK"),
        (1, "ITERATION-MISSED"),
        (2, "ITERATION-MISSED"),
        (3, "ITERATION-OK"),
    ]
    assert resource.missed_iterations == 2


@pytest.mark.parametrize("repeat", [False, True])
async def test_a_write_interrupted_by_a_crash_is_not_repeated_blindly(setup, repeat):
    fleet, gateway, clock = setup
    meter = fleet[0]
    extra = (
        "<mes:Property><mes:Name>RepeatInterruptedWrites</mes:Name><mes:Value>true</mes:Value>"
        "</mes:Property>"
        if repeat
        else ""
    )
    created = await gateway.post(
        envelope(
            "create",
            "DeviceAccess",
            device_access(
                [meter.system_title],
                [action_xml(70, "0.0.96.3.10.255", 1), get_xml(*DISCONNECT_STATE)],
                schedule(clock.now),
            ),
            header_extra=extra,
        )
    )
    (resource_id,) = created.ids
    store = gateway.gateway.store
    await gateway.gateway.scheduler.dispatch_due()
    # A worker claims the task and dies before finishing (nothing stored).
    (lost,) = await store.claim_tasks("dead-worker", clock.now, 10, lease=30)
    assert not lost.recovered
    clock.advance(31)
    await settle(gateway)
    action, state = sorted(await store.results(resource_id), key=lambda r: r.access_index)
    if repeat:
        assert action.ok and meter.output_state is False
    else:
        assert not action.ok and b"5.104" in action.xml
        assert meter.output_state is True  # never sent
    assert state.ok  # the read is run again either way
