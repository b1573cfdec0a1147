"""Measure the simulator's own cost (not collected by pytest; run by hand).

    python tests/simulator/measure_simulator.py [--meters 10000] [--read 2000]
        [--baseline REV] [--loop uvloop asyncio] [--security none hls-gmac]

The simulator runs as a child process (``cas simulate``) and its CPU is read from /proc, so
the client's CPU is not counted. For each simulator (this checkout, and with ``--baseline``
the ``cas`` package of that git revision, extracted with ``git archive``; run alternately so
both see the same machine load) and each security mode:

1. start-up of ``--meters`` meters, one child at a time (two fleets of 10,000 would not
   fit in the ephemeral port range together): seconds until the child prints its "serving"
   line (registry file written), and memory per meter (RSS of the N-meter child minus that
   of a 1-meter child, divided by N-1);
2. group read, on children of ``--read`` meters running side by side: every meter read
   once, ``--concurrency`` at a time, each one TCP connection, association, GET clock,
   GET energy import, release (the gateway's engine, ``cas.dlms.Session``, as client):
   simulator CPU per meter;
3. GET on a held-open association: simulator CPU per GET.

CPU figures are the median of ``--repeat`` runs, the variants measured in turn.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from cas.dlms import MemoryInvocationCounterStore, MeterCounters, Session  # noqa: E402
from cas.registry import Meter  # noqa: E402
from cas.simulator import registry_file  # noqa: E402

GET_CLOCK = bytes.fromhex("C001C1" + "0008" + "0000010000FF" + "02" + "00")
GET_ENERGY = bytes.fromhex("C001C1" + "0003" + "0100010800FF" + "02" + "00")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Child:
    """``cas simulate`` from ``tree`` (a directory holding the ``cas`` package)."""

    def __init__(
        self, tree: Path, meters: int, security: str, extra: list[str], load: bool = True
    ) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="cas-measure-")
        registry = Path(self.tmp.name) / "registry.yaml"
        command = [sys.executable, "-m", "cas", "simulate", "--meters", str(meters)]
        command += ["--port", "0", "--security", security, "--registry", str(registry), *extra]
        env = {**os.environ, "PYTHONPATH": str(tree)}
        started = time.perf_counter()
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, text=True, env=env, cwd=tree
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        self.startup = time.perf_counter() - started
        if not line.startswith("serving"):
            self.stop()
            raise RuntimeError(f"cas simulate did not start: {line!r}")
        self.pid = self.process.pid
        self.rss = rss_mb(self.pid)
        self.meters = registry_file.load(registry) if load else []

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(30)
        self.tmp.cleanup()


async def read_meter(meter: Meter, gets: int = 1) -> None:
    session = Session(meter, MeterCounters(MemoryInvocationCounterStore(), meter.system_title))
    await session.open()
    try:
        for _ in range(gets):
            for apdu in (GET_CLOCK, GET_ENERGY):
                response = await session.request(apdu)
                assert response[:4] == b"\xc4\x01\xc1\x00", response.hex()
    finally:
        await session.close()


async def group_read(meters: list[Meter], concurrency: int) -> None:
    slots = asyncio.Semaphore(concurrency)

    async def one(meter: Meter) -> None:
        async with slots:
            await read_meter(meter)

    await asyncio.gather(*(one(m) for m in meters))


def measure(child: Child, args: argparse.Namespace) -> tuple[float, float]:
    """(simulator CPU per meter of a group read, per GET held open), in ms."""
    before = child.cpu()
    asyncio.run(group_read(child.meters, args.concurrency))
    per_meter = (child.cpu() - before) / len(child.meters) * 1e3
    before = child.cpu()
    asyncio.run(read_meter(child.meters[0], args.gets // 2))
    per_get = (child.cpu() - before) / (args.gets // 2 * 2) * 1e3
    return per_meter, per_get


def baseline_tree(rev: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", rev, "cas"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--meters", type=int, default=10000)
    parser.add_argument("--read", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--gets", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--security", nargs="+", default=["none", "hls-gmac"])
    parser.add_argument("--loop", nargs="+", default=["uvloop", "asyncio"])
    parser.add_argument("--baseline", metavar="REV", help="also measure this git revision")
    parser.add_argument(
        "--shared-port", action="store_true", help="also measure meters behind one port"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cas-baseline-") as tmp:
        variants: list[tuple[str, Path, list[str]]] = []
        if args.baseline:
            variants.append(
                (f"{args.baseline} (asyncio)", baseline_tree(args.baseline, Path(tmp)), [])
            )
        variants += [(f"this ({loop})", REPO, ["--loop", loop]) for loop in args.loop]
        if args.shared_port:
            variants += [
                (f"this ({loop}, 1 port)", REPO, ["--loop", loop, "--shared-port"])
                for loop in args.loop
            ]
        for security in args.security:
            for name, tree, extra in variants:
                small = Child(tree, 1, security, extra, load=False)
                small_rss = small.rss
                small.stop()
                child = Child(tree, args.meters, security, extra, load=False)
                child.stop()
                per_meter_kb = (child.rss - small_rss) * 1024 / max(1, args.meters - 1)
                print(
                    f"{security:8} {name:28} {args.meters} meters: started in "
                    f"{child.startup:.2f} s, {per_meter_kb:.1f} KB per meter "
                    f"(RSS {child.rss:.0f} MB)",
                    flush=True,
                )
            children: dict[str, Child] = {}
            results: dict[str, list[tuple[float, float]]] = {name: [] for name, _t, _e in variants}
            try:
                for name, tree, extra in variants:
                    children[name] = Child(tree, args.read, security, extra)
                for child in children.values():
                    asyncio.run(group_read(child.meters[:20], 10))  # warm up
                for _ in range(args.repeat):  # in turn, so every variant sees the same load
                    for name, child in children.items():
                        results[name].append(measure(child, args))
            finally:
                for child in children.values():
                    child.stop()
            for name, runs in results.items():
                per_meter = statistics.median(r[0] for r in runs)
                per_get = statistics.median(r[1] for r in runs)
                print(
                    f"{security:8} {name:28} simulator CPU: {per_meter:.3f} ms per meter "
                    f"(connect, associate, 2 GETs, release; {args.read} meters, "
                    f"{args.concurrency} at a time), {per_get:.3f} ms per GET held open",
                    flush=True,
                )


if __name__ == "__main__":
    main()
