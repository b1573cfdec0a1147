"""Benchmark of scheduled access (not a test): 10,000 resources repeating every minute.

Each resource is a ``create DeviceAccess`` sent over SOAP (one device, a GET of the energy
register 1.0.1.8.0.255/2, Activates + RepeatingInterval PT1M). The meters are simulated in a
child process (``cas simulate``, ``--meters`` of them, 1,000 by default); the gateway runs as
``cas serve`` child processes, as an operator runs it:

- SQLite: one process, role all (the default);
- Redis, 1 worker: an api node (the SOAP requests) and one ``--role worker`` node;
- Redis, 2 workers: the api node and two worker nodes sharing the work.

Why 1,000 meters x 10 resources: a utility schedules several reads per meter, one
simulator process serves 1,000 meters comfortably, the gateway's session pool holds 1,000
associations (its default), and each meter is read every 6 s: association reuse and the
one-association-per-meter rule are exercised, as in production, instead of 10,000 meters
each touched once a minute.

Two arrival patterns: ``spread`` (the Activates of the resources spread evenly across the
minute, as a utility would set them) and ``burst`` (all 10,000 at the same second).
Iteration 0 is a warm-up (associations are opened); iterations 1..``--minutes`` are measured.
Printed per case, from the store's iterations and results once the gateway has stopped:

- activation delay: iteration ``started`` - ``due``, p50 / p99 / max (target p99 < 1 s while
  the machine is not saturated);
- due -> result: the result's capture time (when the meter answered) - ``due``, and due ->
  iteration closed (``finished``: the result is stored and the iteration closed), p50/p99;
- completed accesses per second over the measured minutes (the offered load is 10,000 a
  minute = 167/s: a gateway that keeps up shows that), and for a burst the drain rate (the
  10,000 results of one burst over the time from due to its last result: the capacity);
- CPU of the gateway processes per completed access (``/proc/<pid>/stat``), the simulator's,
  the Redis server's (``INFO cpu``: a shared server, so others' load counts too) and how
  busy the whole machine was (``/proc/stat``);
- ratios measured in the same run: Redis 2 workers / 1 worker (how it scales), Redis / SQLite.

``--dispatch-only`` measures the dispatcher alone, in this process: ``--resources`` due at
once, ``Scheduler.dispatch_due()`` timed with each store operation it calls (calls, wall time
per resource), on SQLite and Redis: where the dispatcher's time goes.

Each Redis case uses its own key prefix (``CAS_REDIS_PREFIX``), deleted afterwards.
Usage: python bench/scheduler.py [--resources 10000] [--meters 1000] [--minutes 2]
       [--cases sqlite,redis1,redis2] [--modes spread,burst] [--security none]
       [--meter-latency 0] [--concurrency 64] [--url redis://127.0.0.1:6379/0] [--logs]
       [--dispatch-only]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import logging
import math
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import mean

ENERGY_HEX = "0100010800FF"
CONTENT_TYPE = "application/soap+xml; charset=utf-8"
CASES = {"sqlite": 0, "redis1": 1, "redis2": 2}


# --- the SOAP request ----------------------------------------------------------------------------


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def create_request(device_id: str, activates: datetime) -> bytes:
    """create DeviceAccess: one device, the energy register, every minute from Activates."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"'
        ' xmlns:mes="http://iec.ch/TC57/2011/schema/message"'
        ' xmlns:dev="http://iec.ch/TC13/2014/schema/DeviceAccess"'
        ' xmlns:cos="http://www.dlms.com/COSEMpdu"><soap:Body><mes:RequestMessage>'
        "<mes:Header><mes:Verb>create</mes:Verb><mes:Noun>DeviceAccess</mes:Noun>"
        f"<mes:Timestamp>{stamp}</mes:Timestamp><mes:MessageID>{uuid.uuid4()}</mes:MessageID>"
        "</mes:Header><mes:Payload><mes:DeviceAccess><dev:DevicesReferenceList>"
        f'<dev:DeviceReference DeviceID="{device_id}"/></dev:DevicesReferenceList>'
        "<dev:CosemAccessList><dev:CosemAccess><dev:CosemAccessDescriptor>"
        "<dev:CosemXDLMSDescriptor><cos:get-request><cos:get-request-normal>"
        "<cos:invoke-id-and-priority>193</cos:invoke-id-and-priority>"
        "<cos:cosem-attribute-descriptor><cos:class-id>3</cos:class-id>"
        f"<cos:instance-id>{ENERGY_HEX}</cos:instance-id><cos:attribute-id>2</cos:attribute-id>"
        "</cos:cosem-attribute-descriptor></cos:get-request-normal></cos:get-request>"
        "</dev:CosemXDLMSDescriptor></dev:CosemAccessDescriptor></dev:CosemAccess>"
        f"</dev:CosemAccessList><dev:Activates>{iso(activates)}</dev:Activates>"
        "<dev:RepeatingInterval>PT1M</dev:RepeatingInterval>"
        "</mes:DeviceAccess></mes:Payload></mes:RequestMessage></soap:Body></soap:Envelope>"
    ).encode()


def created_id(status: int, body: bytes) -> str:
    marker = b"<mes:ID>"
    if status != 200 or b"<mes:Result>OK</mes:Result>" not in body or marker not in body:
        raise AssertionError(f"create refused {status}: {body[:800]!r}")
    start = body.index(marker) + len(marker)
    return body[start : body.index(b"<", start)].decode()


def create_all(port: int, requests: list[bytes], clients: int = 4) -> list[str]:
    """POST every request from ``clients`` threads on keep-alive connections; the ids."""
    ids: list[str | None] = [None] * len(requests)
    errors: list[BaseException] = []

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            for number in range(index, len(requests), clients):
                connection.request("POST", "/cas", requests[number], {"Content-Type": CONTENT_TYPE})
                response = connection.getresponse()
                ids[number] = created_id(response.status, response.read())
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(index,)) for index in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return [rid for rid in ids if rid is not None]


# --- processes -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cpu_of(pid: int) -> float:
    """user + system CPU seconds of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs so far (/proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    return total - idle, total


class Node:
    """One ``cas serve`` child process."""

    path: str | None = None  # --gateway-path: where the nodes import cas from

    def __init__(self, registry: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        env = dict(env or {})
        if self.path:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [self.path, os.getenv("PYTHONPATH")]))
        command = [sys.executable, "-m", "cas", "serve", "--registry", str(registry)]
        command += ["--port", str(self.port), "--log-level", "warning", *args]
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (kept open while the node runs)
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            env={**os.environ, **(env or {})},
            cwd=self.path,  # python -m looks in the working directory first
        )
        assert self.process.stdout is not None
        self.banner = self.process.stdout.readline()
        if not self.banner.startswith("CAS"):
            self.stop()
            raise RuntimeError(f"cas serve did not start: {self.banner!r} {self.errors()}")

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

    def cpu(self) -> float:
        return cpu_of(self.process.pid)

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


# --- one case ------------------------------------------------------------------------------------


@dataclass
class Figures:
    case: str
    mode: str
    resources: int
    created_per_s: float
    delays: list[float] = field(default_factory=list)  # started - due
    to_result: list[float] = field(default_factory=list)  # captured - due
    to_closed: list[float] = field(default_factory=list)  # finished - due
    completed: int = 0  # results captured in the measured window
    failed: int = 0
    window: float = 0.0
    drain: list[float] = field(default_factory=list)  # burst: s from due to its last result
    gateway_cpu: float = 0.0
    simulator_cpu: float = 0.0
    redis_cpu: float | None = None
    machine_busy: float = 0.0  # share of both cores busy over the window
    missing: int = 0  # iterations of the window that never started
    reasons: Counter = field(default_factory=Counter)  # failed results by their reason
    warnings: list[str] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.completed / self.window if self.window else 0.0

    @property
    def cpu_per_access(self) -> float:
        return self.gateway_cpu / self.completed if self.completed else float("nan")


def failure_reason(xml: bytes) -> str:
    """The code and reason of an errorResult (the text of its first two leaves)."""
    texts = re.findall(rb">([^<>]+)</", xml)
    return " ".join(text.decode(errors="replace")[:70] for text in texts[:2]) or "?"


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


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


def sleep_until(moment: datetime) -> None:
    pause = (moment - datetime.now(UTC)).total_seconds()
    if pause > 0:
        time.sleep(pause)


def run_case(case: str, mode: str, meters, registry: Path, simulator_pid: int, args) -> Figures:
    workers = CASES[case]
    prefix = f"cas-bench:{uuid.uuid4().hex[:8]}:"
    folder = tempfile.TemporaryDirectory(prefix="cas-bench-")
    try:
        figures, ids, window = measure(
            case, mode, meters, registry, simulator_pid, args, prefix, folder.name
        )
        location = args.url if workers else str(Path(folder.name) / "cas.db")
        asyncio.run(collect(figures, location, prefix, ids, *window, args))
    finally:
        if workers:
            asyncio.run(delete_prefix(args.url, prefix))
        folder.cleanup()
    return figures


def measure(case, mode, meters, registry, simulator_pid, args, prefix, folder):
    """Start the nodes, create the resources, measure the window, stop the nodes."""
    workers = CASES[case]
    tuning = ["--worker-concurrency", str(args.concurrency)]
    nodes: list[Node] = []
    try:
        if workers == 0:
            nodes.append(Node(registry, "--db", str(Path(folder) / "cas.db"), *tuning))
        else:
            env = {"CAS_REDIS_PREFIX": prefix}
            nodes.append(Node(registry, "--redis", args.url, "--role", "api", env=env))
            for _ in range(workers):
                worker = ["--redis", args.url, "--role", "worker", *tuning]
                nodes.append(Node(registry, *worker, env=env))
        api = nodes[0]
        api.wait_http()
        count = args.resources
        lead = 15 + count / 400  # creating them over SOAP takes about that long
        first = (datetime.now(UTC) + timedelta(seconds=lead)).replace(microsecond=0)
        step = 60.0 / count if mode == "spread" else 0.0
        requests = [
            create_request(
                meters[index % len(meters)].system_title,
                first + timedelta(seconds=index * step),
            )
            for index in range(count)
        ]
        started = time.perf_counter()
        ids = create_all(api.port, requests)
        created_per_s = count / (time.perf_counter() - started)
        figures = Figures(case, mode, count, created_per_s)
        if datetime.now(UTC) > first:
            figures.warnings.append("creating took longer than the lead: iteration 0 ran late")
        window_start = first + timedelta(seconds=60)
        window_end = first + timedelta(seconds=60 * (args.minutes + 1))
        sleep_until(window_start)
        cpu0 = sum(node.cpu() for node in nodes)
        sim0 = cpu_of(simulator_pid)
        busy0 = machine_busy()
        redis0 = asyncio.run(redis_cpu(args.url)) if workers else None
        sleep_until(window_end)
        figures.gateway_cpu = sum(node.cpu() for node in nodes) - cpu0
        figures.simulator_cpu = cpu_of(simulator_pid) - sim0
        busy1 = machine_busy()
        figures.machine_busy = (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1])
        if redis0 is not None:
            figures.redis_cpu = asyncio.run(redis_cpu(args.url)) - redis0
        figures.window = (window_end - window_start).total_seconds()
        time.sleep(args.grace)  # the last measured iterations close
    finally:
        for node in nodes:
            node.stop()
        for node in nodes:
            if node.process.returncode not in (0, -signal.SIGTERM) or args.logs:
                print(f"   {case}: node exit {node.process.returncode}, log: {node.errors()}")
    return figures, ids, (window_start, window_end)


async def collect(
    figures: Figures,
    location: str,
    prefix: str,
    ids: list[str],
    window_start: datetime,
    window_end: datetime,
    args,
) -> None:
    """Read the iterations and results of the measured minutes from the store."""
    if location.startswith("redis"):
        from cas.store.redis import RedisStore

        store = await RedisStore.open(location, prefix=prefix)
    else:
        from cas.store.sqlite import SqliteStore

        store = await SqliteStore.open(location)
    measured = range(1, args.minutes + 1)
    bursts: dict[int, list[float]] = defaultdict(list)  # number -> captured - due
    try:
        for start in range(0, len(ids), 50):
            chunk = ids[start : start + 50]
            iterations = await asyncio.gather(*(store.iterations(rid) for rid in chunk))
            results = await asyncio.gather(*(store.results(rid) for rid in chunk))
            for its, rows in zip(iterations, results, strict=True):
                by_number = {it.number: it for it in its}
                for number in measured:
                    it = by_number.get(number)
                    if it is None:
                        figures.missing += 1
                        continue
                    figures.delays.append((it.started - it.due).total_seconds())
                    if it.finished is not None:
                        figures.to_closed.append((it.finished - it.due).total_seconds())
                for row in rows:
                    if window_start <= row.captured < window_end:
                        figures.completed += 1
                        if not row.ok:
                            figures.failed += 1
                            figures.reasons[failure_reason(row.xml)] += 1
                    it = by_number.get(row.iteration)
                    if it is not None and row.iteration in measured:
                        wait = (row.captured - it.due).total_seconds()
                        figures.to_result.append(wait)
                        bursts[row.iteration].append(wait)
    finally:
        await store.close()
    if figures.mode == "burst":
        figures.drain = [max(waits) for _, waits in sorted(bursts.items())]


# --- the dispatcher alone --------------------------------------------------------------------


class TimedStore:
    """Wraps a store: calls and wall seconds per method (the dispatcher's view of it)."""

    def __init__(self, store) -> None:
        self._store = store
        self.calls: dict[str, int] = defaultdict(int)
        self.seconds: dict[str, float] = defaultdict(float)

    def __getattr__(self, name: str):
        target = getattr(self._store, name)
        if not asyncio.iscoroutinefunction(target):
            return target

        async def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return await target(*args, **kwargs)
            finally:
                self.calls[name] += 1
                self.seconds[name] += time.perf_counter() - start

        return timed


async def dispatch_only(backend: str, args) -> dict:
    from cas.access.scheduler import Scheduler
    from cas.store import Resource, ResourceKind, ResourceStatus

    prefix = f"cas-bench:{uuid.uuid4().hex[:8]}:"
    folder = tempfile.TemporaryDirectory(prefix="cas-bench-")
    if backend == "redis":
        from cas.store.redis import RedisStore

        store = await RedisStore.open(args.url, prefix=prefix)
    else:
        from cas.store.sqlite import SqliteStore

        store = await SqliteStore.open(Path(folder.name) / "cas.db")
    request = create_request("53494D0000000001", datetime.now(UTC))
    payload = request[request.index(b"<mes:DeviceAccess>") : request.index(b"</mes:Payload>")]
    now = datetime.now(UTC)
    try:
        for start in range(0, args.resources, 50):
            await asyncio.gather(
                *(
                    store.create_resource(
                        Resource(
                            id=f"R-{number:08d}",
                            kind=ResourceKind.GET,
                            status=ResourceStatus.ACCEPTED,
                            request=payload,
                            created=now,
                            devices=[f"53494D{number % args.meters:010X}"],
                            access_count=1,
                            activates=now,
                            repeating_interval=60.0,
                        ),
                        now,
                    )
                    for number in range(start, min(start + 50, args.resources))
                )
            )
        timed = TimedStore(store)
        scheduler = Scheduler(timed, owner="bench")
        cpu, wall = time.process_time(), time.perf_counter()
        handled = await scheduler.dispatch_due()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        assert handled == args.resources, handled
        return {
            "wall": wall,
            "cpu": cpu,
            "calls": dict(timed.calls),
            "seconds": dict(timed.seconds),
        }
    finally:
        await store.close()
        if backend == "redis":
            await delete_prefix(args.url, prefix)
        folder.cleanup()


def report_dispatch(backend: str, figures: dict, count: int) -> None:
    wall, cpu = figures["wall"], figures["cpu"]
    print(
        f"   {backend:6} {count} due at once: dispatched in {wall:6.2f} s"
        f" ({count / wall:7.0f} resources/s, {1e6 * wall / count:6.1f} us each,"
        f" this process's CPU {1e6 * cpu / count:6.1f} us each)"
    )
    for name, seconds in sorted(figures["seconds"].items(), key=lambda item: -item[1]):
        calls = figures["calls"][name]
        print(
            f"      {name:18} {calls:6} calls  {1e6 * seconds / count:7.1f} us per resource"
            f"  ({1e6 * seconds / calls:7.1f} us a call)"
        )


# --- report --------------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:8.1f} ms" if not math.isnan(seconds) else "       - ms"


def report(f: Figures) -> None:
    label = f"{f.case:7} {f.mode:6}"
    print(
        f"   {label} activation delay p50 {ms(percentile(f.delays, 0.5))}"
        f" p99 {ms(percentile(f.delays, 0.99))} max {ms(max(f.delays, default=math.nan))}"
        f"  ({len(f.delays)} iterations, {f.missing} not started;"
        f" target p99 < 1 s: {'met' if percentile(f.delays, 0.99) < 1 else 'MISSED'})"
    )
    print(
        f"   {label} due -> result p50 {ms(percentile(f.to_result, 0.5))}"
        f" p99 {ms(percentile(f.to_result, 0.99))};"
        f" due -> iteration closed p50 {ms(percentile(f.to_closed, 0.5))}"
        f" p99 {ms(percentile(f.to_closed, 0.99))}"
    )
    drain = ""
    if f.drain:
        rates = ", ".join(f"{f.resources / d:.0f}/s ({d:.1f} s)" for d in f.drain)
        drain = f"; burst drained at {rates}"
    print(
        f"   {label} completed {f.per_second:6.1f} accesses/s ({f.completed} in {f.window:.0f} s,"
        f" {f.failed} failed){drain}"
    )
    redis = "" if f.redis_cpu is None else f", Redis server {ms(f.redis_cpu / max(f.completed, 1))}"
    print(
        f"   {label} CPU per access: gateway processes {ms(f.cpu_per_access)}"
        f" (gateway {f.gateway_cpu / f.window:.2f} cores), simulator"
        f" {ms(f.simulator_cpu / max(f.completed, 1))}{redis}; machine busy"
        f" {100 * f.machine_busy:.0f}%; created over SOAP at {f.created_per_s:.0f}/s"
    )
    for reason, count in f.reasons.most_common(3):
        print(f"   {label} failed: {count} x {reason}")
    for warning in f.warnings:
        print(f"   {label} note: {warning}")


def ratios(results: dict[tuple[str, str], Figures]) -> None:
    for mode in ("spread", "burst"):
        one, two, lite = (results.get((c, mode)) for c in ("redis1", "redis2", "sqlite"))
        if one and two:
            line = (
                f"   {mode:6} Redis 2 workers / 1 worker: completed/s"
                f" {two.per_second / one.per_second:.2f}, p99 activation delay"
                f" {percentile(two.delays, 0.99) / percentile(one.delays, 0.99):.2f},"
                f" gateway CPU per access {two.cpu_per_access / one.cpu_per_access:.2f}"
            )
            if one.drain and two.drain:
                line += f", burst drain rate {mean(one.drain) / mean(two.drain):.2f}"
            print(line)
        if one and lite:
            line = (
                f"   {mode:6} Redis 1 worker / SQLite: completed/s"
                f" {one.per_second / lite.per_second:.2f}, gateway CPU per access"
                f" {one.cpu_per_access / lite.cpu_per_access:.2f}"
            )
            if one.drain and lite.drain:
                line += f", burst drain rate {mean(lite.drain) / mean(one.drain):.2f}"
            print(line)


# --- main ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=10000)
    parser.add_argument("--meters", type=int, default=1000)
    parser.add_argument("--minutes", type=int, default=2, help="measured minutes per case")
    parser.add_argument("--cases", default="sqlite,redis1,redis2")
    parser.add_argument("--modes", default="spread,burst")
    parser.add_argument("--security", default="none", choices=["none", "low", "hls-gmac"])
    parser.add_argument("--concurrency", type=int, default=64, help="--worker-concurrency")
    parser.add_argument(
        "--meter-latency", type=float, default=0.0, help="s each simulated meter takes to answer"
    )
    parser.add_argument("--grace", type=float, default=5.0, help="s after the window")
    parser.add_argument(
        "--url", default=os.environ.get("CAS_BENCH_REDIS", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--dispatch-only", action="store_true")
    parser.add_argument("--logs", action="store_true", help="print the nodes' logs")
    parser.add_argument(
        "--gateway-path",
        default=None,
        help="run the gateway nodes from this source tree (e.g. an older revision unpacked"
        " with git archive), the meters and this script from the installed one",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)  # not the shared Redis's persistence warning
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the children, delete keys
    Node.path = args.gateway_path
    if args.dispatch_only:
        print(f"The dispatcher alone ({args.resources} resources due at once, no worker):")
        for backend in ("sqlite", "redis"):
            report_dispatch(backend, asyncio.run(dispatch_only(backend, args)), args.resources)
        return 0

    from cas.simulator.process import FleetProcess

    print(
        f"{args.resources} resources, RepeatingInterval PT1M, GET 1.0.1.8.0.255/2 on one device"
        f" each; {args.meters} simulated meters ({args.security}, answering after"
        f" {args.meter_latency * 1e3:.0f} ms, one child process),"
        f" {args.resources // args.meters} resources per meter; {args.minutes} measured"
        f" minute(s) per case after a warm-up minute; worker concurrency {args.concurrency}"
    )
    results: dict[tuple[str, str], Figures] = {}
    fleet = FleetProcess(meters=args.meters, security=args.security, latency=args.meter_latency)
    with fleet as meters:
        for mode in args.modes.split(","):
            for case in args.cases.split(","):
                figures = run_case(case, mode, meters, fleet.registry, fleet.pid, args)
                results[(case, mode)] = figures
                report(figures)
    print("Same-run ratios:")
    ratios(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
