"""Running fleets: in a thread, as `cas simulate`, and without the client-side gurux fixes."""

from __future__ import annotations

import asyncio
import os
import random
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from gurux_dlms.objects import GXDLMSData

from cas.registry import load_meters
from cas.simulator import FleetThread, MeterFleet, readings
from cas.simulator.process import FleetProcess

from .gurux_client import GuruxClient

SERIAL = GXDLMSData("0.0.96.1.0.255")
REPO = Path(__file__).resolve().parents[2]


async def read_serial(meter) -> str:
    client = GuruxClient(meter)
    try:
        await client.associate()
        return await client.read(SERIAL, 2)
    finally:
        await client.close()


def test_fleet_thread_serves_synchronous_callers() -> None:
    with FleetThread(count=2, security="hls-gmac", seed=5) as fleet:
        meter = fleet.meters[1]
        assert asyncio.run(read_serial(meter)) == readings.serial_number(meter.system_title)
        assert fleet[1].stats.associations == 1
        fleet[1].faults.wrong_keys = True  # settable from this thread
        with pytest.raises(Exception):  # noqa: B017
            asyncio.run(read_serial(meter))
        assert fleet[1].stats.associations == 1


def test_cas_simulate_serves_until_sigterm(tmp_path: Path) -> None:
    registry = tmp_path / "meters.yaml"
    process = FleetProcess(meters=3, transport="hdlc", security="low", registry=registry)
    meters = process.start()
    try:
        assert len(meters) == 3 and load_meters(registry) == meters
        assert (registry.stat().st_mode & 0o777) == 0o600  # the file holds passwords
        assert asyncio.run(read_serial(meters[2])) == readings.serial_number(meters[2].system_title)
    finally:
        assert process.stop() == 0


def free_port_block(count: int, attempts: int = 100) -> int:
    """A port P such that P..P+count-1 can all be bound on 127.0.0.1 right now."""
    for _ in range(attempts):
        base = random.randint(20_000, 32_000 - count)  # below the usual ephemeral range
        probes: list[socket.socket] = []
        try:
            for port in range(base, base + count):
                probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                probes.append(probe)
                probe.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for probe in probes:
                probe.close()
    raise AssertionError(f"no {count} consecutive free ports found")


def test_cas_simulate_listens_on_consecutive_ports(tmp_path: Path) -> None:
    count = 4
    registry = tmp_path / "meters.yaml"
    for _attempt in range(3):  # another process may take a port of the block meanwhile
        base = free_port_block(count)
        process = FleetProcess(
            meters=count, transport="wrapper", security="hls-gmac", port=base, registry=registry
        )
        try:
            meters = process.start()
            break
        except RuntimeError as error:
            assert "cannot listen" in str(error), error
    else:
        pytest.fail("cas simulate could not listen on a free block of ports")
    try:
        assert [m.port for m in load_meters(registry)] == list(range(base, base + count))
        assert [m.port for m in meters] == list(range(base, base + count))
        for meter in meters:  # meter i answers on P+i, as itself
            assert asyncio.run(read_serial(meter)) == readings.serial_number(meter.system_title)
        assert len({m.system_title for m in meters}) == count
    finally:
        assert process.stop() == 0


def test_cas_simulate_reports_bad_arguments(tmp_path: Path) -> None:
    registry = str(tmp_path / "r.yaml")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cas",
            "simulate",
            "--meters",
            "0",
            "--port",
            "0",
            "--registry",
            registry,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--meters" in result.stderr
    assert result.stdout == ""


def test_works_without_the_client_fixes() -> None:
    """The simulator alone (cas.dlms.gurux_fixes unimportable): hls-gmac still works and
    nothing is printed to stdout by the simulator."""
    script = textwrap.dedent(
        """
        import asyncio, contextlib, io, sys
        sys.modules["cas.dlms.gurux_fixes"] = None  # import raises ImportError
        sys.path.insert(0, "tests")
        from simulator.gurux_client import GuruxClient
        from gurux_dlms.objects import GXDLMSData
        from cas.simulator import MeterFleet, readings

        async def main():
            async with MeterFleet(count=1, transport="hdlc", security="hls-gmac") as fleet:
                client = GuruxClient(fleet.meters[0])
                await client.associate()
                value = await client.read(GXDLMSData("0.0.96.1.0.255"), 2)
                await client.release()
                await client.close()
                assert value == readings.serial_number(fleet[0].system_title), value
                assert fleet[0].stats.associations == 1
                assert "cas.dlms.gurux_fixes" not in sys.modules or sys.modules[
                    "cas.dlms.gurux_fixes"] is None
            sys.stderr.write("ok\\n")

        asyncio.run(main())
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().endswith("ok")
    assert result.stdout == ""


async def test_fleet_rejects_bad_options() -> None:
    with pytest.raises(ValueError):
        MeterFleet(count=0)
    with pytest.raises(ValueError):
        MeterFleet(count=2, transport="serial")
    with pytest.raises(ValueError):
        MeterFleet(count=2, security="hls-ecdsa")
    with pytest.raises(ValueError):
        MeterFleet(count=10, base_port=65530)
    fleet = MeterFleet(count=1)
    with pytest.raises(KeyError):
        fleet["0000000000000000"]
