"""Pooled servers and fast paths answer exactly as a fresh gurux server does.

A gurux client's frames go, side by side, to: a freshly built server with the fast paths,
a freshly built server without them (every request through gurux), and a pooled server
that served another meter before being rebound. Every reply must be the same bytes and
every gurux setting the same value afterwards, for each transport and security mode.
"""

from __future__ import annotations

import contextlib
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from gurux_dlms import GXByteBuffer, GXReplyData
from gurux_dlms.enums import Authentication
from gurux_dlms.objects import GXDLMSProfileGeneric, GXDLMSRegister

from cas.registry import Transport
from cas.simulator import fast_paths, plan
from cas.simulator.fleet import FleetContext, SimulatedMeter, _apply_client_fixes
from cas.simulator.gurux_server_fixes import FixedSecureServer
from cas.simulator.server import MeterServer, SecurityMode, ServerPool
from cas.simulator.state import MeterState

from .gurux_client import GuruxClient

FIXED_NOW = datetime(2024, 5, 6, 7, 8, 9, 100000, tzinfo=UTC)
COMBINATIONS = [
    (transport, security)
    for transport in ("wrapper", "hdlc")
    for security in ("none", "low", "hls-gmac")
]


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every meter's clock at one instant; a fixed HLS challenge (the rest is deterministic)."""
    _apply_client_fixes()
    monkeypatch.setattr(MeterState, "now", lambda self: FIXED_NOW + self.clock_offset)
    monkeypatch.setattr(FixedSecureServer, "generate_challenge", lambda self: b"S" * 16)
    monkeypatch.setattr(fast_paths, "_KNOWN_AARQS", {})


def meter(transport: str, security: str, index: int = 0, shared: bool = False) -> SimulatedMeter:
    sim = SimulatedMeter(
        *(index, 3, Transport(transport), SecurityMode(security), "127.0.0.1", 60, 5, 8192, 1024),
        address=plan.shared_port_address(index) if shared else None,
    )
    sim.state.invocation_counter = 1000
    return sim


def quiet(function: Any, *args: Any) -> Any:
    with contextlib.redirect_stdout(io.StringIO()):
        return function(*args)


class SideBySide:
    """Sends each client frame to every server; the replies and settings must agree."""

    def __init__(self, client: GuruxClient, servers: list[MeterServer]) -> None:
        self.client = client.client
        self.servers = servers
        self.exchanges = 0

    def answers(self, frame: bytes) -> bytes | None:
        outcomes = []
        for server in self.servers:
            try:
                outcomes.append(("reply", server.handle(frame)))
            except Exception as error:  # compared across servers
                outcomes.append(("raised", type(error).__name__))
        assert all(o == outcomes[0] for o in outcomes), (frame.hex(), outcomes)
        settings = [server._scalar_settings() for server in self.servers]
        assert all(s == settings[0] for s in settings), frame.hex()
        self.exchanges += 1
        kind, reply = outcomes[0]
        return reply if kind == "reply" else None

    def exchange(self, frame: bytes | bytearray) -> GXReplyData | None:
        """The client's view of the reply (None: every server raised, as gurux does on a
        few attributes nobody reads, e.g. the clock's daylight-saving dates)."""
        reply = GXReplyData()
        answer = self.answers(bytes(frame))
        if answer is None:
            return None
        quiet(self.client.getData, GXByteBuffer(answer), reply, None)
        while reply.isMoreData():
            frame = quiet(self.client.receiverReady, reply)
            answer = self.answers(bytes(frame))
            assert answer is not None
            quiet(self.client.getData, GXByteBuffer(answer), reply, None)
        return reply

    def all(self, frames: list) -> GXReplyData | None:
        reply = None
        for frame in frames:
            reply = self.exchange(frame)
        return reply

    def must(self, frames: list) -> GXReplyData:
        reply = self.all(frames)
        assert reply is not None
        return reply


def associate(side: SideBySide, hdlc: bool) -> None:
    c = side.client
    if hdlc:
        c.parseUAResponse(side.must([c.snrmRequest()]).data)
    quiet(c.parseAareResponse, side.must(quiet(c.aarqRequest)).data)
    if c.authentication > Authentication.LOW:
        reply = side.must(quiet(c.getApplicationAssociationRequest))
        quiet(c.parseApplicationAssociationResponse, reply.data)


def session(side: SideBySide, hdlc: bool, wrapper_frame: Any) -> None:
    """Associate, read every attribute of every object, odd requests, release."""
    c = side.client
    associate(side, hdlc)
    objects = side.servers[0].items
    for obj in objects:
        for attribute in range(1, obj.getAttributeCount() + 1):
            if isinstance(obj, GXDLMSProfileGeneric) and attribute == 2:
                side.all(quiet(c.readRowsByEntry, obj, 1, 3))
            else:
                side.all(quiet(c.read, obj, attribute))
    side.all(quiet(c.read, GXDLMSRegister("1.0.99.99.99.255"), 2))  # no such object
    if wrapper_frame is not None:  # hand-made plain requests (the fast path's edge cases)
        get = bytes.fromhex("C0010008" + "0000010000FF" + "0200")
        side.answers(wrapper_frame(get[:2] + b"\x00" + get[2:]))  # invoke-id 0
        side.answers(wrapper_frame(bytes.fromhex("C001C10003010099636363FF0200")))
        side.answers(wrapper_frame(bytes.fromhex("C001C1" + "0008" + "0000010000FF" + "0201")))
        side.answers(wrapper_frame(get, client=0x20))  # another client's address
    side.must(quiet(c.releaseRequest))
    if hdlc:
        side.must([c.disconnectRequest()])
    elif wrapper_frame is not None:
        side.answers(wrapper_frame(bytes.fromhex("C001C1" + "0008" + "0000010000FF" + "0200")))


def wrapper_builder(client: GuruxClient) -> Any:
    entry = client.meter

    def build(apdu: bytes, *, client: int | None = None) -> bytes:
        source = entry.client_address if client is None else client
        return (
            b"\x00\x01"
            + source.to_bytes(2, "big")
            + entry.server_address.to_bytes(2, "big")
            + len(apdu).to_bytes(2, "big")
            + apdu
        )

    return build


@pytest.mark.parametrize("shared", [False, True], ids=["own-port", "shared-port"])
@pytest.mark.parametrize(("transport", "security"), COMBINATIONS)
def test_pooled_and_fast_servers_answer_as_a_fresh_gurux_server(
    transport: str, security: str, shared: bool
) -> None:
    """Behind a shared port the pooled server moves from one meter's address to another's."""
    if True:
        fresh = MeterServer(meter(transport, security, shared=shared))
        slow = MeterServer(meter(transport, security, shared=shared))
        slow.fast = False
        pool = ServerPool(Transport(transport), SecurityMode(security), 1024)
        other = meter(transport, security, index=5, shared=shared)
        reused = pool.acquire(other)
        # The pooled server is left mid-association by another meter's client.
        other_side = SideBySide(GuruxClient(other.registry_entry), [reused])
        associate(other_side, transport == "hdlc")
        other_side.must(quiet(other_side.client.read, GXDLMSRegister("1.0.1.8.0.255"), 2))
        pool.release(reused)
        target = meter(transport, security, shared=shared)
        assert pool.acquire(target) is reused and reused.meter is target

        client = GuruxClient(target.registry_entry)
        side = SideBySide(client, [fresh, slow, reused])
        plain_wrapper = transport == "wrapper" and security != "hls-gmac"
        session(side, transport == "hdlc", wrapper_builder(client) if plain_wrapper else None)
        assert side.exchanges > 60
        assert slow.gurux_handled == side.exchanges
        if plain_wrapper:  # most requests never reached gurux
            assert fresh.gurux_handled < side.exchanges / 4
        else:
            assert fresh.gurux_handled == side.exchanges


@pytest.mark.parametrize("security", ["none", "low"])
def test_an_aarq_seen_before_is_answered_without_gurux_only_without_security(
    security: str,
) -> None:
    first, second = MeterServer(meter("wrapper", security)), MeterServer(meter("wrapper", security))
    c = GuruxClient(first.meter.registry_entry).client
    aarq = bytes(quiet(c.aarqRequest)[0])
    reply = first.handle(aarq)
    assert reply is not None and first.gurux_handled == 1
    assert second.handle(aarq) == reply
    assert second._scalar_settings() == first._scalar_settings()
    assert second.meter.stats.associations == 1
    assert second.gurux_handled == (0 if security == "none" else 1)
    assert second.handle(aarq) is not None  # again on the same connection: through gurux
    assert second.gurux_handled == (1 if security == "none" else 2)


def test_a_pool_keeps_a_bounded_number_of_idle_servers() -> None:
    pool = ServerPool(Transport.WRAPPER, SecurityMode.NONE, 1024, keep=2)
    meters = [meter("wrapper", "none", i) for i in range(4)]
    servers = [pool.acquire(m) for m in meters]
    assert pool.built == 4 and len({id(s) for s in servers}) == 4
    for server in servers:
        pool.release(server)
    assert pool.acquire(meters[0]) in servers and pool.acquire(meters[1]) in servers
    assert pool.built == 4
    pool.acquire(meters[2])
    assert pool.built == 5
    odd = meter("hdlc", "none")  # another kind: a server of its own, never pooled
    assert pool.acquire(odd).transport is Transport.HDLC and pool.built == 5


def test_meters_of_one_context_share_its_pool() -> None:
    context = FleetContext(Transport.WRAPPER, SecurityMode.NONE, 1024)
    first = SimulatedMeter(
        0, 1, Transport.WRAPPER, SecurityMode.NONE, "h", 9, 9, 8192, 1024, context=context
    )
    second = SimulatedMeter(
        1, 1, Transport.WRAPPER, SecurityMode.NONE, "h", 9, 9, 8192, 1024, context=context
    )
    server = context.servers.acquire(first)
    context.servers.release(server)
    assert context.servers.acquire(second) is server
    assert server.meter is second and server._ref.state is second.state
    with pytest.raises(ValueError):
        server.bind(meter("hdlc", "none"))
