"""The gurux server that answers one connection for one simulated meter, and their pool."""

from __future__ import annotations

import contextlib
import enum
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gurux_dlms.enums import (
    AccessMode,
    Authentication,
    InterfaceType,
    MethodAccessMode,
)
from gurux_dlms.enums import Security as GuruxSecurity
from gurux_dlms.enums.SourceDiagnostic import SourceDiagnostic
from gurux_dlms.GXDLMSClient import GXDLMSClient
from gurux_dlms.GXServerReply import GXServerReply

from cas.registry import Authentication as RegistryAuthentication
from cas.registry import SecurityPolicy, Transport
from cas.simulator import cosem_objects
from cas.simulator.credentials import HDLC_PHYSICAL_ADDRESS, LOGICAL_DEVICE
from cas.simulator.fast_paths import PlainWrapperShortcuts
from cas.simulator.gurux_server_fixes import FixedSecureServer

if TYPE_CHECKING:
    from cas.simulator.meter import SimulatedMeter


class SecurityMode(enum.StrEnum):
    NONE = "none"
    LOW = "low"
    HLS_GMAC = "hls-gmac"


@dataclass(frozen=True, slots=True)
class SecurityProfile:
    """How a client must associate with a fleet of this security mode."""

    client_address: int
    mechanism: int  # gurux Authentication
    authentication: RegistryAuthentication
    policy: SecurityPolicy


PROFILES: dict[SecurityMode, SecurityProfile] = {
    SecurityMode.NONE: SecurityProfile(
        16, Authentication.NONE, RegistryAuthentication.NONE, SecurityPolicy.NONE
    ),
    SecurityMode.LOW: SecurityProfile(
        17, Authentication.LOW, RegistryAuthentication.LOW, SecurityPolicy.NONE
    ),
    SecurityMode.HLS_GMAC: SecurityProfile(
        1,
        Authentication.HIGH_GMAC,
        RegistryAuthentication.HLS_GMAC,
        SecurityPolicy.AUTHENTICATED_ENCRYPTED,
    ),
}

# True once cas.dlms.gurux_fixes is applied (it silences gurux's prints process-wide).
# Otherwise gurux's stdout is swallowed while a request is handled: the simulator must not
# write to stdout (the swap is synchronous, nothing else of this thread runs meanwhile).
gurux_prints_silenced = False


INTERFACES = {Transport.WRAPPER: InterfaceType.WRAPPER, Transport.HDLC: InterfaceType.HDLC}


def server_address(
    transport: Transport, logical: int = LOGICAL_DEVICE, physical: int | None = None
) -> int:
    """The server address a client uses: the logical device, plus (HDLC) the physical
    address (by default the one of a meter with a port of its own)."""
    if transport is Transport.HDLC:
        return GXDLMSClient.getServerAddress(
            logical, HDLC_PHYSICAL_ADDRESS if physical is None else physical
        )
    return logical


_SCALARS = (int, str, bytes, type(None))  # enums are ints: every immutable setting


def _scalars(obj: Any) -> dict[str, Any]:
    """The attributes of a gurux object that hold immutable values (to restore later)."""
    return {k: v for k, v in vars(obj).items() if isinstance(v, _SCALARS)}


class MeterServer(PlainWrapperShortcuts, FixedSecureServer):
    """The DLMS server of one connection, bound to one meter at a time.

    Building a gurux server with its objects costs ~0.2 ms, so a fleet keeps idle servers
    in a ``ServerPool`` and rebinds them: ``bind(meter)`` puts every setting back as a fresh
    server has it (all immutable settings of gurux's settings, HDLC settings and ciphering
    are snapshot once built), then the meter's title, keys and frame counter. The COSEM
    objects show the bound meter through a ``StateRef``.

    ``MeterServer(meter)`` builds one bound to ``meter`` (as before pooling).
    """

    def __init__(
        self,
        meter: SimulatedMeter | None = None,
        *,
        transport: Transport | None = None,
        security: SecurityMode | None = None,
        max_pdu_size: int | None = None,
    ) -> None:
        if meter is not None:
            transport, security = meter.transport, meter.security
            max_pdu_size = meter.max_pdu_size
        if transport is None or security is None or max_pdu_size is None:
            raise TypeError("MeterServer needs a meter, or transport, security and max_pdu_size")
        self.meter: SimulatedMeter | None = None
        self.transport = Transport(transport)
        self.security = SecurityMode(security)
        self.max_pdu_size = max_pdu_size
        self.profile = PROFILES[self.security]
        super().__init__(INTERFACES[self.transport], bytes(8), max_pdu_size)
        self._expected_server = server_address(self.transport)
        self._ref = cosem_objects.StateRef()
        objects = cosem_objects.build_objects(self._ref)
        for obj in objects:
            self.items.append(obj)
        self._association = cosem_objects.build_association(
            objects, self.profile.client_address, LOGICAL_DEVICE, self.profile.mechanism, None
        )
        self.items.append(self._association)
        self.initialize()
        # Plain WRAPPER associations: some requests are answered without gurux (fast_paths).
        self.fast = self.transport is Transport.WRAPPER and self.security is not (
            SecurityMode.HLS_GMAC
        )
        self.remembers_aarqs = self.fast and self.security is SecurityMode.NONE
        self._pristine = False  # as bound, no request handled since
        self.gurux_handled = 0  # requests that went through gurux (the rest: fast paths)
        self._fresh = self._scalar_settings()
        if meter is not None:
            self.bind(meter)

    def bind(self, meter: SimulatedMeter) -> None:
        """Serve ``meter`` from now on, as a server freshly built for it would."""
        if (meter.transport, meter.security, meter.max_pdu_size) != (
            self.transport,
            self.security,
            self.max_pdu_size,
        ):
            raise ValueError(f"{meter} does not fit a {self.transport}/{self.security} server")
        for target, fresh in zip(self._settings_objects(), self._fresh, strict=True):
            stale = [k for k, v in vars(target).items() if isinstance(v, _SCALARS)]
            for name in stale:
                if name not in fresh:  # set by gurux since (setMaxPduSize: a gurux slip)
                    delattr(target, name)
            target.__dict__.update(fresh)
        settings = self.settings
        settings.cipher.systemTitle = bytes.fromhex(meter.system_title)
        self._expected_server = meter.server_address
        self._association.serverSAP = meter.logical_address
        self._long_get = None
        self.transaction = None
        self.meter = meter
        self._ref.state = meter.state
        self.reset()  # clears the buffers; the cipher gets the meter's keys and counter
        self._pristine = True

    def unbind(self) -> None:
        self.meter = None
        self._ref.state = None

    def handle(self, frame: bytes) -> bytes | None:
        """Answer one complete request frame (None: no answer is due)."""
        meter = self.meter
        if meter is None:
            raise RuntimeError("the server is not bound to a meter")
        pristine, self._pristine = self._pristine, False
        if self.fast and len(frame) > 8:
            reply = self._fast(frame, pristine)
            if reply is not None:
                return reply
        learn = pristine and self._learns_aarq(frame)
        before = self._scalar_settings() if learn else None
        state = meter.state
        cipher = self.settings.cipher
        cipher.invocationCounter = max(cipher.invocationCounter, state.invocation_counter)
        sr = GXServerReply(frame)
        self.gurux_handled += 1
        try:
            if gurux_prints_silenced:
                self.handleRequest(sr)
            else:
                with contextlib.redirect_stdout(io.StringIO()):
                    self.handleRequest(sr)
        finally:
            state.invocation_counter = max(state.invocation_counter, cipher.invocationCounter)
        reply = bytes(sr.reply) if sr.reply else None
        if before is not None and reply is not None:
            self._remember_aarq(frame, before, reply)
        return reply

    def _settings_objects(self) -> tuple[Any, ...]:
        """The gurux objects whose settings a session changes (besides buffers)."""
        settings, association = self.settings, self._association
        return (
            settings,
            settings.hdlc,
            settings.cipher,
            association,
            association.applicationContextName,
            association.authenticationMechanismName,
        )

    def _scalar_settings(self) -> tuple[dict[str, Any], ...]:
        return tuple(_scalars(target) for target in self._settings_objects())

    def _update_settings(self, values: tuple[dict[str, Any], ...]) -> None:
        for target, changed in zip(self._settings_objects(), values, strict=True):
            target.__dict__.update(changed)

    # -- the meter's credentials and security, also after gurux resets ---------------------

    def _restore_cipher(self) -> None:
        meter = self.meter
        if meter is None:
            return
        cipher = self.settings.cipher
        if meter.security is SecurityMode.HLS_GMAC:
            secrets = meter.current_secrets()
            cipher.blockCipherKey = bytearray(secrets.block_cipher_key)
            cipher.authenticationKey = bytearray(secrets.authentication_key)
            cipher.security = GuruxSecurity.AUTHENTICATION_ENCRYPTION
        else:  # no ciphering: the keys are never used
            cipher.security = GuruxSecurity.NONE
        cipher.invocationCounter = max(cipher.invocationCounter, meter.state.invocation_counter)

    def reset(self, connect: bool = False) -> None:
        super().reset(connect)  # gurux also resets the ciphering: security and counter
        if getattr(self, "meter", None) is not None and self.settings.cipher is not None:
            self._restore_cipher()

    def handleAarqRequest(self, data: Any, connectionInfo: Any) -> None:
        self._restore_cipher()  # keys as the meter holds them now (wrong_keys may be set)
        super().handleAarqRequest(data, connectionInfo)

    # -- gurux callbacks -------------------------------------------------------------------

    def isTarget(self, serverAddress: int, clientAddress: int) -> bool:
        return serverAddress == self._expected_server

    def onValidateAuthentication(self, authentication: int, password: Any) -> int:
        if self.settings.clientAddress != self.profile.client_address:
            return SourceDiagnostic.NO_REASON_GIVEN
        if authentication != self.profile.mechanism:
            return (
                SourceDiagnostic.MECHANISM_NAME_REGUIRED
                if authentication == Authentication.NONE
                else SourceDiagnostic.NOT_RECOGNISED
            )
        if authentication == Authentication.LOW and (
            password is None
            or self.meter is None
            or bytes(password) != self.meter.current_secrets().password
        ):
            return SourceDiagnostic.AUTHENTICATION_FAILURE
        return SourceDiagnostic.NONE

    def onConnected(self, connectionInfo: Any) -> None:
        meter = self.meter
        if meter is not None:
            meter.associated()

    def onGetAttributeAccess(self, arg: Any) -> int:
        if arg.target.logicalName == cosem_objects.CLOCK and arg.index == 2:
            return AccessMode.READ_WRITE
        return AccessMode.READ

    def onGetMethodAccess(self, arg: Any) -> int:
        if arg.target.logicalName == cosem_objects.DISCONNECT_CONTROL and arg.index in (1, 2):
            return MethodAccessMode.ACCESS
        return MethodAccessMode.NO_ACCESS


class ServerPool:
    """Idle ``MeterServer`` objects of one kind, rebound to the meter of each connection.

    At most ``keep`` idle servers are kept (the peak of concurrent connections needs that
    many; more would only hold memory).
    """

    def __init__(
        self, transport: Transport, security: SecurityMode, max_pdu_size: int, keep: int = 512
    ) -> None:
        self.kind = (Transport(transport), SecurityMode(security), max_pdu_size)
        self.keep = keep
        self.built = 0  # servers built (the rest of the acquisitions reused one)
        self._idle: list[MeterServer] = []

    def acquire(self, meter: SimulatedMeter) -> MeterServer:
        if (meter.transport, meter.security, meter.max_pdu_size) != self.kind:
            return MeterServer(meter)  # not this pool's kind: a server of its own
        if self._idle:
            server = self._idle.pop()
            server.bind(meter)
            return server
        self.built += 1
        return MeterServer(meter)

    def release(self, server: MeterServer) -> None:
        server.unbind()
        kind = (server.transport, server.security, server.max_pdu_size)
        if kind == self.kind and len(self._idle) < self.keep:
            self._idle.append(server)
