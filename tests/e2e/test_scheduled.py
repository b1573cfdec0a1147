"""Scheduled DeviceAccess over SOAP: resources that live on, run on time, and are managed.

Time is a FakeClock moved by the tests (the gateway's scheduler, workers and results use it);
the meters are real simulated meters over TCP.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from cas.simulator import MeterFleet, readings
from tests.support.clock import FakeClock
from tests.support.gateway import running_gateway
from tests.support.soap import NS, device_access, envelope, get_xml

ENERGY = (3, "1.0.1.8.0.255", 2)
BYPASS_RETRY = (
    "<mes:Property><mes:Name>BypassRetry</mes:Name><mes:Value>true</mes:Value></mes:Property>"
)


def iso(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def schedule(activates=None, interval=None, duration=None, expires=None, priority=None) -> str:
    parts = []
    if priority is not None:
        parts.append(f"<dev:Priority>{priority}</dev:Priority>")
    if activates is not None:
        parts.append(f"<dev:Activates>{iso(activates)}</dev:Activates>")
    if interval is not None:
        parts.append(f"<dev:RepeatingInterval>{interval}</dev:RepeatingInterval>")
    if duration is not None:
        parts.append(f"<dev:Duration>{duration}</dev:Duration>")
    if expires is not None:
        parts.append(f"<dev:Expires>{iso(expires)}</dev:Expires>")
    return "".join(parts)


async def settle(gateway, *, rounds: int = 200) -> None:
    """Let the scheduler and workers do everything due at the clock's current time."""
    gw = gateway.gateway
    for _ in range(rounds):
        started = await gw.scheduler.dispatch_due()
        claimed = await gw.worker.work_once()
        await gw.worker.drain()
        if not started and not claimed:
            return
    raise AssertionError("work did not settle")


def directory_entry(reply, resource_id):
    for entry in reply.root.iterfind(".//dev:Resource", NS):
        if entry.findtext("dev:ID", namespaces=NS) == resource_id:
            return entry
    raise AssertionError(f"{resource_id} not in the directory")


@pytest.fixture
async def setup():
    clock = FakeClock()
    fleet = MeterFleet(count=2, transport="wrapper", security="hls-gmac")
    async with fleet, running_gateway(fleet.meters, clock=clock, background=False) as gateway:
        yield fleet, gateway, clock


async def test_a_repeating_read_runs_at_its_due_times_and_keeps_results(setup):
    fleet, gateway, clock = setup
    real_start = datetime.now(UTC)
    titles = [m.system_title for m in fleet.meters]
    activates = clock.now + timedelta(minutes=1)
    created = await gateway.post(
        envelope(
            "create",
            "DeviceAccess",
            device_access(titles, [get_xml(*ENERGY)], schedule(activates, "PT15M")),
        )
    )
    assert created.result == "OK", created.error_codes
    (resource_id,) = created.ids
    assert created.accesses == []  # nothing executed yet

    directory = await gateway.post(envelope("get", "ResourceDirectory"))
    entry = directory_entry(directory, resource_id)
    assert entry.findtext("dev:ResourceStatus", namespaces=NS) == "ACCEPTED"
    assert entry.findtext("dev:RepeatingInterval", namespaces=NS) == "PT900S"

    await settle(gateway)  # not due yet
    assert (await gateway.gateway.store.results(resource_id)) == []

    clock.advance(60)
    await settle(gateway)
    clock.advance(15 * 60)
    await settle(gateway)

    results = await gateway.post(
        envelope("get", "DeviceAccess", request=f"<mes:ID>{resource_id}</mes:ID>")
    )
    assert results.result == "OK"
    rows = results.results(0)
    # each meter once per iteration, in the order its meters answered (they run concurrently)
    devices = [r.device_id for r in rows]
    assert [sorted(devices[:2]), sorted(devices[2:])] == [sorted(titles)] * 2
    for row in rows:
        assert row.kind == "XDLMSResult"
        value = int(row.value(".//cos:double-long-unsigned"))
        moments = (real_start, datetime.now(UTC))  # the meters run on real time
        assert value in {readings.energy_import_wh(row.device_id, t) for t in moments}

    directory = await gateway.post(envelope("get", "ResourceDirectory"))
    entry = directory_entry(directory, resource_id)
    assert entry.findtext("dev:ResourceStatus", namespaces=NS) == "ITERATION-OK"
    assert entry.findtext("dev:Progress/dev:Done", namespaces=NS) == "2"
    assert entry.findtext("dev:Progress/dev:Failed", namespaces=NS) == "0"
    iterations = await gateway.gateway.store.iterations(resource_id)
    assert [(i.number, str(i.status)) for i in iterations] == [
        (0, "ITERATION-OK"),
        (1, "ITERATION-OK"),
    ]
    assert iterations[0].due == activates
    assert iterations[1].due == activates + timedelta(minutes=15)


async def test_get_filters_by_time_and_last_valid_data(setup):
    fleet, gateway, clock = setup
    meter = fleet[0]
    activates = clock.now + timedelta(seconds=30)
    created = await gateway.post(
        envelope(
            "create",
            "DeviceAccess",
            device_access([meter.system_title], [get_xml(*ENERGY)], schedule(activates, "PT1M")),
            header_extra=BYPASS_RETRY,
        )
    )
    (resource_id,) = created.ids
    clock.advance(30)
    await settle(gateway)
    first_run = clock.now
    clock.advance(60)
    meter.faults.no_answer = True
    gateway.gateway.registry.put(dataclasses.replace(fleet.meters[0], response_timeout=0.3))
    await settle(gateway)
    # the second iteration failed (timeout): LastValidData gives the first one's result
    every = await gateway.post(
        envelope("get", "DeviceAccess", request=f"<mes:ID>{resource_id}</mes:ID>")
    )
    assert [r.kind for r in every.results(0)] == ["XDLMSResult", "errorResult"]
    latest = await gateway.post(
        envelope(
            "get",
            "DeviceAccess",
            request=f"<mes:ID>{resource_id}</mes:ID><mes:LastValidData>true</mes:LastValidData>",
        )
    )
    assert [r.kind for r in latest.results(0)] == ["XDLMSResult"]
    window = await gateway.post(
        envelope(
            "get",
            "DeviceAccess",
            request=f"<mes:StartTime>{iso(first_run + timedelta(seconds=1))}</mes:StartTime>"
            f"<mes:ID>{resource_id}</mes:ID>",
        )
    )
    assert [r.kind for r in window.results(0)] == ["errorResult"]
    assert window.results(0)[0].code == "4.1"


async def test_change_cancel_delete_and_unknown_ids(setup):
    fleet, gateway, clock = setup
    title = fleet.meters[0].system_title
    activates = clock.now + timedelta(minutes=5)
    created = await gateway.post(
        envelope(
            "create",
            "DeviceAccess",
            device_access([title], [get_xml(*ENERGY)], schedule(activates, "PT1H")),
        )
    )
    (resource_id,) = created.ids
    sooner = clock.now + timedelta(minutes=2)
    changed = await gateway.post(
        envelope(
            "change",
            "DeviceAccess",
            f'<mes:DeviceAccess ID="{resource_id}">{schedule(sooner, "PT30M", priority=9)}'
            "</mes:DeviceAccess>",
            request=f"<mes:ID>{resource_id}</mes:ID>",
        )
    )
    assert changed.result == "OK", changed.error_codes
    stored = await gateway.gateway.store.get_resource(resource_id)
    assert stored.priority == 9 and stored.repeating_interval == 1800
    clock.advance(120)
    await settle(gateway)
    assert len(await gateway.gateway.store.results(resource_id)) == 1

    cancelled = await gateway.post(
        envelope("cancel", "DeviceAccess", request=f"<mes:ID>{resource_id}</mes:ID>")
    )
    assert cancelled.result == "OK"
    clock.advance(3600)
    await settle(gateway)
    kept = await gateway.post(
        envelope("get", "DeviceAccess", request=f"<mes:ID>{resource_id}</mes:ID>")
    )
    assert len(kept.results(0)) == 1  # kept, and nothing ran after the cancel
    directory = await gateway.post(envelope("get", "ResourceDirectory"))
    assert (
        directory_entry(directory, resource_id).findtext("dev:ResourceStatus", namespaces=NS)
        == "CANCELLED"
    )
    refused = await gateway.post(
        envelope(
            "change",
            "DeviceAccess",
            f'<mes:DeviceAccess ID="{resource_id}"><dev:Priority>1</dev:Priority>'
            "</mes:DeviceAccess>",
            request=f"<mes:ID>{resource_id}</mes:ID>",
        )
    )
    assert refused.result == "FAILED" and refused.error_codes == ["6.1"]

    deleted = await gateway.post(
        envelope("delete", "DeviceAccess", request=f"<mes:ID>{resource_id}</mes:ID>")
    )
    assert deleted.result == "OK"
    for verb in ("get", "cancel", "delete"):
        gone = await gateway.post(
            envelope(verb, "DeviceAccess", request=f"<mes:ID>{resource_id}</mes:ID>")
        )
        assert gone.result == "FAILED" and gone.error_codes == ["2.15"], verb


async def test_a_resource_with_expires_finishes_and_cannot_be_changed(setup):
    fleet, gateway, clock = setup
    real_start = datetime.now(UTC)
    titles = [m.system_title for m in fleet.meters]
    start = clock.now
    expires = start + timedelta(minutes=2)  # the due time of iteration 2: it still runs
    created = await gateway.post(
        envelope(
            "create",
            "DeviceAccess",
            device_access(titles, [get_xml(*ENERGY)], schedule(start, "PT1M", expires=expires)),
        )
    )
    assert created.result == "OK", created.error_codes
    (resource_id,) = created.ids
    for minutes in range(6):  # on time at every due time, and three minutes past Expires
        clock.now = start + timedelta(minutes=minutes)
        await settle(gateway)
        if minutes == 1:
            directory = await gateway.post(envelope("get", "ResourceDirectory"))
            entry = directory_entry(directory, resource_id)
            assert entry.findtext("dev:ResourceStatus", namespaces=NS) == "ITERATION-OK"

    store = gateway.gateway.store
    iterations = await store.iterations(resource_id)
    assert [(i.number, str(i.status)) for i in iterations] == [
        (0, "ITERATION-OK"),
        (1, "ITERATION-OK"),
        (2, "ITERATION-OK"),
    ]
    assert [i.started for i in iterations] == [start + timedelta(minutes=k) for k in range(3)]
    assert await store.next_due() is None
    results = await gateway.post(
        envelope("get", "DeviceAccess", request=f"<mes:ID>{resource_id}</mes:ID>")
    )
    rows = results.results(0)
    devices = [r.device_id for r in rows]  # per iteration, as the meters answered
    size = len(titles)
    assert [sorted(devices[k : k + size]) for k in range(0, len(devices), size)] == [
        sorted(titles)
    ] * 3
    activated = [r.element.getparent().getparent().get("Activated") for r in rows]
    assert activated == [iso(start + timedelta(minutes=k)) for k in range(3) for _ in titles]
    for row in rows:
        value = int(row.value(".//cos:double-long-unsigned"))
        moments = (real_start, datetime.now(UTC))
        assert value in {readings.energy_import_wh(row.device_id, t) for t in moments}
    directory = await gateway.post(envelope("get", "ResourceDirectory"))
    entry = directory_entry(directory, resource_id)
    assert entry.findtext("dev:ResourceStatus", namespaces=NS) == "FINISHED"
    assert entry.findtext("dev:LastActivation", namespaces=NS) == iso(start + timedelta(minutes=2))

    refused = await gateway.post(
        envelope(
            "change",
            "DeviceAccess",
            f'<mes:DeviceAccess ID="{resource_id}">'
            f"{schedule(interval='PT5M', priority=9, expires=clock.now + timedelta(hours=1))}"
            "</mes:DeviceAccess>",
            request=f"<mes:ID>{resource_id}</mes:ID>",
        )
    )
    assert refused.result == "FAILED" and refused.error_codes == ["6.1"]
    assert "FINISHED" in refused.root.findtext(".//mes:Reply/mes:Error/mes:reason", namespaces=NS)
    kept = await store.get_resource(resource_id)
    assert (kept.status, kept.priority, kept.repeating_interval, kept.expires) == (
        "FINISHED",
        4,
        60,
        expires,
    )
    clock.advance(3600)
    await settle(gateway)
    assert len(await store.iterations(resource_id)) == 3  # the refused change started nothing


@pytest.mark.parametrize(
    ("extra", "code", "where"),
    [
        ("past", "6.1", "Activates"),
        ("expires-first", "6.1", "Expires"),
        ("<dev:RepeatingInterval>PT30S</dev:RepeatingInterval>", "1.8", "RepeatingInterval"),
        ("<dev:RepeatingInterval>every hour</dev:RepeatingInterval>", "1.8", "RepeatingInterval"),
        ("<dev:RepeatingInterval>P1M</dev:RepeatingInterval>", "1.8", "RepeatingInterval"),
    ],
)
async def test_bad_schedules_are_refused_with_the_element(setup, extra, code, where):
    fleet, gateway, clock = setup
    if extra == "past":
        extra = schedule(clock.now - timedelta(hours=1), "PT15M")
    elif extra == "expires-first":
        extra = schedule(
            clock.now + timedelta(hours=2), "PT15M", expires=clock.now + timedelta(hours=1)
        )
    reply = await gateway.post(
        envelope(
            "create",
            "DeviceAccess",
            device_access([fleet.meters[0].system_title], [get_xml(*ENERGY)], extra),
        )
    )
    assert reply.result == "FAILED"
    assert reply.error_codes == [code]
    xpath = reply.root.findtext(".//mes:Reply/mes:Error/mes:xpath", namespaces=NS)
    assert xpath and where in xpath


async def test_an_async_reply_without_receiver_is_refused(setup):
    fleet, gateway, _clock = setup
    reply = await gateway.post(
        envelope(
            "create",
            "DeviceAccess",
            device_access([fleet.meters[0].system_title], [get_xml(*ENERGY)]),
            header_extra="<mes:AsyncReplyFlag>true</mes:AsyncReplyFlag>"
            "<mes:ReplyAddress>ftp://example.org/in</mes:ReplyAddress>",
        )
    )
    assert reply.result == "FAILED" or reply.status == 400
    await asyncio.sleep(0)


async def test_the_directory_entry_shows_what_was_sent(setup):
    from tests.support.soap import action_xml, time_sync_xml

    fleet, gateway, clock = setup
    titles = [m.system_title for m in fleet.meters]
    activates = clock.now + timedelta(minutes=2)
    expires = activates + timedelta(hours=1)
    accesses = [
        get_xml(*ENERGY),
        get_xml(*ENERGY, invoke=194),  # the same attribute again: listed once
        get_xml(8, "0.0.1.0.0.255", 2),
        action_xml(70, "0.0.96.3.10.255", 2),
        time_sync_xml(5, 60),
    ]
    extra = schedule(activates, "PT5M", "PT1M", expires, priority=9)
    reply_address = "http://127.0.0.1:9/results"
    created = await gateway.post(
        envelope(
            "create",
            "DeviceAccess",
            device_access(titles, accesses, extra),
            header_extra=f"<mes:ReplyAddress>{reply_address}</mes:ReplyAddress>",
        )
    )
    assert created.result == "OK", created.error_codes
    (resource_id,) = created.ids

    entry = directory_entry(await gateway.post(envelope("get", "ResourceDirectory")), resource_id)

    def text(path: str) -> str | None:
        return entry.findtext(path, namespaces=NS)

    assert text("dev:ResourceStatus") == "ACCEPTED"
    assert text("dev:LastActivation") is None  # nothing ran yet
    assert datetime.fromisoformat(text("dev:Activates")) == activates
    assert datetime.fromisoformat(text("dev:Expires")) == expires
    assert (text("dev:RepeatingInterval"), text("dev:Duration")) == ("PT300S", "PT60S")
    assert text("dev:Priority") == "9"
    assert text("dev:ReplyAddress") == reply_address
    references = [r.get("DeviceID") for r in entry.iterfind("dev:DeviceReference", NS)]
    assert references == titles
    attributes = [
        (
            d.findtext("cos:class-id", namespaces=NS),
            d.findtext("cos:instance-id", namespaces=NS),
            d.findtext("cos:attribute-id", namespaces=NS),
        )
        for d in entry.iterfind("dev:CosemAttributeDescriptor", NS)
    ]
    assert attributes == [("3", "0100010800FF", "2"), ("8", "0000010000FF", "2")]
    methods = [
        (
            d.findtext("cos:class-id", namespaces=NS),
            d.findtext("cos:instance-id", namespaces=NS),
            d.findtext("cos:method-id", namespaces=NS),
        )
        for d in entry.iterfind("dev:CosemMethodDescriptor", NS)
    ]
    assert methods == [("70", "000060030AFF", "2")]

    clock.advance(120)
    await settle(gateway)
    entry = directory_entry(await gateway.post(envelope("get", "ResourceDirectory")), resource_id)
    assert datetime.fromisoformat(entry.findtext("dev:LastActivation", namespaces=NS)) == (
        clock.now
    )


async def test_a_change_that_moves_expires_before_the_next_iteration_finishes_it(setup):
    fleet, gateway, clock = setup
    titles = [m.system_title for m in fleet.meters]
    start = clock.now
    created = await gateway.post(
        envelope(
            "create",
            "DeviceAccess",
            device_access(titles, [get_xml(*ENERGY)], schedule(start, "PT10M")),
        )
    )
    (resource_id,) = created.ids
    await settle(gateway)  # iteration 0 runs and closes
    clock.now = start + timedelta(minutes=3)
    changed = await gateway.post(
        envelope(
            "change",
            "DeviceAccess",
            f'<mes:DeviceAccess ID="{resource_id}">'
            f"{schedule(expires=start + timedelta(minutes=5))}</mes:DeviceAccess>",
            request=f"<mes:ID>{resource_id}</mes:ID>",
        )
    )
    assert changed.result == "OK", changed.error_codes
    entry = directory_entry(await gateway.post(envelope("get", "ResourceDirectory")), resource_id)
    assert entry.findtext("dev:ResourceStatus", namespaces=NS) == "FINISHED"
    clock.now = start + timedelta(minutes=30)
    await settle(gateway)
    store = gateway.gateway.store
    assert [i.number for i in await store.iterations(resource_id)] == [0]
    assert await store.next_due() is None
