"""One DLMS association with one meter: a sans-IO state machine and its asyncio driver.

``SessionMachine`` is fed frames and answers with frames to send; it uses gurux-dlms
(``GXDLMSSecureClient``) for what gurux does well (SNRM/UA parameters, AARQ, AARE parsing,
HLS-GMAC pass 3/4, RLRQ, DISC, HDLC frame numbering) and the engine's own modules for the
data phase (ciphering with a verified tag and replay check, block transfer, exact response
APDUs). Plain wrapper associations (no keys) use no gurux client of their own: gurux's AARQ
and RLRQ bytes are cached per meter profile and the AARE is read by the engine
(``cas.dlms.plain``). ``Session`` drives it over a ``TcpTransport``.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from dataclasses import dataclass, field

from cas.dlms import acse, gurux_fixes, plain, xdlms
from cas.dlms.counters import MeterCounters
from cas.dlms.errors import (
    AssociationRefused,
    AuthenticationFailed,
    ConnectionClosed,
    DlmsError,
    ProtocolError,
    SecurityError,
    classify_gurux_error,
)
from cas.dlms.framing import HdlcFramer, WrapperFramer
from cas.dlms.link import DM, FRMR, UA, HdlcLink, LinkEvent, WrapperLink
from cas.dlms.protection import Protection
from cas.dlms.transport import TcpTransport
from cas.registry import Authentication, Meter, SecurityPolicy, Transport

logger = logging.getLogger(__name__)

DEFAULT_CLIENT_SYSTEM_TITLE = bytes.fromhex("4341534757000001")  # "CASGW" + 000001

_SECURITY_CONTROL = {
    SecurityPolicy.NONE: 0x00,
    SecurityPolicy.AUTHENTICATED: 0x10,
    SecurityPolicy.ENCRYPTED: 0x20,
    SecurityPolicy.AUTHENTICATED_ENCRYPTED: 0x30,
}
# Wrapper frame / reassembled HDLC APDU may exceed the negotiated PDU size by the ciphering
# header; anything beyond this slack is refused as oversized.
APDU_SLACK = 64


@dataclass(frozen=True, slots=True)
class SessionSettings:
    """Gateway-wide session parameters (per-meter ones are in the registry's Meter)."""

    client_system_title: bytes = DEFAULT_CLIENT_SYSTEM_TITLE
    connect_timeout: float = 5.0
    release_timeout: float = 2.0
    max_response_size: int = 16 * 1024 * 1024  # joined block transfer, per request
    counter_block: int = 256  # invocation counters reserved per store write


class Phase(enum.Enum):
    IDLE = "idle"
    LINK = "snrm-sent"
    ASSOCIATE = "aarq-sent"
    AUTHENTICATE = "hls-pass3-sent"
    READY = "associated"
    REQUEST = "request-sent"
    RELEASE = "rlrq-sent"
    DISCONNECT = "disc-sent"
    CLOSED = "closed"
    FAILED = "failed"


@dataclass(slots=True)
class Step:
    send: list[bytes] = field(default_factory=list)
    done: bool = False
    response: bytes | None = None


def _conformance():
    from gurux_dlms.enums.Conformance import Conformance

    # No general-block-transfer (broken in gurux 1.0.203) and no general-protection (the
    # engine uses glo-ciphering); classic block transfer for GET, SET and ACTION.
    return (
        Conformance.GET
        | Conformance.SET
        | Conformance.ACTION
        | Conformance.SELECTIVE_ACCESS
        | Conformance.MULTIPLE_REFERENCES
        | Conformance.BLOCK_TRANSFER_WITH_GET_OR_READ
        | Conformance.BLOCK_TRANSFER_WITH_SET_OR_WRITE
        | Conformance.BLOCK_TRANSFER_WITH_ACTION
    )


def _gurux_client(meter: Meter, client_title: bytes, security: int, ek, ak):
    """gurux's client for one association (the sans-IO codec of AARQ/AARE/HLS/RLRQ/HDLC)."""
    from gurux_dlms.enums import Authentication as GxAuthentication
    from gurux_dlms.enums import InterfaceType, Security
    from gurux_dlms.secure.GXDLMSSecureClient import GXDLMSSecureClient

    mechanism = {
        Authentication.NONE: GxAuthentication.NONE,
        Authentication.LOW: GxAuthentication.LOW,
        Authentication.HLS_GMAC: GxAuthentication.HIGH_GMAC,
    }[meter.authentication]
    password = None
    if meter.authentication is Authentication.LOW:
        if meter.password is None:
            raise ValueError(f"meter {meter.system_title}: low-level security needs a password")
        password = bytearray(meter.password.reveal())
    hdlc = meter.transport is Transport.HDLC
    server_address = meter.server_address
    if hdlc:
        physical = meter.physical_address if meter.physical_address is not None else 1
        server_address = GXDLMSSecureClient.getServerAddress(meter.server_address, physical)
    client = GXDLMSSecureClient(
        True,
        meter.client_address,
        server_address,
        mechanism,
        password,
        InterfaceType.HDLC if hdlc else InterfaceType.WRAPPER,
    )
    cipher = client.settings.cipher
    cipher.systemTitle = bytearray(client_title)
    cipher.security = Security(security)
    if ek and ak:
        cipher.blockCipherKey = bytearray(ek)
        cipher.authenticationKey = bytearray(ak)
    client.proposedConformance = _conformance()
    client.maxReceivePDUSize = meter.max_pdu_size
    return client


class SessionMachine:
    """The protocol of one association, fed with frames (no I/O, no clock)."""

    def __init__(self, meter: Meter, settings: SessionSettings, counters: MeterCounters) -> None:
        gurux_fixes.apply()
        self.meter = meter
        self.where = f"meter {meter.system_title}"
        self.counters = counters
        self.phase = Phase.IDLE
        if meter.security is SecurityPolicy.ENCRYPTED:
            # No tag: no integrity and no trustworthy invocation counter.
            raise ValueError(f"{self.where}: encryption without authentication is refused")
        self.security = _SECURITY_CONTROL[meter.security]
        keys = meter.keys
        ek = keys.block_cipher_key.reveal() if keys.block_cipher_key else None
        ak = keys.authentication_key.reveal() if keys.authentication_key else None
        self.uses_keys = bool(self.security) or meter.authentication is Authentication.HLS_GMAC
        if self.uses_keys and (not ek or not ak):
            raise ValueError(f"{self.where}: HLS-GMAC / ciphering needs both keys in the registry")
        if len(settings.client_system_title) != 8:
            raise ValueError("the client system title is 8 bytes")

        def build_client():
            return _gurux_client(meter, settings.client_system_title, self.security, ek, ak)

        # Plain wrapper associations need no gurux client of their own (see cas.dlms.plain).
        self._plain = plain.frames_for(meter, build_client) if plain.is_plain(meter) else None
        client = None if self._plain is not None else build_client()
        self.client = client
        self.max_apdu = meter.max_pdu_size + APDU_SLACK
        self.max_send = meter.max_pdu_size  # the meter's receive size, once negotiated
        self.max_response = settings.max_response_size
        self.link = (
            HdlcLink(client.settings, self.max_apdu)
            if client is not None and meter.transport is Transport.HDLC
            else WrapperLink(meter.client_address, meter.server_address, self.max_apdu)
        )
        self.protection = Protection(
            self.security,
            settings.client_system_title,
            meter.system_title_bytes,
            ek,
            ak,
            counters,
        )
        self._outbox: list[bytes] = []
        self._pending: xdlms.PendingRequest | None = None
        self._aare_ciphered = 0
        if client is not None:
            client.settings.cas_on_ciphered_apdu = self._on_gurux_decrypted

    # --- framers for the transport ------------------------------------------------------------

    def framer(self) -> WrapperFramer | HdlcFramer:
        if isinstance(self.link, HdlcLink):
            return HdlcFramer()
        return WrapperFramer(self.max_apdu)

    # --- commands -----------------------------------------------------------------------------

    def connect(self) -> list[bytes]:
        self._expect(Phase.IDLE)
        if isinstance(self.link, HdlcLink):
            self.phase = Phase.LINK
            return [bytes(self.client.snrmRequest())]
        return self._send_aarq()

    def request(self, apdu: bytes) -> list[bytes]:
        self._expect(Phase.READY)
        pending = xdlms.PendingRequest(bytes(apdu), self.max_response)
        frames = self.link.frames(self._seal(pending.request))
        self._pending = pending
        self.phase = Phase.REQUEST
        return self._queue(frames)

    def release(self) -> list[bytes]:
        """RLRQ (then DISC on HDLC). Empty when there is nothing to release."""
        if self.phase is Phase.READY:
            frames = self._plain.rlrq if self._plain else self.client.releaseRequest()
            if frames:
                self.phase = Phase.RELEASE
                return self._queue([bytes(frame) for frame in frames])
        return self._disconnect()

    def fail(self) -> None:
        self.phase = Phase.FAILED

    @property
    def ready(self) -> bool:
        return self.phase is Phase.READY

    # --- receive ------------------------------------------------------------------------------

    def receive(self, frame: bytes) -> Step:
        try:
            return self._receive(frame)
        except DlmsError as exc:
            self.phase = Phase.FAILED
            message = str(exc)
            if not message.startswith(self.where):
                exc.args = (f"{self.where}: {message}",)  # name the meter in every error
            raise
        except Exception as exc:  # gurux (or malformed input tripping a parser)
            self.phase = Phase.FAILED
            settings = self.client.settings if self.client is not None else None
            pending = getattr(settings, "cas_pending_error", None)
            raise classify_gurux_error(exc, self.where, pending=pending) from exc

    def _receive(self, frame: bytes) -> Step:
        event = self.link.receive(frame)
        if event.control is not None:
            return self._on_control(event)
        if event.acknowledged:
            if self._outbox:
                return Step(send=[self._outbox.pop(0)])
            return Step()
        if event.apdu is None:
            return Step(send=event.send)
        if self._outbox:
            raise ProtocolError(f"{self.where}: answer before the request was sent completely")
        handler = {
            Phase.ASSOCIATE: self._on_aare,
            Phase.AUTHENTICATE: self._on_pass4,
            Phase.REQUEST: self._on_response,
            Phase.RELEASE: self._on_rlre,
        }.get(self.phase)
        if handler is None:
            raise ProtocolError(f"{self.where}: unexpected APDU in phase {self.phase.value}")
        return handler(event.apdu)

    def _on_control(self, event: LinkEvent) -> Step:
        from gurux_dlms.GXByteBuffer import GXByteBuffer

        control = event.control
        if self.phase is Phase.LINK and control == UA:
            self.client.parseUAResponse(GXByteBuffer(bytearray(event.info)))
            return Step(send=self._send_aarq())
        if self.phase is Phase.DISCONNECT and control in (UA, DM):
            self.phase = Phase.CLOSED
            return Step(done=True)
        if self.phase is Phase.LINK and control == DM:
            raise AssociationRefused(f"{self.where}: the meter refused the HDLC link (DM)")
        if control == DM:
            raise ConnectionClosed(f"{self.where}: the meter is in disconnected mode (DM)")
        if control == FRMR:
            raise ProtocolError(f"{self.where}: the meter rejected a frame (FRMR)")
        raise ProtocolError(f"{self.where}: unexpected HDLC control 0x{control:02X}")

    # --- association --------------------------------------------------------------------------

    def _send_aarq(self) -> list[bytes]:
        self.phase = Phase.ASSOCIATE
        if self._plain is not None:
            return self._queue(list(self._plain.aarq))
        return self._queue(self._with_gurux_counter(self.client.aarqRequest))

    def _on_gurux_decrypted(self, command, security_control, title, counter) -> None:
        """Hook of gurux_fixes: gurux decrypted the AARE's initiate-response."""
        if title != self.protection.meter_title:
            raise SecurityError(f"{self.where}: AARE ciphered by another system title")
        if security_control != self.security:
            raise SecurityError(
                f"{self.where}: AARE protected with 0x{security_control:02X}, "
                f"0x{self.security:02X} expected"
            )
        self.counters.check_received(counter)
        self._aare_ciphered += 1

    def _on_aare(self, apdu: bytes) -> Step:
        from gurux_dlms.GXByteBuffer import GXByteBuffer

        verdict = acse.read_aare(apdu)
        if verdict.result != acse.ACCEPTED:
            message = f"{self.where}: association {verdict.result_name} ({verdict.diagnostic_name})"
            if verdict.service_user and verdict.diagnostic in acse.AUTHENTICATION_FAILURES:
                raise AuthenticationFailed(message, aare=apdu, diagnostic=verdict.diagnostic)
            if self.uses_keys:
                message += "; wrong keys or client system title?"
            raise AssociationRefused(
                message, aare=apdu, result=verdict.result, diagnostic=verdict.diagnostic
            )
        meter_title = self.protection.meter_title
        if self.uses_keys and verdict.responding_ap_title not in (None, meter_title):
            raise SecurityError(f"{self.where}: the AARE names another system title")
        if self._plain is not None:
            self.max_send = plain.negotiated_pdu_size(apdu, self.where)
            self.phase = Phase.READY
            return Step(done=True)
        self.client.settings.cas_pending_error = None
        try:
            self.client.parseAareResponse(GXByteBuffer(bytearray(apdu)))
        except Exception as exc:
            pending = self.client.settings.cas_pending_error
            raise classify_gurux_error(exc, self.where, pending=pending) from exc
        if self.security and self._aare_ciphered != 1:
            raise SecurityError(f"{self.where}: the AARE's initiate-response is not ciphered")
        self.max_send = self.client.settings.maxPduSize
        source_title = self.client.settings.sourceSystemTitle
        if self.uses_keys and source_title is not None and bytes(source_title) != meter_title:
            raise SecurityError(f"{self.where}: the AARE names another system title")
        if self.client.isAuthenticationRequired:
            self.phase = Phase.AUTHENTICATE
            frames = self._with_gurux_counter(self.client.getApplicationAssociationRequest)
            return Step(send=self._queue(frames))
        self.phase = Phase.READY
        return Step(done=True)

    def _on_pass4(self, apdu: bytes) -> Step:
        from gurux_dlms.GXByteBuffer import GXByteBuffer

        plain = self.protection.open(apdu)
        if len(plain) < 4 or plain[0] != xdlms.ACTION_RESPONSE or plain[1] != 1:
            raise ProtocolError(f"{self.where}: HLS pass 4 is not an action-response-normal")
        if plain[3] != 0:
            raise AuthenticationFailed(
                f"{self.where}: the meter rejected HLS pass 3 (action result {plain[3]}): "
                "wrong keys?"
            )
        if len(plain) < 7 or plain[4] != 1 or plain[5] != 0:
            raise AuthenticationFailed(f"{self.where}: HLS pass 4 carries no StoC answer")
        try:
            self.client.parseApplicationAssociationResponse(GXByteBuffer(bytearray(plain[6:])))
        except Exception as exc:
            raise AuthenticationFailed(
                f"{self.where}: the meter's HLS pass 4 answer does not verify (wrong keys?)"
            ) from exc
        self.phase = Phase.READY
        return Step(done=True)

    # --- data ---------------------------------------------------------------------------------

    def _on_response(self, apdu: bytes) -> Step:
        plain = self.protection.open(apdu)
        if plain[:1] and plain[0] in xdlms.NOTIFICATIONS:
            logger.debug("%s: notification during a request ignored", self.where)
            return Step()
        assert self._pending is not None
        response, next_request = self._pending.on_response(plain)
        if next_request is not None:
            return Step(send=self._queue(self.link.frames(self._seal(next_request))))
        self._pending = None
        self.phase = Phase.READY
        return Step(done=True, response=response)

    # --- release ------------------------------------------------------------------------------

    def _on_rlre(self, apdu: bytes) -> Step:
        if apdu[:1] != b"\x63":
            raise ProtocolError(f"{self.where}: expected an RLRE")
        frames = self._disconnect()
        if frames:
            return Step(send=frames)
        return Step(done=True)

    def _disconnect(self) -> list[bytes]:
        if isinstance(self.link, HdlcLink) and self.phase not in (Phase.IDLE, Phase.CLOSED):
            frame = self.client.disconnectRequest(True)
            self.phase = Phase.DISCONNECT
            return [bytes(frame)]
        self.phase = Phase.CLOSED
        return []

    # --- helpers ------------------------------------------------------------------------------

    def _expect(self, phase: Phase) -> None:
        if self.phase is not phase:
            raise ProtocolError(f"{self.where}: session is {self.phase.value}, not {phase.value}")

    def _queue(self, frames: list[bytes]) -> list[bytes]:
        """Send the first frame now; HDLC segments wait for the meter's receive-ready."""
        frames = [bytes(frame) for frame in frames]
        self._outbox = frames[1:] if isinstance(self.link, HdlcLink) else []
        return frames[:1] if isinstance(self.link, HdlcLink) else frames

    def _seal(self, apdu: bytes) -> bytes:
        sealed = self.protection.seal(apdu)
        if len(sealed) > self.max_send:
            raise ProtocolError(
                f"{self.where}: request of {len(sealed)} bytes exceeds the meter's PDU size "
                f"{self.max_send}"
            )
        return sealed

    def _with_gurux_counter(self, build):
        """Run a gurux request builder on the gateway's reserved invocation counters."""
        cipher = self.client.settings.cipher
        if self.uses_keys:
            cipher.invocationCounter = self.counters.next_counter
        frames = build()
        if self.uses_keys:
            self.counters.consumed_up_to(cipher.invocationCounter)
        return [bytes(frame) for frame in frames]


class Session:
    """An open association with one meter over TCP (use through SessionPool in the gateway)."""

    def __init__(
        self,
        meter: Meter,
        counters: MeterCounters,
        settings: SessionSettings | None = None,
    ) -> None:
        self.meter = meter
        self.settings = settings or SessionSettings()
        self.counters = counters
        self.machine = SessionMachine(meter, self.settings, counters)
        self.where = self.machine.where
        self._transport: TcpTransport | None = None
        self.last_used = 0.0
        self.requests = 0

    @property
    def usable(self) -> bool:
        return self.machine.ready and self._transport is not None and self._transport.alive

    async def open(self) -> None:
        """TCP connect, HDLC link (SNRM/UA), AARQ/AARE and HLS pass 3/4."""
        if self.machine.uses_keys:  # plain sessions never touch the counter store
            await self.counters.load()
            await self.counters.ensure(4)  # AARQ, HLS pass 3 (GMAC and its request)
        self._transport = await TcpTransport.open(
            self.meter.host,
            self.meter.port,
            self.machine.framer(),
            connect_timeout=self.settings.connect_timeout,
            where=self.where,
        )
        try:
            await self._drive(self.machine.connect(), self.meter.response_timeout)
        except BaseException:
            self.abort()
            raise
        logger.debug(
            "%s: associated (%s, %s, %s)",
            self.where,
            self.meter.transport.value,
            self.meter.authentication.value,
            self.meter.security.value,
        )
        self.last_used = asyncio.get_running_loop().time()

    async def request(self, apdu: bytes) -> bytes:
        """Send one plaintext xDLMS request APDU; return the complete plaintext response."""
        if not self.usable:
            raise ConnectionClosed(f"{self.where}: session is not open")
        if self.machine.protection.ciphered:
            await self.counters.ensure(2)
        first = self.machine.request(apdu)  # ValueError for a malformed request: still usable
        try:
            response = await self._drive(first, self.meter.response_timeout)
        except BaseException:
            self.abort()
            raise
        self.requests += 1
        self.last_used = asyncio.get_running_loop().time()
        assert response is not None
        return response

    async def close(self) -> None:
        """Release the association (RLRQ, HDLC DISC) if possible, then close the socket."""
        transport = self._transport
        if transport is None or transport.closed:
            return
        try:
            if self.machine.ready and transport.alive:
                frames = self.machine.release()
                if frames:
                    await self._drive(frames, min(self.settings.release_timeout, 5.0))
        except (DlmsError, OSError) as exc:
            logger.debug("%s: release incomplete (%s)", self.where, type(exc).__name__)
        finally:
            self.machine.phase = Phase.CLOSED
            await transport.close()
            await self._flush_counters()

    def abort(self) -> None:
        """Drop the connection without a release (after a failure). Counters stay in memory;
        the owner flushes them (the pool does when it discards the session)."""
        self.machine.fail()
        if self._transport is not None:
            self._transport.abort()

    async def _flush_counters(self) -> None:
        try:
            await self.counters.flush()
        except Exception:  # the store being down must not hide the session's own error
            logger.warning("%s: could not persist the meter's invocation counter", self.where)

    async def _drive(self, frames: list[bytes], timeout: float) -> bytes | None:
        transport = self._transport
        assert transport is not None
        machine = self.machine
        ciphered = machine.protection.ciphered
        for frame in frames:
            await transport.send(frame)
        while True:
            frame = await transport.receive(timeout)
            if ciphered:
                await self.counters.ensure(2)
            step = machine.receive(frame)
            for reply in step.send:
                await transport.send(reply)
            if step.done:
                return step.response
