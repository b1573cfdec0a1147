"""On-demand DeviceAccess end to end: SOAP over HTTP -> gateway -> real TCP -> simulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cas.simulator import MeterFleet, readings
from tests.support.gateway import running_gateway
from tests.support.soap import (
    action_xml,
    date_time_hex,
    device_access,
    envelope,
    get_xml,
    range_selection,
)

CLOCK = (8, "0.0.1.0.0.255", 2)
ENERGY = (3, "1.0.1.8.0.255", 2)
SCALER_UNIT = (3, "1.0.1.8.0.255", 3)
LOAD_PROFILE = (7, "1.0.99.1.0.255", 2)
DISCONNECT_STATE = (70, "0.0.96.3.10.255", 2)


@pytest.fixture(params=["wrapper-hls-gmac", "hdlc-low"])
async def setup(request):
    transport, security = request.param.split("-", 1)
    fleet = MeterFleet(count=2, transport=transport, security=security)
    async with fleet, running_gateway(fleet.meters) as gateway:
        yield fleet, gateway


def quarter_floor(moment: datetime) -> datetime:
    return moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)


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
    raw = bytes.fromhex(clock.value(".//cos:data/cos:octet-string"))
    meter_time = datetime(
        int.from_bytes(raw[0:2], "big"), raw[2], raw[3], raw[5], raw[6], raw[7], tzinfo=UTC
    )
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
