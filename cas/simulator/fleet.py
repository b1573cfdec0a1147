"""A fleet of simulated meters served from the caller's asyncio event loop.

By default every meter listens on a TCP port of its own (10,000 meters: 10,000 listening
sockets, no task nor thread per meter): the registry entries are exactly like real meters'
(server address 1, an endpoint each), a connection counts from the moment it is accepted,
and connections spread over distinct destinations. Free ports are picked first in
10000-32767, then in the ephemeral range (``sockets.listening_socket``): ports every process
of the machine shares, about four fleets of 10,000 at once.

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
import resource
from collections.abc import Iterator
from typing import Any

from cas.registry import Meter, Transport
from cas.registry.yaml_file import meter_to_mapping
from cas.simulator import frames, plan, server, sockets
from cas.simulator.counters import FleetStats, MeterStats, SegmentStats
from cas.simulator.frames import DEFAULT_MAX_FRAME
from cas.simulator.meter import METER_TYPE, FleetContext, SimulatedMeter
from cas.simulator.server import SecurityMode

log = logging.getLogger(__name__)

__all__ = ["METER_TYPE", "FleetContext", "FleetStats", "MeterFleet", "MeterStats", "SimulatedMeter"]


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


class MeterFleet:
    """N simulated meters on ``host``, one TCP port each.

    ``base_port=0`` gives every meter a free port (``sockets.listening_socket``);
    otherwise meter i listens on ``base_port + i``. Use as
    ``async with MeterFleet(...) as fleet`` or start()/stop().

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
