"""The scheduler's rules, seen through SOAP and the store: NotOlderThan, Duration, Priority,
retries and BypassRetry, iterations missed while down (also past Expires), interrupted writes,
a group deleted after its access was created."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from cas.access.worker import TaskWorker
from cas.simulator import MeterFleet, readings
from cas.store import ResourceStatus
from cas.store.sqlite import SqliteStore
from tests.e2e.test_group_access import create_group, group_payload, members_xml
from tests.e2e.test_scheduled import (
    BYPASS_RETRY,
    ENERGY,
    directory_entry,
    iso,
    schedule,
    settle,
)
from tests.support.clock import FakeClock
from tests.support.gateway import running_gateway
from tests.support.receiver import Receiver
from tests.support.soap import NS, action_xml, device_access, envelope, get_xml

DISCONNECT_STATE = (70, "0.0.96.3.10.255", 2)
ENERGY_EXPORT = (3, "1.0.2.8.0.255", 2)


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


@pytest.mark.parametrize(
    ("ran", "down_until", "statuses"),
    [
        # down from after iteration 0 until 5 minutes after Expires (+5 min: iteration 5)
        (1, 600, ["ITERATION-OK"] + ["ITERATION-MISSED"] * 5),
        # down from after iteration 4 until 30 s after Expires: iteration 5 does not start late
        (5, 330, ["ITERATION-OK"] * 5 + ["ITERATION-MISSED"]),
        # back 5 s after Expires (dispatch latency, not downtime): iteration 5 still runs
        (5, 305, ["ITERATION-OK"] * 6),
    ],
)
async def test_iterations_missed_until_after_expires_are_recorded_and_none_starts(
    tmp_path, ran: int, down_until: int, statuses: list[str]
):
    clock = FakeClock()
    start = clock.now
    path = tmp_path / "cas.db"
    async with MeterFleet(count=1) as fleet:
        meter = fleet[0]
        store = await SqliteStore.open(path)
        async with running_gateway(
            fleet.meters, store=store, clock=clock, background=False
        ) as gateway:
            created = await gateway.post(
                envelope(
                    "create",
                    "DeviceAccess",
                    device_access(
                        [meter.system_title],
                        [get_xml(*ENERGY)],
                        schedule(start, "PT1M", expires=start + timedelta(minutes=5)),
                    ),
                )
            )
            (resource_id,) = created.ids
            for number in range(ran):
                clock.now = start + timedelta(minutes=number)
                await settle(gateway)
        clock.now = start + timedelta(seconds=down_until)
        store = await SqliteStore.open(path)
        async with running_gateway(
            fleet.meters, store=store, clock=clock, background=False
        ) as gateway:
            store = gateway.gateway.store
            await settle(gateway)
            after_recovery = meter.stats.requests
            clock.advance(3600)
            await settle(gateway)  # nothing is scheduled any more
            assert meter.stats.requests == after_recovery
            assert await store.next_due() is None
            iterations = await store.iterations(resource_id)
            resource = await store.get_resource(resource_id)
            results = await store.results(resource_id)
            directory = await gateway.post(envelope("get", "ResourceDirectory"))
    assert [str(i.status) for i in iterations] == statuses
    assert [i.number for i in iterations] == list(range(6))
    assert [i.due for i in iterations] == [start + timedelta(minutes=k) for k in range(6)]
    ran_numbers = [i.number for i in iterations if str(i.status) == "ITERATION-OK"]
    assert sorted({r.iteration for r in results}) == ran_numbers
    assert all(r.ok for r in results) and len(results) == len(ran_numbers)
    assert all(r.captured <= start + timedelta(seconds=down_until) for r in results)
    assert resource.status is ResourceStatus.FINISHED
    assert resource.missed_iterations == statuses.count("ITERATION-MISSED")
    assert resource.last_iteration == 5
    entry = directory_entry(directory, resource_id)
    assert entry.findtext("dev:ResourceStatus", namespaces=NS) == "FINISHED"


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


def groups_access(groups: list[str], accesses: list[str], extra: str) -> str:
    """A DeviceAccess payload naming groups (the schema allows devices or groups, not both)."""
    references = "".join(f'<dev:GroupReference GroupID="{g}"/>' for g in groups)
    items = "".join(
        "<dev:CosemAccess><dev:CosemAccessDescriptor><dev:CosemXDLMSDescriptor>"
        f"{access}</dev:CosemXDLMSDescriptor></dev:CosemAccessDescriptor></dev:CosemAccess>"
        for access in accesses
    )
    return (
        f"<mes:DeviceAccess><dev:DevicesReferenceList>{references}</dev:DevicesReferenceList>"
        f"<dev:CosemAccessList>{items}</dev:CosemAccessList>{extra}</mes:DeviceAccess>"
    )


@pytest.fixture
async def on_backend(backend):
    clock = FakeClock()
    fleet = MeterFleet(count=3)
    async with (
        fleet,
        running_gateway(fleet.meters, store=backend, clock=clock, background=False) as gateway,
    ):
        yield fleet, gateway, clock


async def test_a_group_deleted_after_creation_is_reported_2_101_and_the_rest_runs(on_backend):
    fleet, gateway, clock = on_backend
    listed, doomed_member, kept_member = (m.system_title for m in fleet.meters)
    store = gateway.gateway.store
    real_start = datetime.now(UTC)
    await create_group(gateway, "DOOMED", members_xml(doomed_member))
    await create_group(gateway, "KEPT", members_xml(listed, kept_member))
    accesses = [get_xml(*ENERGY), get_xml(*ENERGY_EXPORT)]
    start = clock.now
    async with Receiver() as receiver:
        mixed = await gateway.post(
            envelope(
                "create",
                "DeviceAccess",
                groups_access(["DOOMED", "KEPT"], accesses, schedule(start, "PT1M")),
                header_extra=f"<mes:ReplyAddress>{receiver.url}</mes:ReplyAddress>",
            )
        )
        alone = await gateway.post(
            envelope(
                "create",
                "DeviceAccess",
                groups_access(["DOOMED"], accesses, schedule(start, "PT1M")),
            )
        )
        assert mixed.result == "OK" and alone.result == "OK", (mixed.error_codes, alone.error_codes)
        (mixed_id,), (alone_id,) = mixed.ids, alone.ids
        await settle(gateway)  # iteration 0: every member, the group still exists
        deleted = await gateway.post(envelope("delete", "DeviceGroup", group_payload("DOOMED", "")))
        assert deleted.result == "OK", deleted.error_codes
        for _ in range(2):  # iterations 1 and 2
            clock.advance(60)
            await settle(gateway)
        await gateway.gateway.delivery.deliver_due()
        await receiver.wait_for(3)
        events = {}
        for request in receiver.requests:
            event = etree.fromstring(request.body)
            number = event.findtext(
                ".//mes:Header/mes:Property[mes:Name='Iteration']/mes:Value", namespaces=NS
            )
            events[number] = event

    for resource_id, statuses in (
        (mixed_id, ["ITERATION-OK", "ITERATION-NOT-COMPLETED", "ITERATION-NOT-COMPLETED"]),
        (alone_id, ["ITERATION-OK", "ITERATION-FAILED", "ITERATION-FAILED"]),
    ):
        iterations = await store.iterations(resource_id)
        assert [str(i.status) for i in iterations] == statuses
    second = (await store.iterations(mixed_id))[1]
    assert (second.tasks, second.tasks_done, second.results_ok, second.results_failed) == (
        3,
        3,
        4,
        2,
    )

    # What the client reads: the members that exist answered, the group is named 2.101.
    reply = await gateway.post(
        envelope(
            "get",
            "DeviceAccess",
            request=f"<mes:StartTime>{iso(start + timedelta(minutes=1))}</mes:StartTime>"
            f"<mes:EndTime>{iso(start + timedelta(minutes=1))}</mes:EndTime>"
            f"<mes:ID>{mixed_id}</mes:ID>",
        )
    )
    assert reply.result == "OK"
    moments = (real_start, datetime.now(UTC))
    for index, expected in enumerate((readings.energy_import_wh, readings.energy_export_wh)):
        by_device = {r.device_id: r for r in reply.results(index)}
        assert sorted(by_device) == sorted([listed, kept_member, "DOOMED"])
        for title in (listed, kept_member):
            assert by_device[title].kind == "XDLMSResult"
            value = int(by_device[title].value(".//cos:double-long-unsigned"))
            assert value in {expected(title, t) for t in moments}
        assert by_device["DOOMED"].kind == "errorResult"
        assert by_device["DOOMED"].code == "2.101"
        assert "DOOMED" in by_device["DOOMED"].reason
    gone = [r for r in await store.results(mixed_id) if r.device_id == "DOOMED"]
    assert sorted((r.iteration, r.access_index) for r in gone) == [(1, 0), (1, 1), (2, 0), (2, 1)]
    assert not any(r.device_id == doomed_member for r in await store.results(mixed_id, iteration=1))
    alone_results = await store.results(alone_id, iteration=1)
    assert [(r.device_id, r.access_index, r.ok) for r in alone_results] == [
        ("DOOMED", 0, False),
        ("DOOMED", 1, False),
    ]

    directory = await gateway.post(envelope("get", "ResourceDirectory"))
    for resource_id, status, done, failed in (
        (mixed_id, "ITERATION-NOT-COMPLETED", "4", "2"),
        (alone_id, "ITERATION-FAILED", "0", "2"),
    ):
        entry = directory_entry(directory, resource_id)
        assert entry.findtext("dev:ResourceStatus", namespaces=NS) == status
        assert entry.findtext("dev:Progress/dev:Done", namespaces=NS) == done
        assert entry.findtext("dev:Progress/dev:Failed", namespaces=NS) == failed
        assert entry.findtext("dev:Progress/dev:Pending", namespaces=NS) == "0"

    # The iteration's EventMessage carries it too.
    assert sorted(events) == ["0", "1", "2"]
    codes = {
        result.get("DeviceID"): result.findtext("dev:errorResult/dev:code", namespaces=NS)
        for result in events["1"].iterfind(".//dev:CosemAccessResult", NS)
    }
    assert codes == {listed: None, kept_member: None, "DOOMED": "2.101"}
    assert "DOOMED" not in {
        result.get("DeviceID") for result in events["0"].iterfind(".//dev:CosemAccessResult", NS)
    }
