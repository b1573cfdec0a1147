"""Meters behind one port, each at its own address: routing, registry entries, counting."""

from __future__ import annotations

import asyncio
import time

import pytest
from gurux_dlms.objects import GXDLMSData

from cas.dlms import MemoryInvocationCounterStore, SessionPool
from cas.simulator import MeterFleet, plan, readings
from cas.simulator.process import FleetProcess

from .gurux_client import GuruxClient
from .plain_client import (
    AARQ,
    SERIAL,
    NoAnswer,
    PlainClient,
    get_request,
    visible_string,
    wrap,
)
from .test_scale import energy_between, read_serial_and_energy, wait_for


async def test_ten_thousand_meters_behind_one_port() -> None:
    started = time.perf_counter()
    async with MeterFleet(count=10_000, shared_port=True, segments=4) as fleet:
        assert time.perf_counter() - started < 30  # ~0.1 s measured
        meters = fleet.meters
        assert len({m.port for m in meters}) == 1
        assert [m.server_address for m in meters[:3]] == [16, 17, 18]
        assert len({m.server_address for m in meters}) == 10_000
        assert 0x7E not in {m.server_address for m in meters}
        assert 0x7F not in {m.server_address for m in meters}
        assert meters[-1].server_address == plan.shared_port_address(9_999) == 10_017

        sample = meters[::97]
        slots = asyncio.Semaphore(50)

        async def read(meter):
            async with slots:
                return await read_serial_and_energy(meter)

        results = await asyncio.gather(*(read(m) for m in sample))
        for meter, (serial, energy, before, after) in zip(sample, results, strict=True):
            assert serial == readings.serial_number(meter.system_title)
            assert energy in energy_between(meter.system_title, before, after)
        assert fleet.stats.associations == len(sample)
        assert all(fleet[i].stats.associations == 1 for i in range(0, 10_000, 97))
        assert fleet[1].stats.connections == 0

        pool = SessionPool(MemoryInvocationCounterStore())  # the gateway's engine
        try:
            for meter in meters[3::2_500]:
                response = await pool.request(meter, get_request(*SERIAL))
                assert visible_string(response[4:]) == readings.serial_number(meter.system_title)
        finally:
            await pool.close()


@pytest.mark.parametrize("security", ["none", "hls-gmac"])
async def test_hdlc_meters_behind_one_port_by_physical_address(security: str) -> None:
    async with MeterFleet(
        count=120, transport="hdlc", security=security, shared_port=True
    ) as fleet:
        # 16 and 127 (one-byte physical addresses), 128 and 131 (two bytes: a 4-byte
        # HDLC server address on the wire)
        for index in (0, 109, 110, 119):
            entry = fleet.meters[index]
            assert entry.server_address == 1
            assert entry.physical_address == plan.shared_port_address(index)
            client = GuruxClient(entry)
            try:
                await client.associate()
                serial = await client.read(GXDLMSData("0.0.96.1.0.255"), 2)
                assert serial == readings.serial_number(entry.system_title)
                await client.release()
            finally:
                await client.close()
            assert fleet[index].stats.associations == 1
        assert fleet.stats.associations == 4


async def test_first_frame_decides_the_meter_and_when_it_counts() -> None:
    async with MeterFleet(count=6, shared_port=True, segments=2) as fleet:
        entry = fleet.meters[3]
        reader, writer = await asyncio.open_connection(entry.host, entry.port)
        try:
            await asyncio.sleep(0.05)
            assert fleet.stats.open_connections == 0  # accepted, not yet addressed
            writer.write(wrap(AARQ, entry.server_address))
            header = await asyncio.wait_for(reader.readexactly(8), 5)
            assert header[2:4] == entry.server_address.to_bytes(2, "big")
            assert fleet[3].stats.open_connections == 1
            assert fleet.segments["seg-1"].open_connections == 1
            assert fleet.stats.peak_open_connections == 1
        finally:
            writer.close()
        await wait_for(lambda: fleet.stats.open_connections == 0)

        # An address no meter has: the connection is closed, nothing is counted.
        reader, writer = await asyncio.open_connection(entry.host, entry.port)
        try:
            writer.write(wrap(AARQ, 0x7F))
            assert await asyncio.wait_for(reader.read(), 5) == b""
        finally:
            writer.close()
        assert fleet.stats.connections == 1

        # A meter stopped behind the shared port refuses (closes), the others answer.
        await fleet[3].stop()
        client = PlainClient(entry, timeout=2.0)
        try:
            with pytest.raises((asyncio.IncompleteReadError, ConnectionError, NoAnswer)):
                await client.associate()
        finally:
            await client.close()
        serial, *_ = await read_serial_and_energy(fleet.meters[4])
        assert serial == readings.serial_number(fleet[4].system_title)
        await fleet[3].start(entry.port)
        serial, *_ = await read_serial_and_energy(entry)
        assert serial == readings.serial_number(entry.system_title)


def test_shared_port_limits() -> None:
    with pytest.raises(ValueError):
        MeterFleet(count=plan.max_shared_port_meters(True) + 1, transport="hdlc", shared_port=True)
    assert (
        len(MeterFleet(count=plan.max_shared_port_meters(True), transport="hdlc", shared_port=True))
        == 16_364
    )


def test_fleet_process_behind_one_port() -> None:
    process = FleetProcess(meters=300, shared_port=True, segments=3, failure_rate=0.01, seed=2)
    meters = process.start()
    try:
        assert len({m.port for m in meters}) == 1
        up = next(i for i in range(150, 300) if i not in process.down)

        async def scenario() -> None:
            serial, *_ = await read_serial_and_energy(meters[up])
            assert serial == readings.serial_number(meters[up].system_title)
            down = PlainClient(meters[process.down[0]], timeout=0.3)
            try:
                with pytest.raises(NoAnswer):
                    await down.associate()
            finally:
                await down.close()

        asyncio.run(scenario())
        status = process.status(fresh=True)
        assert status["stats"]["associations"] == 1 and status["stats"]["connections"] == 2
    finally:
        assert process.stop() == 0
