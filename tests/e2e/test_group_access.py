"""Group access through SOAP: fan-out, members that fail alone, empty and unknown groups,
a group changed while its access runs, cancellation, progress, and asynchronous group access
delivered to a ReplyAddress (in parts of 1,000 results)."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime

import pytest

from cas.access import iterations
from cas.access.iterations import message_id
from cas.simulator import MeterFleet, readings
from cas.store import IterationStatus
from tests.e2e.test_scheduled import BYPASS_RETRY, ENERGY, directory_entry, schedule, settle
from tests.support.clock import FakeClock
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.receiver import Receiver
from tests.support.soap import NS, Reply, envelope, get_xml, read_reply

UNKNOWN = "0000000000000BAD"  # in a group, not in the registry: its result is 2.4


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


def async_header(receiver: Receiver) -> str:
    return (
        "<mes:AsyncReplyFlag>true</mes:AsyncReplyFlag>"
        f"<mes:ReplyAddress>{receiver.url}</mes:ReplyAddress>{BYPASS_RETRY}"
    )


async def delivered(gateway: RunningGateway, timeout: float = 30.0) -> None:
    """Until the outbox is empty: every message queued was answered OK by the receiver."""
    async with asyncio.timeout(timeout):
        while await gateway.gateway.store.outbox_pending():
            await asyncio.sleep(0.05)


def header_text(reply: Reply, name: str) -> str | None:
    return reply.root.findtext(f".//mes:Header/mes:{name}", namespaces=NS)


async def test_an_asynchronous_group_access_posts_every_members_result(backend):
    fleet = MeterFleet(count=4)
    async with (
        fleet,
        running_gateway(fleet.meters, store=backend) as gateway,
        Receiver() as receiver,
    ):
        down = fleet.meters[3]
        fleet[3].faults.no_answer = True
        gateway.gateway.registry.put(dataclasses.replace(down, response_timeout=1.0))
        members = [m.system_title for m in fleet.meters] + [UNKNOWN]
        await create_group(gateway, "ASYNC", members_xml(*members))
        before = datetime.now(UTC)
        reply = await gateway.post(
            envelope(
                "create",
                "DeviceAccess",
                group_access("ASYNC"),
                header_extra=async_header(receiver),
                message_id="client-7",
            )
        )
        assert reply.result == "OK", reply.error_codes
        assert reply.accesses == []  # the results go to the ReplyAddress
        (resource_id,) = reply.ids
        assert receiver.requests == []  # answered before the down member timed out (1 s)
        await receiver.wait_for(1, timeout=20)
        after = datetime.now(UTC)
        await delivered(gateway)
        directory = await gateway.post(
            envelope("get", "ResourceDirectory", request=f"<mes:ID>{resource_id}</mes:ID>")
        )
    (request,) = receiver.requests  # one message: five results fit in one part
    response = read_reply(200, request.body)
    assert header_text(response, "Verb") == "reply"
    assert header_text(response, "CorrelationID") == "client-7"
    assert header_text(response, "MessageID") == message_id(resource_id, 0, 1)
    assert response.result == "PARTIAL" and response.ids == [resource_id]
    results = response.results(0)
    assert sorted(r.device_id for r in results) == sorted(members)  # one per member
    by_device = {r.device_id: r for r in results}
    for title in members[:3]:
        assert by_device[title].kind == "XDLMSResult"
        value = int(by_device[title].value(".//cos:double-long-unsigned"))
        assert value in {readings.energy_import_wh(title, t) for t in (before, after)}
    assert by_device[down.system_title].code == "4.1"
    assert by_device[UNKNOWN].code == "2.4"
    entry = directory_entry(directory, resource_id)
    assert entry.findtext("dev:ResourceStatus", namespaces=NS) == "FINISHED"
    progress = {
        name: entry.findtext(f"dev:Progress/dev:{name}", namespaces=NS)
        for name in ("Done", "Failed", "Pending")
    }
    assert progress == {"Done": "3", "Failed": "2", "Pending": "0"}


async def test_an_asynchronous_group_access_of_1201_members_arrives_in_two_parts(backend):
    fleet = MeterFleet(count=1200)
    async with (
        fleet,
        running_gateway(fleet.meters, store=backend) as gateway,
        Receiver() as receiver,
    ):
        members = [m.system_title for m in fleet.meters] + [UNKNOWN]
        await create_group(gateway, "BIG", members_xml(*members))
        before = datetime.now(UTC)
        reply = await gateway.post(
            envelope(
                "create",
                "DeviceAccess",
                group_access("BIG"),
                header_extra=async_header(receiver),
                message_id="client-big",
            )
        )
        assert reply.result == "OK", reply.error_codes
        (resource_id,) = reply.ids
        await receiver.wait_for(2, timeout=60)
        after = datetime.now(UTC)
        await delivered(gateway)
    responses = [read_reply(200, r.body) for r in receiver.requests]
    assert sorted(header_text(r, "MessageID") for r in responses) == sorted(
        message_id(resource_id, 0, part) for part in (1, 2)
    )
    assert {header_text(r, "CorrelationID") for r in responses} == {"client-big"}
    assert {r.result for r in responses} == {"PARTIAL"}  # the unknown member failed
    by_part = {header_text(r, "MessageID"): r.results(0) for r in responses}
    sizes = [len(by_part[message_id(resource_id, 0, part)]) for part in (1, 2)]
    assert sizes == [1000, 201]
    assert sorted(properties(r)["Part"] for r in responses) == ["1/2", "2/2"]
    seen = [r.device_id for part in by_part.values() for r in part]
    assert len(seen) == len(set(seen)) and set(seen) == set(members)
    for result in (r for part in by_part.values() for r in part):
        if result.device_id == UNKNOWN:
            assert result.code == "2.4"
            continue
        value = int(result.value(".//cos:double-long-unsigned"))
        expected = {readings.energy_import_wh(result.device_id, t) for t in (before, after)}
        assert value in expected, result.device_id


@pytest.mark.parametrize("kind", ["asynchronous", "scheduled"])
async def test_a_closer_that_dies_after_queuing_leaves_the_sweeper_the_same_parts(
    monkeypatch, kind
):
    """The worker completing the last task dies while closing the iteration, its parts queued:
    the sweeper closes the iteration later and queues the same MessageIDs (nothing twice)."""
    monkeypatch.setattr(iterations, "MESSAGE_RESULTS", 2)  # five results: parts of 2, 2, 1
    clock = FakeClock()
    fleet = MeterFleet(count=4)
    async with (
        fleet,
        running_gateway(fleet.meters, clock=clock, background=False) as gateway,
        Receiver() as receiver,
    ):
        store = gateway.gateway.store
        members = [m.system_title for m in fleet.meters] + [UNKNOWN]
        await create_group(gateway, "FIVE", members_xml(*members))
        if kind == "scheduled":
            access = group_access("FIVE", extra=schedule(clock.now))
            header = f"<mes:ReplyAddress>{receiver.url}</mes:ReplyAddress>{BYPASS_RETRY}"
        else:
            access, header = group_access("FIVE"), async_header(receiver)
        before = datetime.now(UTC)
        reply = await gateway.post(
            envelope("create", "DeviceAccess", access, header_extra=header, message_id="client-9")
        )
        (resource_id,) = reply.ids
        finish = store.finish_iteration

        async def dies(*args: object, **kwargs: object) -> bool:
            raise RuntimeError("the closer died")

        monkeypatch.setattr(store, "finish_iteration", dies)
        await settle(gateway)  # the last task's worker queues the parts, then dies
        assert await store.outbox_pending() == 3
        (iteration,) = await store.iterations(resource_id)
        assert iteration.status is IterationStatus.EXECUTING
        monkeypatch.setattr(store, "finish_iteration", finish)
        clock.advance(61)  # past the sweeper's grace
        assert await gateway.gateway.sweeper.sweep() == 1
        assert await store.outbox_pending() == 3  # the same three MessageIDs
        (iteration,) = await store.iterations(resource_id)
        assert iteration.status is IterationStatus.NOT_COMPLETED
        assert (await store.get_resource(resource_id)).status == "FINISHED"
        await gateway.gateway.delivery.deliver_due()
        await receiver.wait_for(3)
        after = datetime.now(UTC)
        await delivered(gateway)
    expected_ids = [message_id(resource_id, 0, part) for part in (1, 2, 3)]
    assert sorted(receiver.message_ids(answered_ok=True)) == sorted(expected_ids)
    assert len(receiver.requests) == 3
    parts = {r.message_id: read_reply(200, r.body) for r in receiver.requests}
    assert [len(parts[mid].results(0)) for mid in expected_ids] == [2, 2, 1]
    if kind == "scheduled":  # EventMessages: Iteration and Part i/n
        for number, mid in enumerate(expected_ids, 1):
            assert header_text(parts[mid], "Verb") == "created"
            assert header_text(parts[mid], "CorrelationID") == resource_id
            assert properties(parts[mid]) == {"Iteration": "0", "Part": f"{number}/3"}
    else:
        assert {header_text(r, "Verb") for r in parts.values()} == {"reply"}
        assert {header_text(r, "CorrelationID") for r in parts.values()} == {"client-9"}
        assert {r.result for r in parts.values()} == {"PARTIAL"}
        for number, mid in enumerate(expected_ids, 1):  # ResponseMessages: Part i/n
            assert properties(parts[mid]) == {"Part": f"{number}/3"}
    results = [result for part in parts.values() for result in part.results(0)]
    assert sorted(r.device_id for r in results) == sorted(members)
    for result in results:
        if result.device_id == UNKNOWN:
            assert result.code == "2.4"
        else:
            value = int(result.value(".//cos:double-long-unsigned"))
            assert value in {
                readings.energy_import_wh(result.device_id, t) for t in (before, after)
            }


def properties(reply: Reply) -> dict[str, str | None]:
    return {
        p.findtext("mes:Name", namespaces=NS): p.findtext("mes:Value", namespaces=NS)
        for p in reply.root.iterfind(".//mes:Header/mes:Property", NS)
    }


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
