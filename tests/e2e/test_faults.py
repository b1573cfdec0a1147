"""Meters that fail, seen through the web service: each device gets its own clear result."""

from __future__ import annotations

import dataclasses
import socket

import pytest

from cas.simulator import MeterFleet
from tests.support.gateway import running_gateway
from tests.support.soap import device_access, envelope, get_xml

ENERGY = (3, "1.0.1.8.0.255", 2)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
async def fleet():
    async with MeterFleet(count=3, transport="wrapper", security="hls-gmac") as fleet:
        yield fleet


def quick(meter, **changes):
    return dataclasses.replace(meter, response_timeout=0.5, **changes)


async def read_energy(gateway, titles):
    return await gateway.post(
        envelope("create", "DeviceAccess", device_access(titles, [get_xml(*ENERGY)]))
    )


async def test_unreachable_and_silent_meters_fail_alone(fleet):
    good, silent, gone = fleet.meters
    fleet[1].faults.no_answer = True
    meters = [good, quick(silent), quick(gone, port=free_port())]
    async with running_gateway(meters) as gateway:
        reply = await read_energy(gateway, [m.system_title for m in meters])
    assert reply.result == "PARTIAL"
    ok, timed_out, unreachable = reply.results(0)
    assert ok.kind == "XDLMSResult" and ok.value(".//cos:double-long-unsigned")
    assert timed_out.code == "4.1"
    assert unreachable.code == "5.101"
    assert set(reply.error_codes) == {"4.1", "5.101"}


async def test_wrong_keys_give_the_refusal_not_data(fleet):
    fleet[0].faults.wrong_keys = True
    async with running_gateway(fleet.meters[:1]) as gateway:
        reply = await read_energy(gateway, [fleet.meters[0].system_title])
    assert reply.result == "FAILED"
    (result,) = reply.results(0)
    assert result.kind == "ACSEResult"
    assert result.value("./cos:result") == "rejected-permanent"
    assert reply.error_codes == ["5.102"]


async def test_wrong_password_is_an_authentication_failure_in_the_aare():
    async with MeterFleet(count=1, transport="hdlc", security="low") as fleet:
        fleet[0].faults.wrong_keys = True
        async with running_gateway(fleet.meters) as gateway:
            reply = await read_energy(gateway, [fleet.meters[0].system_title])
    (result,) = reply.results(0)
    assert reply.result == "FAILED"
    assert result.kind == "ACSEResult"
    assert result.value(".//cos:acse-service-user") == "authentication-failure"


async def test_garbage_and_tampered_answers_are_security_or_transaction_failures(fleet):
    fleet[0].faults.garbage = True
    fleet[1].faults.flip_tag = True
    meters = [quick(fleet.meters[0]), quick(fleet.meters[1]), fleet.meters[2]]
    async with running_gateway(meters) as gateway:
        reply = await read_energy(gateway, [m.system_title for m in meters])
    garbage, tampered, ok = reply.results(0)
    assert reply.result == "PARTIAL"
    assert garbage.kind == "errorResult" and garbage.code in ("5.3", "5.102")
    assert tampered.code == "5.102"
    assert ok.kind == "XDLMSResult"


async def test_a_failed_access_does_not_stop_the_meters_next_request(fleet):
    """After a timeout the session is discarded; the next request opens a fresh one."""
    meter = fleet[0]
    async with running_gateway([quick(fleet.meters[0])]) as gateway:
        meter.faults.no_answer = True
        first = await read_energy(gateway, [meter.system_title])
        meter.faults.reset()
        second = await read_energy(gateway, [meter.system_title])
    assert first.results(0)[0].code == "4.1"
    assert second.result == "OK"
