"""A fleet of simulated meters served from the caller's asyncio event loop.

By default every meter listens on a TCP port of its own (10,000 meters: 10,000 listening
sockets, no task nor thread per meter): the registry entries are exactly like real meters'
(server address 1, an endpoint each), a connection counts from the moment it is accepted,
and connections spread over distinct destinations. The ports come from the ephemeral range,
which every process of the machine shares (28,232 ports here, also used by outgoing
connections and their TIME_WAIT): two fleets of 10,000 fit at once, not three.

``shared_port=True`` puts every meter behind one port, each at its own address (the
wrapper server address, or the HDLC physical address: ``plan.shared_port_address``): one
socket whatever the count, for large fleets on a busy machine. A connection belongs to the
meter its first frame is addressed to and counts from that frame on (unknown address: the
connection is closed).

A meter costs little until it is used: its state, faults and secrets are made on first use,
and connections borrow a gurux server from the fleet's ``ServerPool``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import resource
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from cas.registry import Meter, MeterKeys, Secret, Transport
from cas.registry.yaml_file import meter_to_mapping
from cas.simulator import cosem_objects, credentials, frames, plan, server, sockets
from cas.simulator.counters import FleetStats, MeterStats, SegmentStats
from cas.simulator.faults import Faults
from cas.simulator.frames import DEFAULT_MAX_FRAME
from cas.simulator.server import PROFILES, SecurityMode, ServerPool, server_address
from cas.simulator.state import MeterState

if TYPE_CHECKING:
    from cas.simulator.connection import MeterConnection

log = logging.getLogger(__name__)

METER_TYPE = "CAS-SIM"

__all__ = ["FleetContext", "MeterFleet", "MeterStats", "SimulatedMeter"]


def _apply_client_fixes() -> None:
    """Install the client-side gurux fixes when that module exists (optional).

    Those fixes also silence gurux's prints; without them the server swallows gurux's
    stdout itself while it handles a request (server.MeterServer.handle).
    """
    try:
        import cas.dlms.gurux_fixes as client_fixes
    except ImportError:
        server.gurux_prints_silenced = False
        return
    apply = getattr(client_fixes, "apply", None)
    if callable(apply):
        apply()
        server.gurux_prints_silenced = True
    else:
        server.gurux_prints_silenced = False


def _counter_start() -> int:
    return max(1, int(time.time()) - 1_577_836_800)


class FleetContext:
    """What the meters of a fleet share: totals, the gurux server pool, the latency jitter's
    random numbers, and the open connections."""

    def __init__(
        self, transport: Transport, security: SecurityMode, max_pdu_size: int, seed: int = 1
    ) -> None:
        self.stats = FleetStats()
        self.servers = ServerPool(transport, security, max_pdu_size)
        self.random = random.Random(f"cas-simulator/jitter/{seed}")
        self.connections: set[MeterConnection] = set()


class SimulatedMeter:
    """One meter: identity, state, faults, counters, latency, and its listening socket.

    ``latency`` (seconds) is waited before each reply, plus a uniform draw in
    ``[-latency_jitter, +latency_jitter]`` and ``faults.delay``; set them per meter at will.
    """

    __slots__ = (
        "_connections",
        "_faults",
        "_objects",
        "_secrets",
        "_server",
        "_state",
        "_wrong_secrets",
        "captured_reply",
        "context",
        "host",
        "inactivity_timeout",
        "index",
        "latency",
        "latency_jitter",
        "listening",
        "logical_address",
        "max_frame",
        "max_pdu_size",
        "physical_address",
        "port",
        "response_timeout",
        "security",
        "seed",
        "segment",
        "shared",
        "stats",
        "system_title",
        "transport",
    )

    def __init__(
        self,
        index: int,
        seed: int,
        transport: Transport,
        security: SecurityMode,
        host: str,
        inactivity_timeout: float,
        response_timeout: float,
        max_frame: int,
        max_pdu_size: int,
        *,
        latency: float = 0.0,
        latency_jitter: float = 0.0,
        segment: SegmentStats | None = None,
        context: FleetContext | None = None,
        address: int | None = None,
    ) -> None:
        """``address``: the meter's own address behind a port shared with others (the
        wrapper server address, or the HDLC physical address); None: a port of its own."""
        self.index = index
        self.seed = seed
        self.system_title = credentials.system_title(seed, index)
        self.transport = Transport(transport)
        self.security = SecurityMode(security)
        self.host = host
        self.port = 0
        self.inactivity_timeout = inactivity_timeout
        self.response_timeout = response_timeout
        self.max_frame = max_frame
        self.max_pdu_size = max_pdu_size
        self.latency = latency
        self.latency_jitter = latency_jitter
        hdlc = self.transport is Transport.HDLC
        self.logical_address = credentials.LOGICAL_DEVICE
        self.physical_address = credentials.HDLC_PHYSICAL_ADDRESS if hdlc else None
        if address is not None:
            if hdlc:
                self.physical_address = address
            else:
                self.logical_address = address
        self.shared = address is not None  # behind a port the fleet shares out
        self.listening = False  # taking connections (behind a shared port)
        self.segment = segment if segment is not None else SegmentStats(plan.DEFAULT_SEGMENT, 1)
        self.context = context or FleetContext(self.transport, self.security, max_pdu_size, seed)
        self.stats = MeterStats()
        self.captured_reply: bytes | None = None  # last single-frame ciphered reply
        self._state: MeterState | None = None
        self._faults: Faults | None = None
        self._secrets: credentials.Secrets | None = None
        self._wrong_secrets: credentials.Secrets | None = None
        self._objects: list[Any] | None = None
        self._server: asyncio.AbstractServer | None = None
        self._connections: set[MeterConnection] | None = None

    def __repr__(self) -> str:
        return (
            f"SimulatedMeter({self.system_title}, {self.transport}, {self.security}, "
            f"{self.host}:{self.port})"
        )

    # -- made on first use -------------------------------------------------------------------

    @property
    def state(self) -> MeterState:
        state = self._state
        if state is None:
            # The frame counter starts at the seconds since 2020, so it keeps increasing
            # across restarts of the simulator (unless a meter sent more than one APDU per
            # second).
            state = self._state = MeterState(self.system_title, invocation_counter=_counter_start())
        return state

    @property
    def faults(self) -> Faults:
        faults = self._faults
        if faults is None:
            faults = self._faults = Faults()
        return faults

    @faults.setter
    def faults(self, value: Faults) -> None:
        self._faults = value

    @property
    def active_faults(self) -> Faults | None:
        """The faults object if one was ever asked for (None: no fault is set)."""
        return self._faults

    @property
    def secrets(self) -> credentials.Secrets:
        if self._secrets is None:
            self._secrets = credentials.secrets_for(self.seed, self.system_title)
        return self._secrets

    @property
    def objects(self) -> list[Any]:
        """gurux objects showing this meter (servers use pooled ones; kept for callers)."""
        if self._objects is None:
            self._objects = cosem_objects.build_objects(self.state)
        return self._objects

    # -- state tests look at or change -----------------------------------------------------

    @property
    def output_state(self) -> bool:
        return self.state.output_state

    @output_state.setter
    def output_state(self, connected: bool) -> None:
        """Set the disconnector directly (logged like a remote action)."""
        if connected:
            self.state.remote_reconnect()
        else:
            self.state.remote_disconnect()

    @property
    def clock_offset(self) -> timedelta:
        return self.state.clock_offset

    @clock_offset.setter
    def clock_offset(self, value: timedelta) -> None:
        self.state.clock_offset = value

    @property
    def invocation_counter(self) -> int:
        return self.state.invocation_counter

    @property
    def down(self) -> bool:
        """Does the meter leave every request unanswered (``faults.no_answer``)?"""
        return self._faults is not None and self._faults.no_answer

    def current_secrets(self) -> credentials.Secrets:
        """The secrets the meter uses now (other ones while ``faults.wrong_keys``)."""
        if self._faults is not None and self._faults.wrong_keys:
            if self._wrong_secrets is None:
                self._wrong_secrets = credentials.secrets_for(
                    self.seed, self.system_title, wrong=True
                )
            return self._wrong_secrets
        return self.secrets

    @property
    def registry_entry(self) -> Meter:
        """The registry entry the gateway needs to reach this meter."""
        profile = PROFILES[self.security]
        keys = MeterKeys()
        if self.security is SecurityMode.HLS_GMAC:
            keys = MeterKeys(
                block_cipher_key=Secret(self.secrets.block_cipher_key),
                authentication_key=Secret(self.secrets.authentication_key),
            )
        return Meter(
            system_title=self.system_title,
            host=self.host,
            port=self.port,
            device_id=f"SIM-{self.index + 1:04d}-{self.seed}",
            transport=self.transport,
            client_address=profile.client_address,
            server_address=self.logical_address,
            physical_address=self.physical_address,
            authentication=profile.authentication,
            security=profile.policy,
            password=Secret(self.secrets.password) if self.security is SecurityMode.LOW else None,
            keys=keys,
            inactivity_timeout=self.inactivity_timeout,
            response_timeout=self.response_timeout,
            network_segment=self.segment.name,
            meter_type=METER_TYPE,
            max_pdu_size=self.max_pdu_size,
        )

    @property
    def server_address(self) -> int:
        """The server address a gurux client passes (HDLC: logical and physical combined)."""
        return server_address(self.transport, self.logical_address, self.physical_address)

    # -- what connections report -----------------------------------------------------------

    def connection_opened(self, connection: MeterConnection) -> None:
        self.stats.connections += 1
        self.stats.open_connections += 1
        self.context.stats.opened()
        self.segment.opened()
        if self._connections is None:
            self._connections = set()
        self._connections.add(connection)

    def connection_uncounted(self) -> None:
        """The connection no longer counts as open (the peer left, or it was closed)."""
        self.stats.open_connections -= 1
        self.context.stats.closed()
        self.segment.closed()

    def connection_closed(self, connection: MeterConnection) -> None:
        if self._connections is not None:
            self._connections.discard(connection)

    def associated(self) -> None:
        self.stats.associations += 1
        self.context.stats.associations += 1

    def replied(self) -> None:
        self.stats.requests += 1
        self.context.stats.requests += 1

    def reply_wait(self) -> float:
        """Seconds to wait before the next reply: latency, jitter and the delay fault."""
        wait = self.latency
        if self.latency_jitter:
            wait += self.context.random.uniform(-self.latency_jitter, self.latency_jitter)
        if self._faults is not None:
            wait += self._faults.delay
        return wait if wait > 0 else 0.0

    # -- serving -----------------------------------------------------------------------------

    async def start(self, port: int, listen: tuple[Any, tuple] | None = None) -> None:
        """Listen on ``port`` (0: an ephemeral one). ``listen``: the resolved address of
        ``host`` (``sockets.listen_address``), when the caller resolved it once for all.
        Behind a shared port (``port`` is the fleet's): take connections again."""
        from cas.simulator.connection import MeterConnection

        if self.shared:  # the fleet listens for it
            self.listening = True
            return
        family, address = listen or sockets.listen_address(self.host)
        sock = sockets.listening_socket(family, address, port)
        try:
            self._server = await asyncio.get_running_loop().create_server(
                lambda: MeterConnection(self), sock=sock
            )
        except BaseException:
            sock.close()
            raise
        self.port = sock.getsockname()[1]

    async def stop(self) -> None:
        """Stop listening (behind a shared port: refuse connections) and close the open
        connections."""
        self.listening = False
        listener, self._server = self._server, None
        if listener is not None:
            listener.close()
        if self._connections:
            for connection in list(self._connections):
                connection.close()
            await asyncio.sleep(0)  # let their connection_lost callbacks run


class MeterFleet:
    """N simulated meters on ``host``, one TCP port each.

    ``base_port=0`` gives every meter an ephemeral port; otherwise meter i listens on
    ``base_port + i``. Use as ``async with MeterFleet(...) as fleet`` or start()/stop().

    Scale options (see ``cas.simulator.plan`` for the exact rules):

    - ``latency`` / ``latency_jitter``: seconds every meter waits before each reply (a WAN
      round trip), plus a uniform draw in ``[-jitter, +jitter]`` per reply (seeded);
    - ``failure_rate``: that share of the meters (a seeded subset, ``fleet.down``) never
      answer (their ``faults.no_answer`` is set: clear it to bring one back);
    - ``segments``: meters spread over network segments ``seg-0``..``seg-{N-1}``
      (``segment_layout`` ``round-robin`` or ``blocks``), written to the registry entries;
      ``fleet.segments`` counts the connections of each;
    - ``shared_port``: every meter behind one port (``base_port`` or an ephemeral one), each
      at its own address (see the module's docstring).

    ``fleet.stats`` holds the fleet's totals; ``reset_peaks()`` restarts every peak.
    """

    def __init__(
        self,
        count: int = 1,
        transport: str | Transport = "wrapper",
        security: str | SecurityMode = "none",
        host: str = "127.0.0.1",
        base_port: int = 0,
        seed: int = 1,
        *,
        inactivity_timeout: float = 120.0,
        response_timeout: float = 5.0,
        max_frame: int = DEFAULT_MAX_FRAME,
        max_pdu_size: int = 1024,
        latency: float = 0.0,
        latency_jitter: float = 0.0,
        failure_rate: float = 0.0,
        segments: int | None = None,
        segment_layout: str = "round-robin",
        shared_port: bool = False,
    ) -> None:
        if count < 1:
            raise ValueError("a fleet has at least one meter")
        last_port = base_port if shared_port else base_port + count - 1
        if not 0 <= base_port <= 65535 or (base_port and last_port > 65535):
            raise ValueError(f"ports {base_port}..{last_port} are not valid")
        plan.check_options(count, segments, segment_layout, latency, latency_jitter)
        self.transport = Transport(transport)
        if shared_port and count > plan.max_shared_port_meters(self.transport is Transport.HDLC):
            raise ValueError(
                f"at most {plan.max_shared_port_meters(self.transport is Transport.HDLC)} "
                f"{self.transport} meters can share a port"
            )
        self.shared_port = shared_port
        self.max_frame = max_frame
        self.inactivity_timeout = inactivity_timeout
        self.security = SecurityMode(security)
        self.host = host
        self.base_port = base_port
        self.seed = seed
        self.latency = latency
        self.latency_jitter = latency_jitter
        self.failure_rate = failure_rate
        self.segment_layout = segment_layout
        self.down = plan.down_indices(count, failure_rate, seed)
        self.context = FleetContext(self.transport, self.security, max_pdu_size, seed)
        self.segments = {name: SegmentStats(name) for name in plan.segment_names(segments)}
        by_number = list(self.segments.values())
        self.simulated: list[SimulatedMeter] = []
        for index in range(count):
            segment = by_number[plan.segment_index(index, count, segments, segment_layout)]
            segment.meters += 1
            self.simulated.append(
                SimulatedMeter(
                    index,
                    seed,
                    self.transport,
                    self.security,
                    host,
                    inactivity_timeout,
                    response_timeout,
                    max_frame,
                    max_pdu_size,
                    latency=latency,
                    latency_jitter=latency_jitter,
                    segment=segment,
                    context=self.context,
                    address=plan.shared_port_address(index) if shared_port else None,
                )
            )
        for index in self.down:
            self.simulated[index].faults.no_answer = True
        self._by_title = {m.system_title: m for m in self.simulated}
        self._by_address = {m.server_address: m for m in self.simulated} if shared_port else {}
        self._listener: asyncio.AbstractServer | None = None  # the shared port's
        self._started = False
        self.open_files_limit: tuple[int, int] | None = None  # (soft, hard) once started
        self.open_files_raised_from: int | None = None  # the soft limit before start raised it

    @property
    def stats(self) -> FleetStats:
        """Totals over every meter: connections, associations, requests, open connections
        and their peak."""
        return self.context.stats

    def reset_peaks(self) -> None:
        """Restart the peaks (and the segments' start logs) from what is open now."""
        self.context.stats.reset_peaks()
        for segment in self.segments.values():
            segment.reset_peaks()

    async def start(self) -> None:
        if self._started:
            return
        _apply_client_fixes()
        before = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        listeners = 1 if self.shared_port else len(self)
        self.open_files_limit = sockets.ensure_open_files(listeners + sockets.FD_HEADROOM)
        if self.open_files_limit[0] != before:
            self.open_files_raised_from = before
        try:
            listen = sockets.listen_address(self.host)
            if self.shared_port:
                await self._listen_shared(listen)
            else:
                for meter in self.simulated:
                    port = self.base_port + meter.index if self.base_port else 0
                    await meter.start(port, listen)
        except BaseException:
            await self.stop()
            raise
        self._started = True
        log.info(
            "serving %d %s meters (%s) on %s", len(self), self.transport, self.security, self.host
        )

    async def _listen_shared(self, listen: tuple[Any, tuple]) -> None:
        from cas.simulator.connection import MeterConnection

        family, address = listen
        sock = sockets.listening_socket(family, address, self.base_port)
        try:
            self._listener = await asyncio.get_running_loop().create_server(
                lambda: MeterConnection(None, self), sock=sock
            )
        except BaseException:
            sock.close()
            raise
        port = sock.getsockname()[1]
        for meter in self.simulated:
            meter.port = port
            meter.listening = True

    def route(self, frame: bytes) -> SimulatedMeter | None:
        """The meter (behind the shared port) the first frame of a connection is for."""
        try:
            if self.transport is Transport.HDLC:
                destination = frames.hdlc_destination(frame)
            else:
                destination = frames.wrapper_destination(frame)
        except IndexError:
            return None
        meter = self._by_address.get(destination)
        return meter if meter is not None and meter.listening else None

    async def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        for meter in self.simulated:
            meter.listening = False
            listener, meter._server = meter._server, None
            if listener is not None:
                listener.close()
        connections = list(self.context.connections)
        for connection in connections:
            connection.close()
        if connections:
            await asyncio.sleep(0)  # let their connection_lost callbacks run
        self._started = False

    async def __aenter__(self) -> MeterFleet:
        await self.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    @property
    def meters(self) -> list[Meter]:
        """The registry entries of the meters (ports known once started)."""
        return [m.registry_entry for m in self.simulated]

    def write_registry(self, path: str | os.PathLike[str]) -> None:
        """Write the registry file: JSON, which ``cas.registry.load_meters`` reads as the
        YAML it is (10,000 meters: 0.1 s, not the 7.7 s of ``save_meters``)."""
        from cas.simulator import registry_file

        registry_file.save(path, [meter_to_mapping(m) for m in self.meters])

    def __getitem__(self, key: int | str) -> SimulatedMeter:
        if isinstance(key, int):
            return self.simulated[key]
        try:
            return self._by_title[key.upper()]
        except KeyError:
            raise KeyError(f"no simulated meter with system title {key!r}") from None

    def __iter__(self) -> Iterator[SimulatedMeter]:
        return iter(self.simulated)

    def __len__(self) -> int:
        return len(self.simulated)

    def describe(self) -> str:
        ports = [m.port for m in self.simulated]
        where = (
            f"{self.host}:{ports[0]}" if len(ports) == 1 else f"{self.host}:{ports[0]}..{ports[-1]}"
        )
        if self.shared_port:
            where = f"{self.host}:{ports[0]} (one port, addresses by meter)"
        elif len(ports) > 1 and ports != list(range(ports[0], ports[0] + len(ports))):
            listed = ",".join(map(str, ports))
            where = (
                f"{self.host}:{listed}" if len(ports) <= 8 else f"{self.host} ({len(ports)} ports)"
            )
        extras = []
        if self.latency:
            extras.append(f"latency {self.latency:g} s (jitter {self.latency_jitter:g} s)")
        if self.down:
            extras.append(f"{len(self.down)} down")
        if len(self.segments) > 1:
            extras.append(f"{len(self.segments)} segments ({self.segment_layout})")
        if self.open_files_raised_from is not None and self.open_files_limit is not None:
            extras.append(
                f"open-files limit raised from {self.open_files_raised_from} "
                f"to {self.open_files_limit[0]}"
            )
        extra = "".join(f", {e}" for e in extras)
        return (
            f"serving {len(self)} simulated meter(s) on {where} "
            f"(transport {self.transport}, security {self.security}, seed {self.seed}{extra})"
        )
