"""CosemTimeSync end to end: drift measured against the simulator's clock offset."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from cas.simulator import MeterFleet
from tests.support.gateway import running_gateway
from tests.support.soap import device_access, envelope, time_sync_xml


@pytest.fixture
async def setup():
    fleet = MeterFleet(count=1, transport="wrapper", security="hls-gmac")
    async with fleet, running_gateway(fleet.meters) as gateway:
        yield fleet[0], gateway


async def sync(gateway, title, **limits):
    return await gateway.post(
        envelope("create", "DeviceAccess", device_access([title], [time_sync_xml(**limits)]))
    )


async def test_drift_over_min_is_corrected(setup):
    meter, gateway = setup
    meter.clock_offset = timedelta(seconds=-90)
    reply = await sync(gateway, meter.system_title, min_diff=10, max_diff=3600)
    assert reply.result == "OK", reply.error_codes
    read, written = reply.results(0)
    assert read.kind == "XDLMSResult" and read.value(".//cos:data/cos:octet-string")
    assert written.kind == "XDLMSResult" and written.value(".//cos:result") == "success"
    # The meter now runs on the CAS clock again (within the round trip and a tick).
    assert abs(meter.clock_offset.total_seconds()) < 1.5


async def test_drift_under_min_is_left_alone(setup):
    meter, gateway = setup
    meter.clock_offset = timedelta(seconds=3)
    reply = await sync(gateway, meter.system_title, min_diff=30)
    assert reply.result == "OK"
    assert [r.kind for r in reply.results(0)] == ["XDLMSResult"]
    assert meter.clock_offset == timedelta(seconds=3)


async def test_drift_over_max_is_refused_and_reported(setup):
    meter, gateway = setup
    meter.clock_offset = timedelta(hours=2)
    reply = await sync(gateway, meter.system_title, min_diff=1, max_diff=600)
    assert reply.result == "PARTIAL"
    read, refused = reply.results(0)
    assert read.kind == "XDLMSResult"
    assert refused.code == "6.1"
    drift = float(re.search(r"clock is ([+-][0-9.]+) s off", refused.reason).group(1))
    assert abs(drift - 7200) < 2
    assert meter.clock_offset == timedelta(hours=2)
