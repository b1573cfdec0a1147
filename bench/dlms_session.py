"""Benchmark of the DLMS session engine (not a test): ratios against baselines of the same run.

The simulated meters run in a child process (``cas simulate``), so the CPU time measured
here (``time.process_time``) is the client's alone. Figures:

1. GET on a held-open association: the engine (``Session.request``, exact response APDU)
   versus a bare gurux client loop doing the same GETs (gurux's read / getData /
   updateValue), CPU and latency per GET, plain and HLS-GMAC. Target: engine <= 1.3x.
2. Sessions per second with 200 meters held open, plain and HLS-GMAC suite 0: associations
   opened concurrently through a SessionPool, then GET rounds over all 200 open ones.
3. HLS-GMAC ciphering through cas.dlms.gurux_fixes (cryptography) versus gurux's own
   pure-Python AES-GCM (the saved original functions): per APDU, and per association
   (bare gurux client, association + GET + release). Target: >= 4x faster.

Usage: python bench/dlms_session.py [--gets 2000] [--meters 200] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import time
from collections.abc import Iterator

from gurux_dlms import GXByteBuffer, GXDLMSClient, GXReplyData
from gurux_dlms.AesGcmParameter import AesGcmParameter
from gurux_dlms.enums import Authentication, InterfaceType, Security
from gurux_dlms.enums.Command import Command
from gurux_dlms.GXCiphering import GXCiphering
from gurux_dlms.GXDLMSChippering import GXDLMSChippering
from gurux_dlms.GXDLMSSettings import GXDLMSSettings
from gurux_dlms.objects import GXDLMSRegister
from gurux_dlms.secure import GXDLMSSecureClient

from cas.dlms import gurux_fixes
from cas.dlms.counters import MemoryInvocationCounterStore, MeterCounters
from cas.dlms.pool import SessionPool
from cas.dlms.session import Session
from cas.registry import Meter, Transport
from cas.simulator.process import FleetProcess

GET_ENERGY = bytes.fromhex("C001C100030100010800FF0200")
ENERGY = "1.0.1.8.0.255"


# --- a bare gurux client loop (the baseline) ------------------------------------------------


class BareGurux:
    """gurux's documented client loop over asyncio streams, nothing else."""

    def __init__(self, meter: Meter) -> None:
        hdlc = meter.transport is Transport.HDLC
        mechanism = {
            "none": Authentication.NONE,
            "low": Authentication.LOW,
            "hls-gmac": Authentication.HIGH_GMAC,
        }[str(meter.authentication)]
        server = (
            GXDLMSClient.getServerAddress(meter.server_address, meter.physical_address)
            if hdlc
            else meter.server_address
        )
        password = meter.password.reveal() if meter.password else None
        self.client = GXDLMSSecureClient(
            True,
            meter.client_address,
            server,
            mechanism,
            password,
            InterfaceType.HDLC if hdlc else InterfaceType.WRAPPER,
        )
        if mechanism == Authentication.HIGH_GMAC:
            cipher = self.client.ciphering
            cipher.security = Security.AUTHENTICATION_ENCRYPTION
            cipher.systemTitle = bytearray(b"CASBENCH")
            cipher.blockCipherKey = bytearray(meter.keys.block_cipher_key.reveal())
            cipher.authenticationKey = bytearray(meter.keys.authentication_key.reveal())
        self.meter = meter
        self.hdlc = hdlc
        self.register = GXDLMSRegister(ENERGY)

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.meter.host, self.meter.port)
        if self.hdlc:
            reply = await self.exchange(self.client.snrmRequest())
            self.client.parseUAResponse(reply.data)
        for frame in self.client.aarqRequest():
            reply = await self.exchange(frame)
        self.client.parseAareResponse(reply.data)
        if self.client.authentication > Authentication.LOW:
            for frame in self.client.getApplicationAssociationRequest():
                reply = await self.exchange(frame)
            self.client.parseApplicationAssociationResponse(reply.data)

    async def close(self) -> None:
        for frame in self.client.releaseRequest() or []:
            await self.exchange(frame)
        if self.hdlc:
            await self.exchange(self.client.disconnectRequest())
        self.writer.close()

    async def exchange(self, frame) -> GXReplyData:
        reply = GXReplyData()
        self.writer.write(bytes(frame))
        await self._receive(reply)
        while reply.isMoreData():
            self.writer.write(bytes(self.client.receiverReady(reply)))
            await self._receive(reply)
        return reply

    async def _receive(self, reply: GXReplyData) -> None:
        buffer = GXByteBuffer()
        while True:
            chunk = await self.reader.read(65536)
            if not chunk:
                raise ConnectionError("closed")
            buffer.set(chunk)
            if self.client.getData(buffer, reply, None):
                return

    async def get(self):
        reply = None
        for frame in self.client.read(self.register, 2):
            reply = await self.exchange(frame)
        return self.client.updateValue(self.register, 2, reply.value)


# --- measuring ----------------------------------------------------------------------------


@contextlib.contextmanager
def measured() -> Iterator[dict]:
    result: dict = {}
    wall, cpu = time.perf_counter(), time.process_time()
    yield result
    result["wall"] = time.perf_counter() - wall
    result["cpu"] = time.process_time() - cpu


def us(seconds: float) -> str:
    return f"{seconds * 1e6:8.1f} us"


async def per_get(meter: Meter, gets: int, rounds: int) -> dict:
    engine = Session(meter, MeterCounters(MemoryInvocationCounterStore(), meter.system_title))
    await engine.open()
    bare = BareGurux(meter)
    await bare.open()
    expected = await bare.get()
    response = await engine.request(GET_ENERGY)
    assert int.from_bytes(response[5:9], "big") in (expected, expected + 1000), response.hex()
    samples: dict[str, list[tuple[float, float]]] = {"engine": [], "gurux": []}
    for _ in range(rounds):  # interleaved, so both see the same machine load
        with measured() as m:
            for _ in range(gets):
                await engine.request(GET_ENERGY)
        samples["engine"].append((m["cpu"] / gets, m["wall"] / gets))
        with measured() as m:
            for _ in range(gets):
                await bare.get()
        samples["gurux"].append((m["cpu"] / gets, m["wall"] / gets))
    await engine.close()
    await bare.close()
    return {
        name: (
            statistics.median(cpu for cpu, _ in values),
            statistics.median(wall for _, wall in values),
        )
        for name, values in samples.items()
    }


async def many_meters(meters: list[Meter], rounds: int) -> dict:
    pool = SessionPool(MemoryInvocationCounterStore(), max_sessions=len(meters) + 10)
    try:
        with measured() as opened:
            await asyncio.gather(*(pool.request(m, GET_ENERGY) for m in meters))
        assert pool.open_sessions == len(meters)
        with measured() as held:
            for _ in range(rounds):
                await asyncio.gather(*(pool.request(m, GET_ENERGY) for m in meters))
        assert pool.stats.opened == len(meters)
    finally:
        with measured() as closed:
            await pool.close()
    return _rates(len(meters), rounds, opened, held, closed)


async def many_meters_bare(meters: list[Meter], rounds: int) -> dict:
    """The same with bare gurux clients (the baseline)."""
    clients: list[BareGurux] = []

    async def open_and_get(meter: Meter) -> None:
        client = BareGurux(meter)  # created per session, as the engine does
        clients.append(client)
        await client.open()
        await client.get()

    with measured() as opened:
        await asyncio.gather(*(open_and_get(m) for m in meters))
    with measured() as held:
        for _ in range(rounds):
            await asyncio.gather(*(c.get() for c in clients))
    with measured() as closed:
        await asyncio.gather(*(c.close() for c in clients))
    return _rates(len(meters), rounds, opened, held, closed)


def _rates(count: int, rounds: int, opened: dict, held: dict, closed: dict) -> dict:
    return {
        "sessions_per_s": count / opened["wall"],
        "cpu_per_session": opened["cpu"] / count,
        "requests_per_s": rounds * count / held["wall"],
        "cpu_per_request": held["cpu"] / (rounds * count),
        "release_per_s": count / closed["wall"],
    }


@contextlib.contextmanager
def gurux_own_aes() -> Iterator[None]:
    """gurux's original (pure-Python, unverified) AES-GCM, for the comparison only."""
    patched = {name: GXDLMSChippering.__dict__[name] for name in ("encryptAesGcm", "decryptAesGcm")}
    for name in patched:
        setattr(GXDLMSChippering, name, gurux_fixes.ORIGINALS[name])
    try:
        yield
    finally:
        for name, function in patched.items():
            setattr(GXDLMSChippering, name, function)


def cipher_round_trip(count: int) -> float:
    """Seconds per (encrypt a get-request, decrypt a 100-byte get-response) via GXCiphering."""
    ek, ak, title = bytes(range(16)), bytes(range(16, 32)), b"BENCH001"
    response = b"\xc4\x01\xc1\x00\x09\x5e" + bytes(94)
    p = AesGcmParameter(Command.GLO_GET_RESPONSE, bytearray(title), ek, ak)
    p.security, p.invocationCounter = Security.AUTHENTICATION_ENCRYPTION, 7
    ciphered = bytes(GXCiphering.encrypt(p, response))
    settings = GXDLMSSettings(False, None)
    settings.cipher = GXCiphering(bytearray(title))
    start = time.process_time()
    for i in range(count):
        p = AesGcmParameter(Command.GLO_GET_REQUEST, bytearray(title), ek, ak)
        p.security, p.invocationCounter = Security.AUTHENTICATION_ENCRYPTION, i
        GXCiphering.encrypt(p, GET_ENERGY)
        q = AesGcmParameter(0, bytearray(title), ek, ak)
        assert (
            bytes(GXCiphering.decrypt(settings, q, GXByteBuffer(bytearray(ciphered)))) == response
        )
    return (time.process_time() - start) / count


async def gurux_hls_sessions(meter: Meter, count: int) -> float:
    """Client CPU seconds per bare-gurux HLS-GMAC association + GET + release."""
    start = time.process_time()
    for _ in range(count):
        bare = BareGurux(meter)
        await bare.open()
        await bare.get()
        await bare.close()
    return (time.process_time() - start) / count


async def engine_hls_sessions(meter: Meter, count: int) -> float:
    store = MemoryInvocationCounterStore()
    counters = MeterCounters(store, meter.system_title)
    start = time.process_time()
    for _ in range(count):
        session = Session(meter, counters)
        await session.open()
        await session.request(GET_ENERGY)
        await session.close()
    return (time.process_time() - start) / count


# --- main ---------------------------------------------------------------------------------


async def run(args) -> None:
    gurux_fixes.apply()
    print(f"python {sys.version.split()[0]}, gurux-dlms {gurux_fixes.GURUX_VERSION}")
    print("\n1. GET (energy register) on a held-open association, client CPU and latency")
    for transport, security in (("wrapper", "none"), ("hdlc", "none"), ("wrapper", "hls-gmac")):
        with FleetProcess(meters=1, transport=transport, security=security) as meters:
            result = await per_get(meters[0], args.gets, args.rounds)
        (e_cpu, e_wall), (g_cpu, g_wall) = result["engine"], result["gurux"]
        print(
            f"   {transport:7} {security:8}  engine {us(e_cpu)} cpu {us(e_wall)} latency | "
            f"bare gurux {us(g_cpu)} cpu {us(g_wall)} latency | "
            f"ratio cpu {e_cpu / g_cpu:.2f}x latency {e_wall / g_wall:.2f}x (target <= 1.3x)"
        )

    print(f"\n2. {args.meters} meters held open (wrapper): engine SessionPool vs bare gurux")
    for security in ("none", "hls-gmac"):
        with FleetProcess(meters=args.meters, transport="wrapper", security=security) as meters:
            # the simulator makes each meter at its first connection: warm them all first,
            # so that neither side pays for it (the first side measured used to)
            await many_meters_bare(meters, 1)
            engine = await many_meters(meters, args.rounds)
            bare = await many_meters_bare(meters, args.rounds)
        for name, r in (("engine", engine), ("gurux", bare)):
            print(
                f"   {security:8} {name:6} open {r['sessions_per_s']:6.0f} sessions/s "
                f"({us(r['cpu_per_session'])} cpu each) | held open {r['requests_per_s']:6.0f} "
                f"GET/s ({us(r['cpu_per_request'])} cpu each) | release {r['release_per_s']:5.0f}/s"
            )
        per_session = engine["cpu_per_session"] / bare["cpu_per_session"]
        per_request = engine["cpu_per_request"] / bare["cpu_per_request"]
        print(
            f"   {security:8} ratio  cpu per session {per_session:.2f}x, per GET {per_request:.2f}x"
        )

    print("\n3. HLS-GMAC suite 0: AES-GCM through the fixes vs gurux's own pure-Python AES")
    fixed = cipher_round_trip(2000)
    with gurux_own_aes():
        original = cipher_round_trip(200)
    print(
        f"   per APDU pair (encrypt request + decrypt 100-byte response): fixes {us(fixed)}, "
        f"gurux own {us(original)}: {original / fixed:.1f}x faster (target >= 4x)"
    )
    with FleetProcess(meters=1, transport="wrapper", security="hls-gmac") as meters:
        meter = meters[0]
        await gurux_hls_sessions(meter, 5)  # warm up
        samples: dict[str, list[float]] = {"own": [], "fixed": [], "engine": []}
        per_round = max(2, args.sessions // args.rounds)
        for _ in range(args.rounds):  # interleaved rounds, medians
            with gurux_own_aes():
                samples["own"].append(await gurux_hls_sessions(meter, max(2, per_round // 5)))
            samples["fixed"].append(await gurux_hls_sessions(meter, per_round))
            samples["engine"].append(await engine_hls_sessions(meter, per_round))
    own, fixed_session, engine_session = (statistics.median(samples[k]) for k in samples)
    print(
        f"   per association + GET + release, client CPU: bare gurux with its own AES "
        f"{us(own)}, bare gurux with the fixes {us(fixed_session)} "
        f"({own / fixed_session:.1f}x faster), engine {us(engine_session)} "
        f"({own / engine_session:.1f}x faster; {engine_session / fixed_session:.2f}x of bare "
        "gurux with the fixes)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gets", type=int, default=1000, help="GETs per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--meters", type=int, default=200)
    parser.add_argument("--sessions", type=int, default=50)
    asyncio.run(run(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
