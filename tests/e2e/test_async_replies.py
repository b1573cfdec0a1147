"""Results delivered to a ReplyAddress: a real local HTTP receiver, the gateway's outbox."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from lxml import etree

from cas.simulator import MeterFleet
from tests.e2e.test_scheduled import ENERGY, schedule, settle
from tests.support.clock import FakeClock
from tests.support.gateway import running_gateway
from tests.support.receiver import Answer, Receiver
from tests.support.soap import NS, device_access, envelope, get_xml


def header(receiver: Receiver, asynchronous: bool = True) -> str:
    flag = "<mes:AsyncReplyFlag>true</mes:AsyncReplyFlag>" if asynchronous else ""
    return f"{flag}<mes:ReplyAddress>{receiver.url}</mes:ReplyAddress>"


def parse(body: bytes) -> etree._Element:
    return etree.fromstring(body)


@pytest.fixture
async def setup():
    clock = FakeClock()
    fleet = MeterFleet(count=2)
    async with (
        fleet,
        running_gateway(fleet.meters, clock=clock, background=False) as gateway,
        Receiver() as rx,
    ):
        yield fleet, gateway, clock, rx


async def deliver(gateway) -> int:
    return await gateway.gateway.delivery.deliver_due()


async def outbox_drained(gateway, timeout: float = 10.0) -> None:
    """The background delivery may hold a message in flight: wait for it to be recorded."""
    async with asyncio.timeout(timeout):
        while await gateway.gateway.store.outbox_pending():
            await asyncio.sleep(0.02)


async def test_async_on_demand_answers_at_once_and_posts_the_response(setup):
    fleet, gateway, _clock, receiver = setup
    titles = [m.system_title for m in fleet.meters]
    reply = await gateway.post(
        envelope(
            "create",
            "DeviceAccess",
            device_access(titles, [get_xml(*ENERGY)]),
            header_extra=header(receiver),
            message_id="client-42",
        )
    )
    assert reply.result == "OK" and reply.accesses == []
    (resource_id,) = reply.ids
    await settle(gateway)
    await deliver(gateway)
    (request,) = await receiver.wait_for(1)
    assert request.content_type.startswith("application/soap+xml")
    message = parse(request.body)
    assert message.findtext(".//mes:Header/mes:Verb", namespaces=NS) == "reply"
    assert message.findtext(".//mes:Header/mes:CorrelationID", namespaces=NS) == "client-42"
    assert message.findtext(".//mes:Reply/mes:Result", namespaces=NS) == "OK"
    assert message.findtext(".//mes:Reply/mes:ID", namespaces=NS) == resource_id
    results = message.findall(".//dev:CosemAccessResult", NS)
    assert sorted(r.get("DeviceID") for r in results) == sorted(titles)
    assert all(r.find(".//cos:double-long-unsigned", NS) is not None for r in results)
    await outbox_drained(gateway)


async def test_scheduled_results_arrive_as_events_after_the_receiver_recovers(setup):
    fleet, gateway, clock, receiver = setup
    title = fleet.meters[0].system_title
    receiver.answer_next(Answer.error(500), Answer.failed())
    created = await gateway.post(
        envelope(
            "create",
            "DeviceAccess",
            device_access([title], [get_xml(*ENERGY)], schedule(clock.now, "PT5M")),
            header_extra=header(receiver, asynchronous=False),
        )
    )
    (resource_id,) = created.ids
    await settle(gateway)
    await deliver(gateway)  # 500
    clock.advance(60)
    await deliver(gateway)  # Result FAILED: not delivered either
    clock.advance(5 * 60)
    await settle(gateway)  # the second iteration
    for _ in range(6):
        clock.advance(120)
        await deliver(gateway)
    ids = receiver.message_ids(answered_ok=True)
    assert len(ids) == 2 and len(set(ids)) == 2  # each iteration once, after retries
    refused = receiver.requests[0].message_id
    assert refused in ids  # the message answered 500 came again, same MessageID, and got OK
    event = parse(receiver.requests[-1].body)
    assert event.findtext(".//mes:Header/mes:Verb", namespaces=NS) == "created"
    assert event.findtext(".//mes:Header/mes:CorrelationID", namespaces=NS) == resource_id
    properties = {
        p.findtext("mes:Name", namespaces=NS): p.findtext("mes:Value", namespaces=NS)
        for p in event.iterfind(".//mes:Header/mes:Property", NS)
    }
    assert properties["Iteration"] in ("0", "1")
    await outbox_drained(gateway)


async def test_a_receiver_down_for_a_while_gets_everything_when_back(setup):
    fleet, gateway, clock, receiver = setup
    titles = [m.system_title for m in fleet.meters]
    await receiver.stop()
    created = await gateway.post(
        envelope(
            "create",
            "DeviceAccess",
            device_access(titles, [get_xml(*ENERGY)], schedule(clock.now, "PT1M")),
            header_extra=header(receiver, asynchronous=False),
        )
    )
    assert created.result == "OK"
    for _ in range(3):
        await settle(gateway)
        await deliver(gateway)
        clock.advance(60)
    assert await gateway.gateway.store.outbox_pending() == 3
    await receiver.start()
    clock.advance(timedelta(hours=1).total_seconds())
    await deliver(gateway)
    await receiver.wait_for(3)
    assert len(set(receiver.message_ids(answered_ok=True))) == 3
    iterations = sorted(
        parse(r.body).findtext(".//mes:Property[mes:Name='Iteration']/mes:Value", namespaces=NS)
        for r in receiver.requests
    )
    assert iterations == ["0", "1", "2"]
