"""One gurux server per connection, answering for one simulated meter."""

from __future__ import annotations

import contextlib
import enum
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gurux_dlms.enums import AccessMode, Authentication, InterfaceType, MethodAccessMode
from gurux_dlms.enums import Security as GuruxSecurity
from gurux_dlms.enums.SourceDiagnostic import SourceDiagnostic
from gurux_dlms.GXDLMSClient import GXDLMSClient
from gurux_dlms.GXServerReply import GXServerReply

from cas.registry import Authentication as RegistryAuthentication
from cas.registry import SecurityPolicy, Transport
from cas.simulator import cosem_objects
from cas.simulator.credentials import HDLC_PHYSICAL_ADDRESS, LOGICAL_DEVICE
from cas.simulator.gurux_server_fixes import FixedSecureServer

if TYPE_CHECKING:
    from cas.simulator.fleet import SimulatedMeter


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


def server_address(transport: Transport) -> int:
    """The server address a client uses: logical device, plus the HDLC physical address."""
    if transport is Transport.HDLC:
        return GXDLMSClient.getServerAddress(LOGICAL_DEVICE, HDLC_PHYSICAL_ADDRESS)
    return LOGICAL_DEVICE


class MeterServer(FixedSecureServer):
    """The DLMS server of one connection to ``meter``."""

    def __init__(self, meter: SimulatedMeter) -> None:
        self.meter = meter
        self.profile = PROFILES[meter.security]
        super().__init__(
            INTERFACES[meter.transport], bytes.fromhex(meter.system_title), meter.max_pdu_size
        )
        self._expected_server = server_address(meter.transport)
        for obj in meter.objects:
            self.items.append(obj)
        self.items.append(
            cosem_objects.build_association(
                meter.objects,
                self.profile.client_address,
                LOGICAL_DEVICE,
                self.profile.mechanism,
                None,
            )
        )
        self.initialize()
        self._restore_cipher()

    def handle(self, frame: bytes) -> bytes | None:
        """Answer one complete request frame (None: no answer is due)."""
        state = self.meter.state
        cipher = self.settings.cipher
        cipher.invocationCounter = max(cipher.invocationCounter, state.invocation_counter)
        sr = GXServerReply(frame)
        try:
            if gurux_prints_silenced:
                self.handleRequest(sr)
            else:
                with contextlib.redirect_stdout(io.StringIO()):
                    self.handleRequest(sr)
        finally:
            state.invocation_counter = max(state.invocation_counter, cipher.invocationCounter)
        return bytes(sr.reply) if sr.reply else None

    # -- the meter's credentials and security, also after gurux resets ---------------------

    def _restore_cipher(self) -> None:
        cipher = self.settings.cipher
        secrets = self.meter.current_secrets()
        cipher.blockCipherKey = bytearray(secrets.block_cipher_key)
        cipher.authenticationKey = bytearray(secrets.authentication_key)
        cipher.security = (
            GuruxSecurity.AUTHENTICATION_ENCRYPTION
            if self.meter.security is SecurityMode.HLS_GMAC
            else GuruxSecurity.NONE
        )
        cipher.invocationCounter = max(
            cipher.invocationCounter, self.meter.state.invocation_counter
        )

    def reset(self, connect: bool = False) -> None:
        super().reset(connect)  # gurux also resets the ciphering: security and counter
        if hasattr(self, "meter") and self.settings.cipher is not None:
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
            password is None or bytes(password) != self.meter.current_secrets().password
        ):
            return SourceDiagnostic.AUTHENTICATION_FAILURE
        return SourceDiagnostic.NONE

    def onConnected(self, connectionInfo: Any) -> None:
        self.meter.stats.associations += 1

    def onGetAttributeAccess(self, arg: Any) -> int:
        if arg.target.logicalName == cosem_objects.CLOCK and arg.index == 2:
            return AccessMode.READ_WRITE
        return AccessMode.READ

    def onGetMethodAccess(self, arg: Any) -> int:
        if arg.target.logicalName == cosem_objects.DISCONNECT_CONTROL and arg.index in (1, 2):
            return MethodAccessMode.ACCESS
        return MethodAccessMode.NO_ACCESS
