"""Benchmark of the SOAP on-demand path (not a test): SOAP over HTTP versus the engine, one run.

One simulated meter runs in a child process (``cas simulate``), the gateway (``cas serve``'s
app on uvicorn) in another child process, and this process is the client. Each figure is a
GET of the energy register 1.0.1.8.0.255 attribute 2 on one device, its association reused:

1. the engine called directly: ``SessionPool.request`` with the APDU the codec encoded, the
   answer decoded (``decode_apdu``), in this process;
2. the SOAP path end to end: ``POST /cas`` with a DeviceAccess over real HTTP (keep-alive,
   stdlib ``http.client``: a client that costs little CPU, see below).

Both run in interleaved rounds (so they see the same machine load), sequentially and with a
few concurrent clients, plain security and HLS-GMAC. Printed: p50/p99 latency, requests/s,
SOAP p50 minus engine p50 (target <= 1 ms) and SOAP/engine throughput (target >= 0.5).

Why the server is a separate process: on 2 cores, a server thread in this process would
share the GIL with the client and the engine loop, so the client's CPU would be charged to
the server and the server's to the engine; in a child process each side has its own
interpreter, and with the meter in a third process all three overlap as they would in
production. The client is stdlib ``http.client`` (one keep-alive connection per client
thread) because httpx's own CPU (~0.3 ms a request) would otherwise dominate the figure.

3. A breakdown of the SOAP path's own CPU per request, measured in this process against the
   same (real) meter: parse_request, CasService.handle (of which the engine: encode, session,
   decode), render_response, FastAPI/Starlette (the ASGI app called directly, minus those),
   and uvicorn + event loop (the server child's CPU per request over HTTP, from
   /proc/<pid>/stat, minus the ASGI app's). ``--profile`` adds a cProfile of the ASGI app.

Usage: python bench/ondemand.py [--requests 2000] [--rounds 5] [--clients 4]
       [--security none,hls-gmac] [--loop auto|asyncio|uvloop] [--http auto|h11|httptools]
       [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import http.client
import os
import pstats
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cas.cosem import decode_apdu, encode_apdu, get_request
from cas.registry import Meter
from generated import cosem as cos

ENERGY = "1.0.1.8.0.255"
ENERGY_HEX = bytes(int(part) for part in ENERGY.split(".")).hex().upper()
CONTENT_TYPE = "application/soap+xml; charset=utf-8"
ENDPOINT = "/cas"


# --- the SOAP request --------------------------------------------------------------------------


def soap_get(device_id: str, message_id: str) -> bytes:
    """create DeviceAccess: one device, a get-request-normal of the energy register."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"'
        ' xmlns:mes="http://iec.ch/TC57/2011/schema/message"'
        ' xmlns:dev="http://iec.ch/TC13/2014/schema/DeviceAccess"'
        ' xmlns:cos="http://www.dlms.com/COSEMpdu"><soap:Body><mes:RequestMessage>'
        "<mes:Header><mes:Verb>create</mes:Verb><mes:Noun>DeviceAccess</mes:Noun>"
        f"<mes:Timestamp>{stamp}</mes:Timestamp><mes:MessageID>{message_id}</mes:MessageID>"
        "</mes:Header><mes:Payload><mes:DeviceAccess><dev:DevicesReferenceList>"
        f'<dev:DeviceReference DeviceID="{device_id}"/></dev:DevicesReferenceList>'
        "<dev:CosemAccessList><dev:CosemAccess><dev:CosemAccessDescriptor>"
        "<dev:CosemXDLMSDescriptor><cos:get-request><cos:get-request-normal>"
        "<cos:invoke-id-and-priority>193</cos:invoke-id-and-priority>"
        "<cos:cosem-attribute-descriptor><cos:class-id>3</cos:class-id>"
        f"<cos:instance-id>{ENERGY_HEX}</cos:instance-id><cos:attribute-id>2</cos:attribute-id>"
        "</cos:cosem-attribute-descriptor></cos:get-request-normal></cos:get-request>"
        "</dev:CosemXDLMSDescriptor></dev:CosemAccessDescriptor></dev:CosemAccess>"
        "</dev:CosemAccessList></mes:DeviceAccess></mes:Payload>"
        "</mes:RequestMessage></soap:Body></soap:Envelope>"
    ).encode()


def bodies(device_id: str, count: int) -> list[bytes]:
    """``count`` requests with distinct MessageIDs, built before the clock starts."""
    return [soap_get(device_id, str(uuid.uuid4())) for _ in range(count)]


def check_soap_answer(status: int, body: bytes) -> None:
    """A real answer: HTTP 200, Result OK and the register's value in COSEM XML."""
    if status != 200 or b"<mes:Result>OK</mes:Result>" not in body:
        raise AssertionError(f"unexpected SOAP answer {status}: {body[:600]!r}")
    if b"<cos:double-long-unsigned>" not in body:
        raise AssertionError(f"no register value in the SOAP answer: {body[:600]!r}")


def energy_value(response: object) -> int:
    """The register value of a decoded get-response-normal (raises if it is anything else)."""
    assert isinstance(response, cos.GetResponse), response
    normal = response.choice
    assert isinstance(normal, cos.GetResponseNormal), normal
    data = normal.result.data_or_data_access_result
    value = data.choice
    assert isinstance(value, cos.DoubleLongUnsigned), value
    return int(value.value)


async def build_gateway(meters: list[Meter], db: str):
    """The gateway as ``cas serve`` builds it (state in an SQLite file, background loops
    started): the one place to follow changes of the Gateway's constructor."""
    from cas.gateway import Gateway
    from cas.registry import Registry
    from cas.store.sqlite import SqliteStore

    gateway = Gateway(Registry(meters), await SqliteStore.open(db))
    await gateway.start()
    return gateway


# --- the gateway in a child process ------------------------------------------------------------


def serve_child(registry: str, db: str, loop: str, http_impl: str) -> int:
    """The child: ``cas serve``'s app on uvicorn, on an ephemeral port printed to stdout."""
    import logging

    from cas.registry import load_meters

    logging.basicConfig(level="WARNING")
    if loop == "uvloop":
        import uvloop

        uvloop.install()
    return asyncio.run(_serve_child(load_meters(registry), db, http_impl))


async def _serve_child(meters: list[Meter], db: str, http_impl: str) -> int:
    import uvicorn

    from cas.api.app import create_app

    gateway = await build_gateway(meters, db)
    app = create_app(gateway.service, health=gateway.health, on_shutdown=gateway.close)
    # proto IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted sockets only for such a socket;
    # with proto 0, Nagle holds the response body behind its headers for a delayed ACK (40 ms)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)  # connections wait in the backlog until uvicorn accepts them
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, http=http_impl, lifespan="on"
    )
    server = uvicorn.Server(config)
    print(f"port {sock.getsockname()[1]}", flush=True)
    await server.serve(sockets=[sock])
    return 0


class ServerProcess:
    """The gateway child: start, its URL, its CPU seconds so far, stop."""

    def __init__(self, registry: Path, loop: str, http_impl: str) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="cas-bench-")
        db = str(Path(self._tmp.name) / "cas.db")
        command = [sys.executable, __file__, "--serve", str(registry), db, loop, http_impl]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("port "):
            self.stop()
            raise RuntimeError(f"the gateway did not start: {line!r}")
        self.port = int(line.split()[1])

    def cpu_seconds(self) -> float:
        """user + system CPU of the child (Linux /proc)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._tmp.cleanup()


# --- measuring ---------------------------------------------------------------------------------


@dataclass
class Run:
    """Latencies (s) of one measured batch and its wall time."""

    latencies: list[float]
    wall: float


@dataclass
class Figures:
    p50: float
    p99: float
    rps: float

    @classmethod
    def of(cls, runs: list[Run]) -> Figures:
        samples = sorted(latency for run in runs for latency in run.latencies)
        count = len(samples)
        return cls(
            p50=statistics.median(samples),
            p99=samples[min(count - 1, int(count * 0.99))],
            rps=count / sum(run.wall for run in runs),
        )


def soap_batch(port: int, batch: list[bytes], clients: int) -> Run:
    """POST ``batch`` from ``clients`` threads, each on its own keep-alive connection."""
    connections = [http.client.HTTPConnection("127.0.0.1", port) for _ in range(clients)]
    for connection in connections:  # connect and warm up outside the clock
        connection.request("POST", ENDPOINT, batch[0], {"Content-Type": CONTENT_TYPE})
        response = connection.getresponse()
        check_soap_answer(response.status, response.read())
    share = [batch[index::clients] for index in range(clients)]
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[BaseException] = []

    def client(index: int) -> None:
        connection, out = connections[index], latencies[index]
        headers = {"Content-Type": CONTENT_TYPE}
        try:
            status, answer = 0, b""
            for body in share[index]:
                start = time.perf_counter()
                connection.request("POST", ENDPOINT, body, headers)
                response = connection.getresponse()
                answer = response.read()
                out.append(time.perf_counter() - start)
                status = response.status
                if status != 200:
                    break
            check_soap_answer(status, answer)  # the last (or a failed) answer, in full
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=client, args=(index,)) for index in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    for connection in connections:
        connection.close()
    if errors:
        raise errors[0]
    return Run([value for values in latencies for value in values], wall)


async def engine_batch(pool, meter: Meter, request: object, count: int, clients: int) -> Run:
    """``count`` GETs through SessionPool.request from ``clients`` tasks: the request encoded
    by the codec, the answer decoded, as the access layer does for each SOAP request."""
    latencies: list[float] = []

    async def client(share: int) -> None:
        for _ in range(share):
            start = time.perf_counter()
            decode_apdu(await pool.request(meter, encode_apdu(request)))
            latencies.append(time.perf_counter() - start)

    shares = [count // clients + (1 if index < count % clients else 0) for index in range(clients)]
    start = time.perf_counter()
    await asyncio.gather(*(client(share) for share in shares))
    return Run(latencies, time.perf_counter() - start)


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:6.3f} ms"


def us(seconds: float) -> str:
    return f"{seconds * 1e6:7.1f} us"


# --- the comparison ----------------------------------------------------------------------------


async def compare(meter: Meter, server: ServerProcess, args, db: str) -> dict:
    from cas.dlms import SessionPool, SqliteInvocationCounterStore

    request = get_request(3, ENERGY, 2)
    apdu = encode_apdu(request)
    pool = SessionPool(SqliteInvocationCounterStore(db))
    value = energy_value(decode_apdu(await pool.request(meter, apdu)))
    assert value > 0, value
    loop = asyncio.get_running_loop()
    results: dict[str, dict[str, list[Run]]] = {
        "sequential": {"engine": [], "soap": []},
        "concurrent": {"engine": [], "soap": []},
    }
    server_cpu = 0.0
    soap_requests = 0
    try:
        for _ in range(args.rounds):
            for mode, clients in (("sequential", 1), ("concurrent", args.clients)):
                batch = bodies(meter.system_title, args.requests)
                results[mode]["engine"].append(
                    await engine_batch(pool, meter, request, args.requests, clients)
                )
                before = server.cpu_seconds()
                run = await loop.run_in_executor(None, soap_batch, server.port, batch, clients)
                server_cpu += server.cpu_seconds() - before
                soap_requests += len(run.latencies)
                results[mode]["soap"].append(run)
        # the last answer still carries the register's value
        value = energy_value(decode_apdu(await pool.request(meter, apdu)))
        assert value > 0, value
    finally:
        await pool.close()
    figures = {
        mode: {side: Figures.of(runs) for side, runs in sides.items()}
        for mode, sides in results.items()
    }
    figures["server_cpu_per_request"] = server_cpu / soap_requests
    return figures


@contextlib.contextmanager
def stage_timers(service) -> Iterator[dict[str, float]]:
    """CPU seconds spent in parse_request, CasService.handle and render_response while the
    ASGI app runs: the endpoint module's functions and the service's method, wrapped."""
    try:
        from cas.api import soap as edge
    except ImportError:  # a gateway from before the endpoint had its own module (comparisons)
        from cas.api import app as edge

    totals = dict.fromkeys(("parse", "service", "render"), 0.0)
    cpu = time.process_time

    def timed(stage: str, function):
        def wrapper(*args, **kwargs):
            start = cpu()
            try:
                return function(*args, **kwargs)
            finally:
                totals[stage] += cpu() - start

        return wrapper

    def timed_async(stage: str, function):
        async def wrapper(*args, **kwargs):
            start = cpu()
            try:
                return await function(*args, **kwargs)
            finally:
                totals[stage] += cpu() - start

        return wrapper

    saved = edge.parse_request, edge.render_response
    edge.parse_request = timed("parse", edge.parse_request)
    edge.render_response = timed("render", edge.render_response)
    service.handle = timed_async("service", service.handle)
    try:
        yield totals
    finally:
        edge.parse_request, edge.render_response = saved
        del service.handle


async def breakdown(meter: Meter, args, db: str) -> dict[str, float]:
    """CPU seconds per request of each stage, in this process, against the real meter.

    The ASGI app is called directly (no socket, no uvicorn) with the stages timed inside
    the same calls, ``--rounds`` rounds of ``--requests``; the round with the least total
    CPU counts (the least disturbed by the rest of the machine). The engine's share is a
    separate loop of encode + SessionPool.request + decode."""
    from cas.api.app import create_app

    gateway = await build_gateway([meter], db)
    app = create_app(gateway.service)
    count = args.requests
    cpu = time.process_time
    best: dict[str, float] = {}
    try:
        for body in bodies(meter.system_title, 50):  # warm up: association, caches, plans
            await asgi_post(app, body)
        for _ in range(args.rounds):
            batch = bodies(meter.system_title, count)
            with stage_timers(gateway.service) as totals:
                start = cpu()
                for body in batch:
                    await asgi_post(app, body)
                total = cpu() - start
            if total / count < best.get("asgi", float("inf")):
                best.update({stage: seconds / count for stage, seconds in totals.items()})
                best["asgi"] = total / count
            start = cpu()
            for _ in range(count):
                apdu = encode_apdu(get_request(3, ENERGY, 2))
                decode_apdu(await gateway.pool.request(meter, apdu))
            best["engine"] = min(best.get("engine", float("inf")), (cpu() - start) / count)
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for body in bodies(meter.system_title, count):
                await asgi_post(app, body)
            profiler.disable()
            print(f"\n   cProfile of {count} requests through the ASGI app (tottime):")
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    finally:
        await gateway.close()
    return best


async def asgi_post(app, body: bytes) -> bytes:
    """POST /cas through the ASGI app directly (no socket, no uvicorn)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": ENDPOINT,
        "raw_path": ENDPOINT.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", CONTENT_TYPE.encode()),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8080),
        "state": {},
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict] = []

    async def receive() -> dict:
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = sent[0]["status"]
    answer = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    check_soap_answer(status, answer)
    return answer


# --- main --------------------------------------------------------------------------------------


def report(security: str, figures: dict, stages: dict[str, float]) -> None:
    for mode in ("sequential", "concurrent"):
        engine, soap = figures[mode]["engine"], figures[mode]["soap"]
        print(
            f"   {security:8} {mode:10}  engine p50 {ms(engine.p50)} p99 {ms(engine.p99)}"
            f" {engine.rps:6.0f} req/s | SOAP p50 {ms(soap.p50)} p99 {ms(soap.p99)}"
            f" {soap.rps:6.0f} req/s"
        )
        added = soap.p50 - engine.p50
        share = soap.rps / engine.rps
        print(
            f"   {security:8} {mode:10}  SOAP p50 - engine p50 = {ms(added)}"
            f" (target <= 1 ms: {'met' if added <= 1e-3 else 'MISSED'}); SOAP/engine"
            f" throughput = {share:.2f} (target >= 0.5: {'met' if share >= 0.5 else 'MISSED'})"
        )
    frameworks = stages["asgi"] - stages["parse"] - stages["service"] - stages["render"]
    server = figures["server_cpu_per_request"]
    access = stages["service"] - stages["engine"]
    own = server - stages["engine"]
    print(f"   {security:8} SOAP path CPU per request (in this process, best round):")
    for name, seconds, note in (
        ("parse_request", stages["parse"], ""),
        (
            "CasService.handle",
            stages["service"],
            f"engine (encode+session+decode) {us(stages['engine'])}, access layer {us(access)}",
        ),
        ("render_response", stages["render"], ""),
        ("FastAPI/Starlette", frameworks, "the ASGI app minus the three above, same calls"),
        (
            "uvicorn + event loop",
            server - stages["asgi"],
            f"server process CPU over HTTP {us(server)} minus the ASGI app {us(stages['asgi'])}",
        ),
    ):
        print(f"      {name:21} {us(seconds)}  {note}")
    print(f"      {'SOAP path own CPU':21} {us(own)}  server process CPU minus the engine's")


async def run(args) -> None:
    import uvicorn

    from cas.simulator.process import FleetProcess

    loop_name = args.loop
    http_name = args.http
    running = type(asyncio.get_running_loop()).__module__.split(".")[0]
    print(
        f"python {sys.version.split()[0]}, uvicorn {uvicorn.__version__} (loop {loop_name}:"
        f" {running}, http {http_name}: {_http_impl(http_name)}), {args.requests} requests"
        f" x {args.rounds} rounds per figure, {args.clients} concurrent clients"
    )
    print("GET 1.0.1.8.0.255/2 on one device, association reused; engine vs SOAP end to end")
    for security in args.security.split(","):
        fleet = FleetProcess(meters=1, transport="wrapper", security=security)
        with fleet as meters, tempfile.TemporaryDirectory(prefix="cas-bench-") as tmp:
            server = ServerProcess(fleet.registry, loop_name, http_name)
            try:
                figures = await compare(meters[0], server, args, str(Path(tmp) / "engine.db"))
            finally:
                server.stop()
            stages = await breakdown(meters[0], args, str(Path(tmp) / "stages.db"))
        report(security, figures, stages)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--serve"]:
        return serve_child(*argv[1:5])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients")
    parser.add_argument("--security", default="none,hls-gmac")
    parser.add_argument("--loop", default="auto", choices=["auto", "asyncio", "uvloop"])
    parser.add_argument("--http", default="auto", choices=["auto", "h11", "httptools"])
    parser.add_argument("--profile", action="store_true", help="cProfile the ASGI app")
    args = parser.parse_args(argv)
    with asyncio.Runner(loop_factory=loop_factory(args.loop)) as runner:
        runner.run(run(args))
    return 0


def _http_impl(name: str) -> str:
    if name != "auto":
        return name
    try:
        import httptools  # noqa: F401
    except ImportError:
        return "h11"
    return "httptools"


def loop_factory(name: str):
    """The engine runs on the event loop the server gets (uvicorn's choice for ``name``)."""
    if name == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        if name == "uvloop":
            raise
        return None
    return uvloop.new_event_loop


if __name__ == "__main__":
    sys.exit(main())
