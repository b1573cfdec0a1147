"""Measure the simulator's own CPU (not collected by pytest; run by hand).

    python tests/simulator/measure_simulator.py [--meters 2000] [--connect 1000]

1. CPU of the simulator per GET on a held-open association and per association
   (connect + AARQ [+ HLS] + GET + release), plain and hls-gmac, WRAPPER: the simulator runs
   as a child process (``cas simulate``) and its CPU is read from /proc, so the client's CPU
   is not counted.
2. Scale: how many meters one process listens for, and how many associations it holds open,
   with the memory that costs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root

from gurux_dlms.objects import GXDLMSClock

from cas.simulator import MeterFleet
from cas.simulator.process import FleetProcess
from tests.simulator.gurux_client import GuruxClient

CLOCK = GXDLMSClock("0.0.1.0.0.255")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def per_get(meter, count: int) -> int:
    client = GuruxClient(meter)
    await client.associate()
    for _ in range(count):
        await client.read_raw(CLOCK, 2)
    await client.release()
    await client.close()
    return count


async def per_association(meter, count: int) -> int:
    for _ in range(count):
        client = GuruxClient(meter)
        await client.associate()
        await client.read_raw(CLOCK, 2)
        await client.release()
        await client.close()
    return count


def run_cpu(security: str, gets: int, associations: int) -> None:
    fleet = FleetProcess(meters=1, security=security)
    meters = fleet.start()
    pid = fleet.pid
    assert pid is not None
    try:
        asyncio.run(per_get(meters[0], 5))  # warm up
        before = cpu_seconds(pid)
        started = time.perf_counter()
        asyncio.run(per_get(meters[0], gets))
        wall = time.perf_counter() - started
        spent = cpu_seconds(pid) - before
        print(
            f"{security:9} per GET (held-open association): simulator CPU "
            f"{spent / gets * 1e3:.3f} ms, round trip {wall / gets * 1e3:.3f} ms ({gets} GETs)"
        )
        before = cpu_seconds(pid)
        started = time.perf_counter()
        asyncio.run(per_association(meters[0], associations))
        wall = time.perf_counter() - started
        spent = cpu_seconds(pid) - before
        print(
            f"{security:9} per association (connect, AARQ, GET, release): simulator CPU "
            f"{spent / associations * 1e3:.3f} ms, wall {wall / associations * 1e3:.3f} ms"
        )
    finally:
        fleet.stop()


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def scale(meters: int, connect: int) -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    print(f"open files limit: {resource.getrlimit(resource.RLIMIT_NOFILE)[0]}")
    base = rss_mb()
    started = time.perf_counter()
    fleet = MeterFleet(count=meters, security="hls-gmac")
    await fleet.start()
    took = time.perf_counter() - started
    listening = rss_mb()
    print(
        f"{meters} meters listening: started in {took:.2f} s, "
        f"{(listening - base) * 1024 / meters:.1f} KB per meter"
    )
    clients = []
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        for meter in fleet.meters[:connect]:
            client = GuruxClient(meter)
            await client.associate()
            clients.append(client)
    took = time.perf_counter() - started
    held = rss_mb()
    print(
        f"{connect} hls-gmac associations held open (client in the same process): "
        f"{took:.2f} s to open, {(held - listening) * 1024 / connect:.1f} KB per connection "
        f"(both ends), simulator open connections "
        f"{sum(m.stats.open_connections for m in fleet)}"
    )
    for client in clients:
        await client.close()
    await fleet.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gets", type=int, default=2000)
    parser.add_argument("--associations", type=int, default=300)
    parser.add_argument("--meters", type=int, default=2000)
    parser.add_argument("--connect", type=int, default=1000)
    args = parser.parse_args()
    for security in ("none", "hls-gmac"):
        run_cpu(security, args.gets, args.associations)
    asyncio.run(scale(args.meters, args.connect))


if __name__ == "__main__":
    main()
