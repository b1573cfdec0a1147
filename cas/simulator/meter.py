"""One simulated meter: identity, state, faults, counters, latency, and how it listens.

What the meters of a fleet share (totals, the gurux server pool, the jitter's random
numbers, the open connections) is their ``FleetContext``.
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from cas.registry import Meter, MeterKeys, Secret, Transport
from cas.simulator import cosem_objects, credentials, plan, sockets
from cas.simulator.counters import FleetStats, MeterStats, SegmentStats
from cas.simulator.faults import Faults
from cas.simulator.server import PROFILES, SecurityMode, ServerPool, server_address
from cas.simulator.state import MeterState

if TYPE_CHECKING:
    from cas.simulator.connection import MeterConnection

METER_TYPE = "CAS-SIM"


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
