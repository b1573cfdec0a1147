"""Server hygiene: bounded input, idle timeout, refusals, errors that never kill a meter."""

from __future__ import annotations

import asyncio
import dataclasses
import logging

import pytest
from gurux_dlms import GXDLMSException
from gurux_dlms.objects import GXDLMSData

from cas.registry import Secret
from cas.simulator import MeterFleet, readings

from .gurux_client import GuruxClient

SERIAL = GXDLMSData("0.0.96.1.0.255")


async def closed_by_peer(reader: asyncio.StreamReader, timeout: float = 5.0) -> bool:
    """True when the peer closes (EOF or reset) within ``timeout``."""
    try:
        while await asyncio.wait_for(reader.read(65536), timeout):
            pass
    except ConnectionError:
        return True
    except TimeoutError:
        return False
    return True


@pytest.mark.parametrize(
    ("transport", "junk"),
    [
        ("wrapper", b"\x00\x01\x00\x10\x00\x01\xea\x60" + b"\x00" * 100),  # announces 60000
        ("wrapper", b"GET / HTTP/1.1\r\nHost: meter\r\n\r\n"),  # not a wrapper header
        ("hdlc", b"\x7e\xa0" + b"\x55" * 10_000),  # no closing flag, over the buffer limit
        ("hdlc", b"hello meter"),  # not HDLC at all
    ],
)
async def test_bad_input_drops_the_connection_not_the_meter(transport: str, junk: bytes) -> None:
    async with MeterFleet(count=1, transport=transport) as fleet:
        sim = fleet[0]
        reader, writer = await asyncio.open_connection(sim.host, sim.port)
        try:
            writer.write(junk)
            await writer.drain()
            assert await closed_by_peer(reader)
        finally:
            writer.close()
        client = GuruxClient(sim.registry_entry)
        try:
            await client.associate()
            assert await client.read(SERIAL, 2) == readings.serial_number(sim.system_title)
        finally:
            await client.close()


async def test_idle_connections_are_closed() -> None:
    async with MeterFleet(count=1, inactivity_timeout=0.3) as fleet:
        sim = fleet[0]
        client = GuruxClient(sim.registry_entry)
        try:
            await client.associate()
            assert sim.stats.open_connections == 1
            assert client.reader is not None
            assert await closed_by_peer(client.reader, timeout=5)
        finally:
            await client.close()
        assert sim.stats.open_connections == 0


async def test_malformed_aarq_closes_only_that_connection(caplog: pytest.LogCaptureFixture) -> None:
    async with MeterFleet(count=1) as fleet:
        sim = fleet[0]
        reader, writer = await asyncio.open_connection(sim.host, sim.port)
        try:
            apdu = b"\x60\x05\xa1\xff\xff\xff\xff"  # an AARQ whose contents make no sense
            writer.write(b"\x00\x01\x00\x10\x00\x01" + len(apdu).to_bytes(2, "big") + apdu)
            await writer.drain()
            answer = await asyncio.wait_for(reader.read(65536), 5)
            # Either a refusing AARE, or the connection closed: never an accepted association.
            assert answer == b"" or answer[8] == 0x61
        finally:
            writer.close()
        assert sim.stats.associations == 0
        client = GuruxClient(sim.registry_entry)
        try:
            await client.associate()
            assert sim.stats.associations == 1
        finally:
            await client.close()


@pytest.mark.parametrize(
    ("security", "change"),
    [
        ("low", {"password": Secret(b"not-the-password")}),
        ("low", {"client_address": 16}),
        ("hls-gmac", {"client_address": 16}),
        ("none", {"client_address": 1}),
    ],
)
async def test_wrong_credentials_are_refused(security: str, change: dict) -> None:
    async with MeterFleet(count=1, security=security) as fleet:
        sim = fleet[0]
        meter = dataclasses.replace(sim.registry_entry, **change)
        if "client_address" in change and security == "hls-gmac":
            meter = dataclasses.replace(meter, authentication="none", security="none")
        client = GuruxClient(meter)
        try:
            with pytest.raises(GXDLMSException):
                await client.associate()
        finally:
            await client.close()
        assert sim.stats.associations == 0


async def test_unknown_object_is_a_data_access_result() -> None:
    async with MeterFleet(count=1) as fleet:
        client = GuruxClient(fleet.meters[0])
        try:
            await client.associate()
            reply = await client.read_raw(GXDLMSData("0.0.99.99.99.255"), 2)
            assert reply.error == 4  # object-undefined
            assert client.last_raw[8:] == bytes((0xC4, 1, 0xC1, 1, 4))  # get-response-normal
            # The association is still usable.
            assert await client.read(SERIAL, 2) == readings.serial_number(fleet[0].system_title)
        finally:
            await client.close()


async def test_no_stdout_noise(capsys: pytest.CaptureFixture[str], caplog) -> None:
    caplog.set_level(logging.DEBUG)
    async with MeterFleet(count=1, security="hls-gmac", transport="hdlc") as fleet:
        client = GuruxClient(fleet.meters[0])
        try:
            await client.associate()
            await client.read(SERIAL, 2)
            await client.release()
        finally:
            await client.close()
    assert capsys.readouterr().out == ""


async def test_many_meters_distinct_and_counted_apart(tmp_path) -> None:
    from cas.registry import load_meters

    async with MeterFleet(count=50, seed=3) as fleet:
        titles = {m.system_title for m in fleet.meters}
        ports = {m.port for m in fleet.meters}
        assert len(titles) == len(ports) == 50
        fleet.write_registry(tmp_path / "meters.yaml")
        assert load_meters(tmp_path / "meters.yaml") == fleet.meters
        values = {readings.energy_import_wh(t, readings.EPOCH) for t in titles}
        assert len(values) > 40  # per-meter parameters differ
        client = GuruxClient(fleet.meters[17])
        try:
            await client.associate()
        finally:
            await client.close()
        assert [s.stats.associations for s in fleet].count(1) == 1
        assert fleet[17].stats.associations == 1
