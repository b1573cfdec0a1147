"""A fleet of simulated meters served from the caller's asyncio event loop."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cas.registry import Meter, MeterKeys, Secret, Transport, save_meters
from cas.simulator import cosem_objects, credentials, server
from cas.simulator.faults import Faults
from cas.simulator.frames import DEFAULT_MAX_FRAME
from cas.simulator.server import PROFILES, SecurityMode, server_address
from cas.simulator.state import MeterState

log = logging.getLogger(__name__)

METER_TYPE = "CAS-SIM"


@dataclass
class MeterStats:
    """Counters of one meter, as tests see them."""

    connections: int = 0  # TCP connections accepted
    associations: int = 0  # associations established (AARQ accepted; HLS: pass 4 done)
    requests: int = 0  # request frames answered (any kind, including SNRM/AARQ/RR)
    open_connections: int = 0  # connections open now


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


class SimulatedMeter:
    """One meter: identity, state, faults, counters, and its listening socket."""

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
    ) -> None:
        self.index = index
        self.seed = seed
        self.system_title = credentials.system_title(seed, index)
        self.transport = transport
        self.security = security
        self.host = host
        self.port = 0
        self.inactivity_timeout = inactivity_timeout
        self.response_timeout = response_timeout
        self.max_frame = max_frame
        self.max_pdu_size = max_pdu_size
        # The frame counter starts at the seconds since 2020, so it keeps increasing across
        # restarts of the simulator (unless a meter sent more than one APDU per second).
        self.state = MeterState(self.system_title, invocation_counter=_counter_start())
        self.faults = Faults()
        self.stats = MeterStats()
        self.secrets = credentials.secrets_for(seed, self.system_title)
        self._wrong_secrets = credentials.secrets_for(seed, self.system_title, wrong=True)
        self.objects = cosem_objects.build_objects(self.state)
        self.captured_reply: bytes | None = None  # last single-frame ciphered reply
        self._server: asyncio.AbstractServer | None = None
        self._connections: set[asyncio.Task[Any]] = set()

    def __repr__(self) -> str:
        return (
            f"SimulatedMeter({self.system_title}, {self.transport}, {self.security}, "
            f"{self.host}:{self.port})"
        )

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

    def current_secrets(self) -> credentials.Secrets:
        """The secrets the meter uses now (other ones while ``faults.wrong_keys``)."""
        return self._wrong_secrets if self.faults.wrong_keys else self.secrets

    @property
    def registry_entry(self) -> Meter:
        """The registry entry the gateway needs to reach this meter."""
        profile = PROFILES[self.security]
        hdlc = self.transport is Transport.HDLC
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
            server_address=credentials.LOGICAL_DEVICE,
            physical_address=credentials.HDLC_PHYSICAL_ADDRESS if hdlc else None,
            authentication=profile.authentication,
            security=profile.policy,
            password=Secret(self.secrets.password) if self.security is SecurityMode.LOW else None,
            keys=keys,
            inactivity_timeout=self.inactivity_timeout,
            response_timeout=self.response_timeout,
            meter_type=METER_TYPE,
            max_pdu_size=self.max_pdu_size,
        )

    @property
    def server_address(self) -> int:
        """The server address a gurux client passes (HDLC: logical and physical combined)."""
        return server_address(self.transport)

    # -- serving -----------------------------------------------------------------------------

    async def start(self, port: int) -> None:
        from cas.simulator.connection import MeterConnection

        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            if task is not None:
                self._connections.add(task)
            try:
                await MeterConnection(self, reader, writer).run()
            except asyncio.CancelledError:
                pass  # the fleet is stopping: end quietly (asyncio would log a cancelled task)
            finally:
                self._connections.discard(task)

        self._server = await asyncio.start_server(accept, self.host, port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and close the open connections."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        tasks = [t for t in self._connections if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


class MeterFleet:
    """N simulated meters on ``host``, one TCP port each.

    ``base_port=0`` gives every meter an ephemeral port; otherwise meter i listens on
    ``base_port + i``. Use as ``async with MeterFleet(...) as fleet`` or start()/stop().
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
    ) -> None:
        if count < 1:
            raise ValueError("a fleet has at least one meter")
        if not 0 <= base_port <= 65535 or (base_port and base_port + count - 1 > 65535):
            raise ValueError(f"ports {base_port}..{base_port + count - 1} are not valid")
        self.transport = Transport(transport)
        self.security = SecurityMode(security)
        self.host = host
        self.base_port = base_port
        self.seed = seed
        self.simulated = [
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
            )
            for index in range(count)
        ]
        self._by_title = {m.system_title: m for m in self.simulated}
        self._started = False

    async def start(self) -> None:
        if self._started:
            return
        _apply_client_fixes()
        try:
            for meter in self.simulated:
                await meter.start(self.base_port + meter.index if self.base_port else 0)
        except BaseException:
            await self.stop()
            raise
        self._started = True
        log.info(
            "serving %d %s meters (%s) on %s", len(self), self.transport, self.security, self.host
        )

    async def stop(self) -> None:
        for meter in self.simulated:
            await meter.stop()
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
        save_meters(path, self.meters)

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
        if len(ports) > 1 and ports != list(range(ports[0], ports[0] + len(ports))):
            listed = ",".join(map(str, ports))
            where = (
                f"{self.host}:{listed}" if len(ports) <= 8 else f"{self.host} ({len(ports)} ports)"
            )
        return (
            f"serving {len(self)} simulated meter(s) on {where} "
            f"(transport {self.transport}, security {self.security}, seed {self.seed})"
        )
