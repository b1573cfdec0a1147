"""On-demand DeviceAccess end to end: SOAP over HTTP -> gateway -> real TCP -> simulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from cas.simulator import MeterFleet, readings
from tests.support.gateway import running_gateway
from tests.support.soap import (
    NS,
    action_xml,
    attribute_xml,
    date_time_hex,
    device_access,
    envelope,
    get_xml,
    obis_hex,
    range_selection,
)

CLOCK = (8, "0.0.1.0.0.255", 2)
ENERGY = (3, "1.0.1.8.0.255", 2)
SCALER_UNIT = (3, "1.0.1.8.0.255", 3)
LOAD_PROFILE = (7, "1.0.99.1.0.255", 2)
DISCONNECT_STATE = (70, "0.0.96.3.10.255", 2)
SERIAL_NUMBER = (1, "0.0.96.1.0.255", 2)
UNDEFINED = (3, "1.0.99.99.0.255", 2)  # no such object on the simulator
DISCONNECT_CONTROL = "0.0.96.3.10.255"
# A moment far from now: reads after a clock SET to it show values of that time.
SET_TO = datetime(2030, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["wrapper-hls-gmac", "hdlc-low"])
async def setup(request):
    transport, security = request.param.split("-", 1)
    fleet = MeterFleet(count=2, transport=transport, security=security)
    async with fleet, running_gateway(fleet.meters) as gateway:
        yield fleet, gateway


def quarter_floor(moment: datetime) -> datetime:
    return moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)


def octet_string(moment: datetime) -> str:
    return f"<cos:octet-string>{date_time_hex(moment)}</cos:octet-string>"


def descriptors(items: list[tuple[int, str, int]]) -> str:
    return "".join(
        "<cos:Cosem-Attribute-Descriptor-With-Selection><cos:cosem-attribute-descriptor>"
        f"{attribute_xml(*item)}</cos:cosem-attribute-descriptor>"
        "</cos:Cosem-Attribute-Descriptor-With-Selection>"
        for item in items
    )


def set_xml(class_id: int, obis: str, attribute: int, value: str) -> str:
    """set-request-normal; ``value`` is one cos Data element."""
    return (
        "<cos:set-request><cos:set-request-normal>"
        "<cos:invoke-id-and-priority>193</cos:invoke-id-and-priority>"
        f"<cos:cosem-attribute-descriptor>{attribute_xml(class_id, obis, attribute)}"
        f"</cos:cosem-attribute-descriptor><cos:value>{value}</cos:value>"
        "</cos:set-request-normal></cos:set-request>"
    )


def get_list_xml(items: list[tuple[int, str, int]]) -> str:
    return (
        "<cos:get-request><cos:get-request-with-list>"
        "<cos:invoke-id-and-priority>193</cos:invoke-id-and-priority>"
        f"<cos:attribute-descriptor-list>{descriptors(items)}</cos:attribute-descriptor-list>"
        "</cos:get-request-with-list></cos:get-request>"
    )


def set_list_xml(items: list[tuple[int, str, int]], values: list[str]) -> str:
    return (
        "<cos:set-request><cos:set-request-with-list>"
        "<cos:invoke-id-and-priority>193</cos:invoke-id-and-priority>"
        f"<cos:attribute-descriptor-list>{descriptors(items)}</cos:attribute-descriptor-list>"
        f"<cos:value-list>{''.join(values)}</cos:value-list>"
        "</cos:set-request-with-list></cos:set-request>"
    )


def action_list_xml(methods: list[tuple[int, str, int]], parameters: list[str]) -> str:
    listed = "".join(
        f"<cos:Cosem-Method-Descriptor><cos:class-id>{class_id}</cos:class-id>"
        f"<cos:instance-id>{obis_hex(obis)}</cos:instance-id>"
        f"<cos:method-id>{method}</cos:method-id></cos:Cosem-Method-Descriptor>"
        for class_id, obis, method in methods
    )
    return (
        "<cos:action-request><cos:action-request-with-list>"
        "<cos:invoke-id-and-priority>193</cos:invoke-id-and-priority>"
        f"<cos:cosem-method-descriptor-list>{listed}</cos:cosem-method-descriptor-list>"
        f"<cos:method-invocation-parameters>{''.join(parameters)}"
        "</cos:method-invocation-parameters></cos:action-request-with-list></cos:action-request>"
    )


UPGRADE_XML = (
    "<dev:CosemUpgrade><dev:upgrade-file>http://127.0.0.1:1/fw-2.bin</dev:upgrade-file>"
    "<dev:image-identifier>FW-2</dev:image-identifier><dev:image-size>1024</dev:image-size>"
    f"<dev:cosem-object>{attribute_xml(18, '0.0.44.0.0.255', 2)}</dev:cosem-object>"
    "</dev:CosemUpgrade>"
)


def clock_value(raw_hex: str) -> datetime:
    """A UTC date-time read from the simulator's clock (deviation 0)."""
    raw = bytes.fromhex(raw_hex)
    assert raw[9:11] == b"\x00\x00", raw_hex  # the simulator's clock runs on UTC
    return datetime(
        int.from_bytes(raw[0:2], "big"), raw[2], raw[3], raw[5], raw[6], raw[7], tzinfo=UTC
    )


async def test_clock_and_energy_with_scaler_and_unit(setup):
    fleet, gateway = setup
    title = fleet.meters[0].system_title
    before = datetime.now(UTC)
    reply = await gateway.post(
        envelope(
            "create",
            "DeviceAccess",
            device_access([title], [get_xml(*CLOCK), get_xml(*ENERGY), get_xml(*SCALER_UNIT)]),
        )
    )
    after = datetime.now(UTC)
    assert reply.status == 200
    assert reply.result == "OK", reply.error_codes
    assert len(reply.ids) == 1
    clock, energy, scaler_unit = (reply.results(i)[0] for i in range(3))
    assert clock.device_id == title and clock.kind == "XDLMSResult"
    meter_time = clock_value(clock.value(".//cos:data/cos:octet-string"))
    assert before - timedelta(seconds=2) <= meter_time <= after + timedelta(seconds=1)
    value = int(energy.value(".//cos:data/cos:double-long-unsigned"))
    expected = {
        readings.energy_import_wh(title, quarter_floor(moment)) for moment in (before, after)
    }
    assert value in expected
    assert scaler_unit.value(".//cos:data/cos:structure/cos:integer") == "0"
    assert scaler_unit.value(".//cos:data/cos:structure/cos:enum") == "30"


async def test_load_profile_rows_in_a_range(setup):
    fleet, gateway = setup
    title = fleet.meters[1].system_title
    end = quarter_floor(datetime.now(UTC)) - timedelta(days=1)
    start = end - timedelta(hours=12)
    reply = await gateway.post(
        envelope(
            "create",
            "DeviceAccess",
            device_access([title], [get_xml(*LOAD_PROFILE, range_selection(start, end))]),
        )
    )
    assert reply.result == "OK", reply.error_codes
    rows = reply.results(0)[0].element.xpath(
        ".//cos:data/cos:array/cos:structure", namespaces={"cos": "http://www.dlms.com/COSEMpdu"}
    )
    assert len(rows) == 12 * 4 + 1
    for index, row in enumerate(rows):
        moment = start + timedelta(minutes=15 * index)
        stamp, energy = row[0].text, row[1].text
        assert stamp[:16] == date_time_hex(moment)[:16]  # date, hour, minute, second
        assert int(energy) == readings.energy_import_wh(title, moment)


async def test_disconnect_then_reconnect_changes_the_output_state(setup):
    fleet, gateway = setup
    meter = fleet[0]
    title = meter.system_title
    reply = await gateway.post(
        envelope(
            "create",
            "DeviceAccess",
            device_access(
                [title], [action_xml(70, "0.0.96.3.10.255", 1), get_xml(*DISCONNECT_STATE)]
            ),
        )
    )
    assert reply.result == "OK", reply.error_codes
    assert reply.results(0)[0].value(".//cos:result") == "success"
    assert reply.results(1)[0].value(".//cos:data/cos:boolean") == "false"
    assert meter.output_state is False
    reply = await gateway.post(
        envelope(
            "create",
            "DeviceAccess",
            device_access(
                [title], [action_xml(70, "0.0.96.3.10.255", 2), get_xml(*DISCONNECT_STATE)]
            ),
        )
    )
    assert reply.results(1)[0].value(".//cos:data/cos:boolean") == "true"
    assert meter.output_state is True


async def test_unknown_device_fails_alone_partial(setup):
    fleet, gateway = setup
    titles = [fleet.meters[0].system_title, "0000000000000BAD", fleet.meters[1].device_id]
    reply = await gateway.post(
        envelope("create", "DeviceAccess", device_access(titles, [get_xml(*ENERGY)]))
    )
    assert reply.result == "PARTIAL"
    results = reply.results(0)
    assert [r.device_id for r in results] == titles
    assert [r.kind for r in results] == ["XDLMSResult", "errorResult", "XDLMSResult"]
    assert results[1].code == "2.4"
    assert "2.4" in reply.error_codes


async def test_set_clock_then_reads_follow_the_new_time(setup):
    fleet, gateway = setup
    meter = fleet[0]
    title = meter.system_title
    reply = await gateway.post(
        envelope(
            "create",
            "DeviceAccess",
            device_access(
                [title], [set_xml(*CLOCK, octet_string(SET_TO)), get_xml(*CLOCK), get_xml(*ENERGY)]
            ),
        )
    )
    assert reply.result == "OK", reply.error_codes
    written, clock, energy = (reply.results(i)[0] for i in range(3))
    assert written.kind == "XDLMSResult"
    assert written.value("cos:set-response-normal/cos:result") == "success"
    read = clock_value(clock.value(".//cos:data/cos:octet-string"))
    assert SET_TO <= read <= SET_TO + timedelta(seconds=5)
    # The energy register is evaluated at the meter's (new) clock: the 2030 value, exactly.
    assert int(energy.value(".//cos:double-long-unsigned")) == readings.energy_import_wh(
        title, SET_TO
    )
    offset = SET_TO - datetime.now(UTC)
    assert abs(meter.clock_offset - offset) < timedelta(seconds=5)
    # A follow-up request still sees the new clock.
    again = await gateway.post(
        envelope("create", "DeviceAccess", device_access([title], [get_xml(*CLOCK)]))
    )
    later = clock_value(again.results(0)[0].value(".//cos:data/cos:octet-string"))
    assert read <= later <= SET_TO + timedelta(seconds=10)
    assert fleet[1].clock_offset == timedelta(0)  # the other meter was not touched


async def test_set_of_a_read_only_attribute_is_denied(setup):
    fleet, gateway = setup
    title = fleet.meters[0].system_title
    value = "<cos:double-long-unsigned>5</cos:double-long-unsigned>"
    reply = await gateway.post(
        envelope("create", "DeviceAccess", device_access([title], [set_xml(*ENERGY, value)]))
    )
    assert reply.result == "OK", reply.error_codes  # the meter answered: an XDLMSResult
    (denied,) = reply.results(0)
    assert denied.value("cos:set-response-normal/cos:result") == "read-write-denied"


async def test_get_with_list_answers_each_attribute_in_order(setup):
    fleet, gateway = setup
    title = fleet.meters[1].system_title
    before = datetime.now(UTC)
    reply = await gateway.post(
        envelope(
            "create",
            "DeviceAccess",
            device_access([title], [get_list_xml([CLOCK, ENERGY, SERIAL_NUMBER, UNDEFINED])]),
        )
    )
    after = datetime.now(UTC)
    assert reply.result == "OK", reply.error_codes
    (result,) = reply.results(0)
    assert result.device_id == title and result.kind == "XDLMSResult"
    listed = result.element.xpath("cos:get-response-with-list/cos:result/*", namespaces=NS)
    assert [etree.QName(item).localname for item in listed] == [
        "data",
        "data",
        "data",
        "data-access-result",
    ]
    clock, energy, serial, undefined = listed
    meter_time = clock_value(clock.findtext("cos:octet-string", namespaces=NS))
    assert before - timedelta(seconds=2) <= meter_time <= after + timedelta(seconds=1)
    expected = {readings.energy_import_wh(title, moment) for moment in (before, after)}
    assert int(energy.findtext("cos:double-long-unsigned", namespaces=NS)) in expected
    assert serial.findtext("cos:visible-string", namespaces=NS) == readings.serial_number(title)
    assert undefined.text == "object-undefined"


async def test_set_with_list_answers_each_attribute(setup):
    fleet, gateway = setup
    meter = fleet[0]
    title = meter.system_title
    denied_value = "<cos:double-long-unsigned>5</cos:double-long-unsigned>"
    reply = await gateway.post(
        envelope(
            "create",
            "DeviceAccess",
            device_access(
                [title],
                [
                    set_list_xml([CLOCK, ENERGY], [octet_string(SET_TO), denied_value]),
                    get_xml(*CLOCK),
                    get_xml(*ENERGY),
                ],
            ),
        )
    )
    assert reply.result == "OK", reply.error_codes
    written, clock, energy = (reply.results(i)[0] for i in range(3))
    assert written.kind == "XDLMSResult"
    outcomes = written.element.xpath(
        "cos:set-response-with-list/cos:result/cos:data-access-result/text()", namespaces=NS
    )
    assert outcomes == ["success", "read-write-denied"]  # the clock is writable, energy is not
    read = clock_value(clock.value(".//cos:data/cos:octet-string"))
    assert SET_TO <= read <= SET_TO + timedelta(seconds=5)
    assert int(energy.value(".//cos:double-long-unsigned")) == readings.energy_import_wh(
        title, SET_TO
    )


async def test_action_with_list_runs_each_method_in_order(setup):
    fleet, gateway = setup
    meter = fleet[0]
    title = meter.system_title
    zero = "<cos:integer>0</cos:integer>"
    disconnect, reconnect = (70, DISCONNECT_CONTROL, 1), (70, DISCONNECT_CONTROL, 2)
    missing = (70, "0.0.96.3.99.255", 1)  # no such disconnector
    request = action_list_xml([disconnect, missing], [zero] * 2)
    reply = await gateway.post(
        envelope(
            "create", "DeviceAccess", device_access([title], [request, get_xml(*DISCONNECT_STATE)])
        )
    )
    assert reply.result == "OK", reply.error_codes
    answered, state = reply.results(0)[0], reply.results(1)[0]
    assert etree.QName(answered.element).localname == "action-response"
    outcomes = [e.text for e in answered.element.iterfind(".//cos:result", NS)]
    assert outcomes == ["success", "object-undefined"]
    assert state.value(".//cos:data/cos:boolean") == "false"
    assert meter.output_state is False
    reply = await gateway.post(
        envelope(
            "create",
            "DeviceAccess",
            device_access(
                [title],
                [action_list_xml([reconnect, disconnect, reconnect], [zero] * 3)],
            ),
        )
    )
    outcomes = [e.text for e in reply.results(0)[0].element.iterfind(".//cos:result", NS)]
    assert outcomes == ["success"] * 3
    assert meter.output_state is True
    # each method ran once, in order: disconnect, reconnect, disconnect, reconnect
    events = [code for _, code in meter.state.runtime_events]
    assert events == [
        readings.REMOTE_DISCONNECT,
        readings.REMOTE_RECONNECT,
        readings.REMOTE_DISCONNECT,
        readings.REMOTE_RECONNECT,
    ]


async def test_upgrade_is_not_supported_and_the_other_accesses_answer(setup):
    fleet, gateway = setup
    titles = [meter.system_title for meter in fleet.meters]
    before = datetime.now(UTC)
    reply = await gateway.post(
        envelope(
            "create",
            "DeviceAccess",
            device_access(titles, [get_xml(*ENERGY), UPGRADE_XML, get_xml(*SERIAL_NUMBER)]),
        )
    )
    after = datetime.now(UTC)
    assert reply.status == 200
    assert reply.result == "PARTIAL"
    assert reply.error_codes == ["5.103", "5.103"]  # one Reply/Error per device
    reasons = reply.root.xpath(".//mes:Reply/mes:Error/mes:reason/text()", namespaces=NS)
    assert reasons == [f"{t}: CosemUpgrade (image transfer) is not supported yet" for t in titles]
    energy, upgrade, serial = (reply.results(i) for i in range(3))
    assert [r.device_id for r in upgrade] == titles
    assert [(r.kind, r.code) for r in upgrade] == [("errorResult", "5.103")] * 2
    assert all(r.reason == "CosemUpgrade (image transfer) is not supported yet" for r in upgrade)
    for title, read in zip(titles, energy, strict=True):
        expected = {readings.energy_import_wh(title, moment) for moment in (before, after)}
        assert read.kind == "XDLMSResult" and read.device_id == title
        assert int(read.value(".//cos:double-long-unsigned")) in expected
    # The access after the upgrade still ran, on the same association.
    assert [fleet[i].stats.associations for i in range(len(titles))] == [1, 1]
    assert [(r.device_id, r.value(".//cos:visible-string")) for r in serial] == [
        (title, readings.serial_number(title)) for title in titles
    ]


@pytest.mark.parametrize("limit", [64, 3])
async def test_devices_of_one_request_run_concurrently_within_the_limit(limit):
    import time

    from cas.gateway import GatewaySettings

    latency = 0.25  # the meters wait this long before each answer
    fleet = MeterFleet(count=6, latency=latency)
    settings = GatewaySettings(device_concurrency=limit)
    async with fleet, running_gateway(fleet.meters, settings=settings) as gateway:
        titles = [meter.system_title for meter in fleet.meters]
        started = time.perf_counter()
        reply = await gateway.post(
            envelope("create", "DeviceAccess", device_access(titles, [get_xml(*ENERGY)]))
        )
        elapsed = time.perf_counter() - started
        assert reply.result == "OK", reply.error_codes
        assert [r.device_id for r in reply.results(0)] == titles
        assert fleet.stats.associations == 6
    one_meter = 2 * latency  # association + GET; one after the other, six take 3 s
    if limit >= len(titles):  # all six at once: about one meter's time
        assert one_meter <= elapsed < 3 * one_meter
    else:  # three at a time: two rounds
        assert 2 * one_meter <= elapsed < 5 * one_meter
