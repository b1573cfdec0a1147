"""Benchmark of a group read (not a test): one DeviceAccess on a group of 10,000 meters.

The request: one ``create DeviceAccess`` over SOAP with a GroupReference and two GETs per
member, the clock (0.0.1.0.0.255/2) and the energy register (1.0.1.8.0.255/2), which the
client waits for (on-demand; the reply carries the first page of results). The meters are
simulated in a child process (``cas simulate``, with ``--latency`` seconds waited before each
reply: a WAN round trip); the gateway runs as ``cas serve`` child processes, as an operator
runs it:

- ``sqlite``: one process, role all (the default);
- ``redis1``: an api node (the SOAP request) and one ``--role worker`` node;
- ``redis2``: the api node and two worker nodes sharing the work.

Each case is run for each group size (``--sizes``, default 2,500, 5,000 and 10,000: groups
of the first N meters, from a group file; 10,000 is DG_ALL_METERS), on fresh gateway
processes. Printed per run:

- wall time (the POST until its reply, which comes when every member is done) and meters
  per second; the results are checked in the ResourceDirectory (2 x N results, none failed);
- the ideal bound: ``N x R x latency / C``, R = 3 round trips a meter needs (AARQ/AARE and
  the two GETs; releasing the association is not on a member's path), C = the concurrency
  limit (worker nodes x ``--worker-concurrency``; the overall cap of 1,000 associations and
  the segments do not bind here), and the ratio wall / bound (target <= 1.5);
- CPU per meter from /proc/<pid>/stat, and the part of it in the kernel (loopback TCP is
  processed in the sending process's system time): the gateway's processes (all nodes) apart
  from the simulator's (target: gateway <= 1 ms per meter, plain security), and Redis's
  (``INFO cpu``: a shared server, so others' load counts too);
- the gateway's memory: each node's RSS high-water mark (VmHWM) and its growth over the RSS
  it had before the request (target: no growth with group size);
- the simulator's counts (connections, associations, peak of open connections).

Same-run ratios close the report: 10,000 / 2,500 meters (wall per meter, CPU per meter,
memory growth) and Redis 2 workers / 1 worker, Redis 1 worker / SQLite.

``--py-spy DIR`` records each gateway node with py-spy (``py-spy record``, if installed) during
the largest group's read, as speedscope files plus a top-functions summary.

Each Redis case uses its own key prefix (``CAS_REDIS_PREFIX``), deleted afterwards.
Usage: python bench/group_read.py [--sizes 2500,5000,10000] [--latency 0.03]
       [--cases sqlite,redis1,redis2] [--concurrency 64] [--security none]
       [--url redis://127.0.0.1:6379/0] [--py-spy DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

CONTENT_TYPE = "application/soap+xml; charset=utf-8"
CASES = {"sqlite": 0, "redis1": 1, "redis2": 2}
ROUND_TRIPS = 3  # AARQ/AARE, GET clock, GET energy
NS = (
    ' xmlns:soap="http://www.w3.org/2003/05/soap-envelope"'
    ' xmlns:mes="http://iec.ch/TC57/2011/schema/message"'
    ' xmlns:dev="http://iec.ch/TC13/2014/schema/DeviceAccess"'
    ' xmlns:cos="http://www.dlms.com/COSEMpdu"'
)


# --- SOAP ----------------------------------------------------------------------------------------


def envelope(verb: str, noun: str, *, request: str = "", payload: str = "") -> bytes:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f"<soap:Envelope{NS}><soap:Body><mes:RequestMessage>"
        f"<mes:Header><mes:Verb>{verb}</mes:Verb><mes:Noun>{noun}</mes:Noun>"
        f"<mes:Timestamp>{stamp}</mes:Timestamp><mes:MessageID>{uuid.uuid4()}</mes:MessageID>"
        "</mes:Header>"
        + (f"<mes:Request>{request}</mes:Request>" if request else "")
        + (f"<mes:Payload>{payload}</mes:Payload>" if payload else "")
        + "</mes:RequestMessage></soap:Body></soap:Envelope>"
    ).encode()


def get_access(class_id: int, obis_hex: str, attribute: int) -> str:
    return (
        "<dev:CosemAccess><dev:CosemAccessDescriptor><dev:CosemXDLMSDescriptor>"
        "<cos:get-request><cos:get-request-normal>"
        "<cos:invoke-id-and-priority>193</cos:invoke-id-and-priority>"
        f"<cos:cosem-attribute-descriptor><cos:class-id>{class_id}</cos:class-id>"
        f"<cos:instance-id>{obis_hex}</cos:instance-id>"
        f"<cos:attribute-id>{attribute}</cos:attribute-id></cos:cosem-attribute-descriptor>"
        "</cos:get-request-normal></cos:get-request>"
        "</dev:CosemXDLMSDescriptor></dev:CosemAccessDescriptor></dev:CosemAccess>"
    )


def group_read(group_id: str) -> bytes:
    """create DeviceAccess: the group's clock and energy register, waited for."""
    return envelope(
        "create",
        "DeviceAccess",
        payload="<mes:DeviceAccess><dev:DevicesReferenceList>"
        f'<dev:GroupReference GroupID="{group_id}"/></dev:DevicesReferenceList>'
        "<dev:CosemAccessList>"
        + get_access(8, "0000010000FF", 2)
        + get_access(3, "0100010800FF", 2)
        + "</dev:CosemAccessList></mes:DeviceAccess>",
    )


def post(port: int, body: bytes, timeout: float = 900) -> bytes:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("POST", "/cas", body, {"Content-Type": CONTENT_TYPE})
        response = connection.getresponse()
        answer = response.read()
        if response.status != 200:
            raise AssertionError(f"HTTP {response.status}: {answer[:800]!r}")
        return answer
    finally:
        connection.close()


def text_of(body: bytes, tag: str) -> list[str]:
    return [m.decode() for m in re.findall(rb"<mes:" + tag.encode() + rb"[^>]*>([^<]*)<", body)]


@dataclass
class Outcome:
    resource_id: str
    result: str
    done: int
    failed: int
    pending: int


def check_reply(port: int, reply: bytes) -> Outcome:
    """The reply's Result and resource, and its progress from the ResourceDirectory."""
    (result,) = text_of(reply, "Result")
    ids = [i for i in text_of(reply, "ID") if i.startswith("R-")]
    if not ids:
        raise AssertionError(f"no resource id in the reply: {reply[:800]!r}")
    lookup = envelope("get", "ResourceDirectory", request=f"<mes:ID>{ids[0]}</mes:ID>")
    directory = post(port, lookup)
    progress = re.search(rb"<dev:Progress>(.*?)</dev:Progress>", directory, re.S)
    if progress is None:
        raise AssertionError(f"no Progress in the directory: {directory[:800]!r}")
    counts = {
        name: int(re.search(rb"<dev:" + name + rb">(\d+)<", progress.group(1)).group(1))
        for name in (b"Done", b"Failed", b"Pending")
    }
    return Outcome(ids[0], result, counts[b"Done"], counts[b"Failed"], counts[b"Pending"])


# --- processes -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cpu_of(pid: int) -> float:
    """user + system CPU seconds of a process (all its threads), from /proc."""
    return sum(cpu_split(pid))


def cpu_split(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def memory_of(pid: int) -> tuple[int, int]:
    """(RSS now, RSS high-water mark) in bytes, from /proc/<pid>/status."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) * 1024
    return values["VmRSS"], values["VmHWM"]


class Node:
    """One ``cas serve`` child process."""

    def __init__(self, registry: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.role = args[args.index("--role") + 1] if "--role" in args else "all"
        command = [sys.executable, "-m", "cas", "serve", "--registry", str(registry)]
        command += ["--port", str(self.port), "--log-level", "warning", *args]
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (kept open while the node runs)
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            env={**os.environ, **(env or {})},
        )
        assert self.process.stdout is not None
        self.banner = self.process.stdout.readline()
        if not self.banner.startswith("CAS"):
            self.stop()
            raise RuntimeError(f"cas serve did not start: {self.banner!r} {self.errors()}")

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_http(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/health")
                if connection.getresponse().status == 200:
                    connection.close()
                    return
            time.sleep(0.1)
        raise RuntimeError(f"cas serve did not answer: {self.banner!r}")

    def errors(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-2000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


class Spy:
    """py-spy recording one node during the read (its own CPU is not the gateway's)."""

    def __init__(self, node: Node, path: Path) -> None:
        self.path = path
        self.process = subprocess.Popen(
            [
                *("py-spy", "record", "--pid", str(node.pid), "--rate", "200", "--nonblocking"),
                *("--format", "raw", "--output", str(path)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def spy_summary(path: Path, top: int = 25) -> list[str]:
    """Self and inclusive sample shares of the functions in a py-spy raw (collapsed) file."""
    own: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        samples = int(count)
        total += samples
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")]
        own[frames[-1]] = own.get(frames[-1], 0) + samples
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + samples
    lines = [f"{total} samples; self (inclusive) share:"]
    for frame, samples in sorted(own.items(), key=lambda item: -item[1])[:top]:
        lines.append(
            f"{100 * samples / total:5.1f}% ({100 * inclusive[frame] / total:5.1f}%) {frame}"
        )
    return lines


async def redis_cpu(url: str) -> float:
    import redis.asyncio as aioredis

    client = aioredis.from_url(url)
    try:
        info = await client.info("cpu")
    finally:
        await client.aclose()
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


async def delete_prefix(url: str, prefix: str) -> None:
    import redis.asyncio as aioredis

    client = aioredis.from_url(url)
    try:
        batch = []
        async for key in client.scan_iter(match=f"{prefix}*", count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                await client.unlink(*batch)
                batch = []
        if batch:
            await client.unlink(*batch)
    finally:
        await client.aclose()


# --- one run -------------------------------------------------------------------------------------


@dataclass
class Figures:
    case: str
    size: int
    workers: int  # worker processes (the SQLite node counts as one)
    concurrency: int  # the concurrency limit C of the bound
    latency: float
    wall: float = 0.0
    gateway_cpu: float = 0.0
    gateway_system_cpu: float = 0.0  # of gateway_cpu, in the kernel (loopback TCP, SQLite I/O)
    simulator_cpu: float = 0.0
    redis_cpu: float | None = None
    memory: dict[str, tuple[int, int]] = field(default_factory=dict)  # role -> (before, peak)
    outcome: Outcome | None = None
    simulator: dict = field(default_factory=dict)

    @property
    def bound(self) -> float:
        return self.size * ROUND_TRIPS * self.latency / self.concurrency

    @property
    def per_second(self) -> float:
        return self.size / self.wall

    @property
    def cpu_per_meter(self) -> float:
        return self.gateway_cpu / self.size

    @property
    def peak(self) -> int:
        return sum(peak for _, peak in self.memory.values())

    @property
    def growth(self) -> int:
        return sum(peak - before for before, peak in self.memory.values())


def group_file(folder: Path, meters, sizes: list[int]) -> Path:
    directory = folder / "groups"
    directory.mkdir()
    lines = ["groups:"]
    for size in sizes:
        if size < len(meters):
            members = ", ".join(m.system_title for m in meters[:size])
            lines += [f"  - id: FIRST_{size}", f"    members: [{members}]"]
    (directory / "bench.yaml").write_text("\n".join(lines) + "\n")
    return directory


def run_case(case: str, size: int, meters, fleet, groups: Path, args) -> Figures:
    workers = CASES[case]
    prefix = f"cas-bench:{uuid.uuid4().hex[:8]}:"
    folder = tempfile.TemporaryDirectory(prefix="cas-bench-")
    common = ["--groups", str(groups), "--worker-concurrency", str(args.concurrency)]
    if workers == 0:
        db = str(Path(folder.name) / "cas.db")
        nodes = [Node(fleet.registry, "--db", db, *common)]
    else:
        env = {"CAS_REDIS_PREFIX": prefix}
        nodes = [Node(fleet.registry, "--redis", args.url, "--role", "api", *common, env=env)]
        nodes += [
            Node(fleet.registry, "--redis", args.url, "--role", "worker", *common, env=env)
            for _ in range(workers)
        ]
    api = nodes[0]
    figures = Figures(case, size, max(1, workers), max(1, workers) * args.concurrency, args.latency)
    group_id = "DG_ALL_METERS" if size >= len(meters) else f"FIRST_{size}"
    spies: list[Spy] = []
    try:
        api.wait_http()
        time.sleep(1.0)  # the worker nodes' start (their first look at the store)
        before = {f"{node.role}{i}": memory_of(node.pid)[0] for i, node in enumerate(nodes)}
        fleet.reset_peaks()
        simulator_start = fleet.status(fresh=True)
        if args.py_spy and size == max(args.sizes):
            Path(args.py_spy).mkdir(parents=True, exist_ok=True)
            spies = [
                Spy(node, Path(args.py_spy) / f"{case}-{size}-{node.role}{i}.txt")
                for i, node in enumerate(nodes)
            ]
        body = group_read(group_id)
        cpu0 = sum(cpu_of(node.pid) for node in nodes)
        sys0 = sum(cpu_split(node.pid)[1] for node in nodes)
        sim0 = cpu_of(fleet.pid)
        redis0 = asyncio.run(redis_cpu(args.url)) if workers else None
        started = time.perf_counter()
        reply = post(api.port, body)
        figures.wall = time.perf_counter() - started
        figures.gateway_cpu = sum(cpu_of(node.pid) for node in nodes) - cpu0
        figures.gateway_system_cpu = sum(cpu_split(node.pid)[1] for node in nodes) - sys0
        figures.simulator_cpu = cpu_of(fleet.pid) - sim0
        if redis0 is not None:
            figures.redis_cpu = asyncio.run(redis_cpu(args.url)) - redis0
        for spy in spies:
            spy.stop()
        figures.memory = {
            f"{node.role}{i}": (before[f"{node.role}{i}"], memory_of(node.pid)[1])
            for i, node in enumerate(nodes)
        }
        status = fleet.status(fresh=True)
        figures.simulator = {
            name: status["stats"][name] - simulator_start["stats"].get(name, 0)
            for name in ("connections", "associations", "requests")
        }
        figures.simulator["peak_open"] = status["stats"]["peak_open_connections"]
        figures.outcome = check_reply(api.port, reply)
    finally:
        for spy in spies:
            if spy.process.poll() is None:
                spy.stop()
        for node in nodes:
            node.stop()
        for node in nodes:
            if node.process.returncode not in (0, -signal.SIGTERM) or args.logs:
                print(f"   {case}: node exit {node.process.returncode}, log: {node.errors()}")
        if workers:
            asyncio.run(delete_prefix(args.url, prefix))
        folder.cleanup()
    for spy in spies:
        if spy.path.exists():
            summary = spy_summary(spy.path)
            spy.path.with_suffix(".top").write_text("\n".join(summary) + "\n")
            print(f"   py-spy {spy.path.name}: {summary[0]} (top functions in {spy.path.stem}.top)")
    return figures


# --- report --------------------------------------------------------------------------------------


def mib(value: int) -> str:
    return f"{value / 2**20:6.1f} MiB"


def report(f: Figures) -> None:
    label = f"{f.case:6} {f.size:6}"
    o = f.outcome
    expected = 2 * f.size
    check = "ok" if o and o.done == expected and o.failed == 0 and o.pending == 0 else "WRONG"
    print(
        f"   {label} wall {f.wall:7.2f} s, {f.per_second:6.0f} meters/s; ideal bound"
        f" {f.bound:6.2f} s (= {f.size} x {ROUND_TRIPS} x {f.latency * 1e3:g} ms /"
        f" {f.concurrency}), wall/bound {f.wall / f.bound:5.2f}"
        f" (target <= 1.5: {'met' if f.wall / f.bound <= 1.5 else 'MISSED'})"
    )
    redis = "" if f.redis_cpu is None else f", Redis {1e3 * f.redis_cpu / f.size:.3f} ms"
    print(
        f"   {label} CPU per meter: gateway {1e3 * f.cpu_per_meter:6.3f} ms"
        f" (target <= 1 ms: {'met' if f.cpu_per_meter <= 1e-3 else 'MISSED'};"
        f" {f.gateway_cpu / f.wall:.2f} cores; of it in the kernel"
        f" {1e3 * f.gateway_system_cpu / f.size:.3f} ms), simulator"
        f" {1e3 * f.simulator_cpu / f.size:6.3f} ms{redis}"
    )
    nodes = ", ".join(
        f"{role} {mib(peak).strip()} (+{mib(peak - before).strip()})"
        for role, (before, peak) in f.memory.items()
    )
    print(f"   {label} memory high-water mark {mib(f.peak)}: {nodes} over the RSS before")
    sim = f.simulator
    print(
        f"   {label} reply {o.result if o else '?'}; results done {o.done if o else '?'},"
        f" failed {o.failed if o else '?'}, pending {o.pending if o else '?'} ({check});"
        f" simulator: {sim.get('connections')} connections, {sim.get('associations')}"
        f" associations, {sim.get('requests')} requests, peak {sim.get('peak_open')} open"
    )


def ratios(results: dict[tuple[str, int], Figures], sizes: list[int]) -> None:
    small, large = min(sizes), max(sizes)
    for case in CASES:
        a, b = results.get((case, small)), results.get((case, large))
        if a and b and a is not b:
            print(
                f"   {case:6} {large} / {small} meters: wall per meter"
                f" {(b.wall / b.size) / (a.wall / a.size):.2f}, gateway CPU per meter"
                f" {b.cpu_per_meter / a.cpu_per_meter:.2f}, memory high-water mark"
                f" {b.peak / a.peak:.2f} (growth {mib(b.growth).strip()} vs"
                f" {mib(a.growth).strip()})"
            )
    for size in sizes:
        one, two, lite = (results.get((c, size)) for c in ("redis1", "redis2", "sqlite"))
        if one and two:
            print(
                f"   {size:6} Redis 2 workers / 1 worker: meters/s"
                f" {two.per_second / one.per_second:.2f}, gateway CPU per meter"
                f" {two.cpu_per_meter / one.cpu_per_meter:.2f}"
            )
        if one and lite:
            print(
                f"   {size:6} Redis 1 worker / SQLite: meters/s"
                f" {one.per_second / lite.per_second:.2f}, gateway CPU per meter"
                f" {one.cpu_per_meter / lite.cpu_per_meter:.2f}"
            )


# --- main ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2500,5000,10000")
    parser.add_argument("--latency", type=float, default=0.03, help="s before each reply")
    parser.add_argument("--cases", default="sqlite,redis1,redis2")
    parser.add_argument("--security", default="none", choices=["none", "low", "hls-gmac"])
    parser.add_argument("--concurrency", type=int, default=64, help="--worker-concurrency")
    parser.add_argument(
        "--url", default=os.environ.get("CAS_BENCH_REDIS", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--py-spy", metavar="DIR", help="record the nodes of the largest group")
    parser.add_argument("--logs", action="store_true", help="print the nodes' logs")
    args = parser.parse_args(argv)
    args.sizes = sorted(int(size) for size in args.sizes.split(","))
    if args.py_spy and shutil.which("py-spy") is None:
        parser.error("--py-spy: py-spy is not installed (pip install py-spy)")
    logging.basicConfig(level=logging.ERROR)  # not the shared Redis's persistence warning
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the children, delete keys

    from cas.simulator.process import FleetProcess

    count = max(args.sizes)
    print(
        f"Group read: GET clock + energy register on each member, on-demand (the client waits);"
        f" {count} simulated meters ({args.security}, one child process, latency"
        f" {args.latency * 1e3:g} ms before each reply); worker concurrency {args.concurrency}"
        f" per worker node; cases {args.cases}; groups of {', '.join(map(str, args.sizes))}"
    )
    results: dict[tuple[str, int], Figures] = {}
    fleet = FleetProcess(meters=count, security=args.security, latency=args.latency)
    with fleet as meters, tempfile.TemporaryDirectory(prefix="cas-bench-groups-") as folder:
        groups = group_file(Path(folder), meters, args.sizes)
        for case in args.cases.split(","):
            for size in args.sizes:
                figures = run_case(case, size, meters, fleet, groups, args)
                results[(case, size)] = figures
                report(figures)
    print("Same-run ratios:")
    ratios(results, args.sizes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
