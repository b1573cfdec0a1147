"""Group access through SOAP: fan-out, members that fail alone, empty and unknown groups,
a group changed while its access runs, cancellation, and progress."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime

import pytest

from cas.simulator import MeterFleet, readings
from tests.e2e.test_scheduled import BYPASS_RETRY, ENERGY, schedule, settle
from tests.support.clock import FakeClock
from tests.support.gateway import running_gateway
from tests.support.soap import NS, envelope, get_xml


def group_payload(group_id: str, body: str) -> str:
    return (
        f'<dev:DeviceGroup><dev:DeviceGroup GroupID="{group_id}">{body}</dev:DeviceGroup>'
        "</dev:DeviceGroup>"
    )


def members_xml(*references: str) -> str:
    return "".join(f'<dev:DeviceReference DeviceID="{r}"/>' for r in references)


def group_access(*groups: str, extra: str = "") -> str:
    references = "".join(f'<dev:GroupReference GroupID="{g}"/>' for g in groups)
    return (
        f"<mes:DeviceAccess><dev:DevicesReferenceList>{references}</dev:DevicesReferenceList>"
        "<dev:CosemAccessList><dev:CosemAccess><dev:CosemAccessDescriptor>"
        f"<dev:CosemXDLMSDescriptor>{get_xml(*ENERGY)}</dev:CosemXDLMSDescriptor>"
        f"</dev:CosemAccessDescriptor></dev:CosemAccess></dev:CosemAccessList>{extra}"
        "</mes:DeviceAccess>"
    )


@pytest.fixture
async def setup():
    fleet = MeterFleet(count=5)
    async with fleet, running_gateway(fleet.meters) as gateway:
        yield fleet, gateway


async def create_group(gateway, group_id: str, body: str) -> None:
    reply = await gateway.post(envelope("create", "DeviceGroup", group_payload(group_id, body)))
    assert reply.result == "OK", reply.error_codes


async def test_an_on_demand_group_read_answers_every_member(setup):
    fleet, gateway = setup
    before = datetime.now(UTC)
    reply = await gateway.post(envelope("create", "DeviceAccess", group_access("DG_ALL_METERS")))
    assert reply.result == "OK", reply.error_codes
    results = reply.results(0)
    titles = sorted(m.system_title for m in fleet.meters)
    assert sorted(r.device_id for r in results) == titles
    for result in results:
        value = int(result.value(".//cos:double-long-unsigned"))
        moments = (before, datetime.now(UTC))
        assert value in {readings.energy_import_wh(result.device_id, t) for t in moments}


async def test_unknown_and_empty_groups(setup):
    _fleet, gateway = setup
    unknown = await gateway.post(envelope("create", "DeviceAccess", group_access("NO_SUCH")))
    assert unknown.result == "FAILED" and unknown.error_codes == ["2.101"]
    await create_group(
        gateway,
        "NOBODY",
        '<dev:Selector><dev:Match Attribute="meter_type" Value="not-a-type"/></dev:Selector>',
    )
    empty = await gateway.post(envelope("create", "DeviceAccess", group_access("NOBODY")))
    assert empty.result == "OK" and empty.results(0) == []


async def test_members_fail_alone_unknown_slow_and_down(setup):
    fleet, gateway = setup
    good, slow, down = fleet.meters[0], fleet.meters[1], fleet.meters[2]
    fleet[1].faults.delay = 2.0
    fleet[2].faults.no_answer = True
    for meter in (slow, down):
        gateway.gateway.registry.put(dataclasses.replace(meter, response_timeout=0.5))
    await create_group(
        gateway,
        "MIXED",
        members_xml(good.system_title, "0000000000000BAD", slow.device_id, down.system_title),
    )
    reply = await gateway.post(
        envelope("create", "DeviceAccess", group_access("MIXED"), header_extra=BYPASS_RETRY)
    )
    assert reply.result == "PARTIAL"
    by_device = {r.device_id: r for r in reply.results(0)}
    assert by_device[good.system_title].kind == "XDLMSResult"
    assert by_device["0000000000000BAD"].code == "2.4"
    assert by_device[slow.device_id].code == "4.1"
    assert by_device[down.system_title].code == "4.1"
    assert set(reply.error_codes) >= {"2.4", "4.1"}


async def test_a_running_group_access_can_be_cancelled_and_shows_progress(setup):
    fleet, gateway = setup
    for meter in fleet:
        meter.faults.delay = 0.3
    gateway.gateway.worker.concurrency = 1
    created = await gateway.post(
        envelope(
            "create",
            "DeviceAccess",
            group_access("DG_ALL_METERS", extra=f"<dev:Activates>{_now()}</dev:Activates>"),
        )
    )
    (resource_id,) = created.ids
    store = gateway.gateway.store
    async with asyncio.timeout(20):
        while not await store.results(resource_id):
            await asyncio.sleep(0.05)
    directory = await gateway.post(
        envelope("get", "ResourceDirectory", request=f"<mes:ID>{resource_id}</mes:ID>")
    )
    progress = {
        name: int(directory.root.findtext(f".//dev:Progress/dev:{name}", namespaces=NS))
        for name in ("Done", "Failed", "Pending")
    }
    assert progress["Done"] >= 1 and progress["Pending"] >= 1
    assert sum(progress.values()) == 5
    cancelled = await gateway.post(
        envelope("cancel", "DeviceAccess", request=f"<mes:ID>{resource_id}</mes:ID>")
    )
    assert cancelled.result == "OK"
    await asyncio.sleep(1.0)
    kept = await store.results(resource_id)
    assert 1 <= len(kept) < 5  # what was done is kept; the rest never ran
    (iteration,) = await store.iterations(resource_id)
    assert str(iteration.status) == "ITERATION-STOPPED"


async def test_a_group_changed_during_an_iteration_affects_the_next_one():
    clock = FakeClock()
    fleet = MeterFleet(count=3)
    async with fleet, running_gateway(fleet.meters, clock=clock, background=False) as gateway:
        first, second, third = (m.system_title for m in fleet.meters)
        await create_group(gateway, "ROTA", members_xml(first, second))
        created = await gateway.post(
            envelope(
                "create",
                "DeviceAccess",
                group_access("ROTA", extra=schedule(clock.now, "PT1M")),
            )
        )
        (resource_id,) = created.ids
        await gateway.gateway.scheduler.dispatch_due()  # iteration 0 starts: first, second
        changed = await gateway.post(
            envelope("change", "DeviceGroup", group_payload("ROTA", members_xml(third)))
        )
        assert changed.result == "OK", changed.error_codes
        await settle(gateway)  # iteration 0 finishes with its members
        clock.advance(60)
        await settle(gateway)  # iteration 1 takes the group as it is now
        results = await gateway.gateway.store.results(resource_id)
    by_iteration = {}
    for result in results:
        by_iteration.setdefault(result.iteration, []).append(result.device_id)
    assert sorted(by_iteration[0]) == sorted([first, second])
    assert by_iteration[1] == [third]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
