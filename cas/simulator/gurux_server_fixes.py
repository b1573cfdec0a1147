"""Every fix the simulator needs in gurux-dlms 1.0.203's server side, in one place.

gurux's server classes do not work out of the box in 1.0.203 (see
shared/reference/gurux-dlms-facts.md). Each defect is mended here, named ``S<n>`` in the
comments, and nowhere else. Two kinds of fixes:

- ``apply()`` patches gurux classes that only the server uses (``GXServerReply``). It is
  idempotent and changes nothing a client calls.
- ``FixedSecureServer`` subclasses ``GXDLMSSecureServer`` and overrides the broken server
  methods: request handling, SNRM/DISC, AARQ/AARE, RLRQ, and the LN GET/SET/ACTION services
  (gurux's ``GXDLMSLNCommandHandler`` calls server methods that do not exist). Shared gurux
  code (GXDLMS, GXDLMSSettings, GXCiphering, ...) is used, never modified: framing, block
  splitting and ciphering still go through ``GXDLMS.getLNPdu`` and ``GXCiphering``, so the
  client-side fixes in ``cas.dlms.gurux_fixes`` (AES-GCM through ``cryptography``) apply to
  the simulator too when they are installed.

The defects, as measured:

- S1  ``GXServerReply`` lacks ``setReply``/``getConnectionInfo``/``getCount``/``setCount``
      that ``GXDLMSServer`` calls.
- S2  ``GXDLMSSecureServer`` stores its ciphering in ``settings.ciphering`` but all code
      reads ``settings.cipher`` (so a "secure" server never ciphers).
- S3  ``GXDLMSServer.maxReceivePDUSize`` property recurses forever (getter calls itself).
- S4  ``initialize()`` appends the whole object collection as one item of the association
      object list (TypeError) when the association has no list.
- S5  ``handleRequest`` calls ``sr.setReply`` (missing), ``receivedData.size(0)`` (an int),
      and ``int(timedelta)`` for its inactivity check: any error path raises.
- S6  ``handleSnrmRequest`` calls ``GXHdlcSettings.update`` (missing).
- S7  DISC is answered with an I-frame (``handleCommand`` passes ``Command.UA`` only on some
      paths; ``generateDisconnectRequest`` frames are built with frame type 0).
- S8  ``_GXAPDU.generateAARE`` writes wrong lengths for the responding-AP-title and the
      StoC challenge, calls ``setUInt8()`` without a value, and ciphers the initiate
      response without increasing the invocation counter (the next APDU reuses the GCM IV).
- S9  A ciphered AARQ that cannot be deciphered (wrong keys) raises out of
      ``handleAarqRequest`` instead of being answered with a rejecting AARE.
- S10 ``handleReleaseRequest`` calls ``replyData.set(0, bytes)`` and writes a wrong RLRE
      length.
- S11 LN GET/SET/ACTION handlers call missing server methods (``notifyRead``,
      ``onPostRead()`` without args, ``setTransaction``, ``getTransaction``,
      ``notifyConnected``), a misspelt ``settings.gbtWndowSize``, ``e.value`` and
      ``list(e)`` on ``ValueEventArgs`` (neither exists), so every GET ends in
      HARDWARE_FAULT; ``onPreRead`` is never called for a normal GET.
- S12 HLS pass 3/4 (association method 1) does ``int(bytearray)`` and never verifies the
      client's GMAC tag for HIGH_GMAC.
- S13 Disconnect control has no ``invoke()``: handled by the object subclass, which the
      fixed ACTION handler calls (gurux would report HARDWARE_FAULT).
- S14 ``GXDLMS.handleGloDedRequest`` (deciphering a glo-/ded- *request*, reached only on
      the server) builds ``AesGcmParameter(systemTitle, key, ak)`` without its first
      argument (the tag), so the client's system title becomes the tag and the block cipher
      key the system title: every ciphered request is deciphered with a wrong IV. The fix
      replaces it for ``settings.isServer`` only and calls the original otherwise, so client
      behaviour is unchanged.
- S15 ``ValueEventArgs`` lacks methods the object encoders call on the server
      (``isSkipMaxPduSize`` in the association's object list, ...): the fixed handlers use
      the subclass ``ServerValueEventArgs`` that provides them (gurux's class is untouched).
- S16 The negotiated PDU size is the client's proposal, never capped by the server's
      own maximum (``maxServerPDUSize``), so block transfer is never used.
- S17 ``GXDLMSRegister`` encodes its scaler as ``floor(log10(10**s))`` (1000 becomes 2) and
      gurux infers Data types from Python values: the simulator's objects
      (``cosem_objects``) hand dynamic values and scaler_unit to these handlers as exact
      A-XDR bytes (``e.byteArray``), which gurux copies unchanged.
"""

from __future__ import annotations

import logging
from typing import Any

from gurux_dlms import GXByteBuffer, GXDLMSException
from gurux_dlms._GXAPDU import _GXAPDU
from gurux_dlms.AesGcmParameter import AesGcmParameter
from gurux_dlms.ConnectionState import ConnectionState
from gurux_dlms.enums import (
    AccessMode,
    AssociationResult,
    Authentication,
    Command,
    Conformance,
    DataType,
    ErrorCode,
    InterfaceType,
    MethodAccessMode,
    ObjectType,
    RequestTypes,
    Security,
    SourceDiagnostic,
)
from gurux_dlms.GXCiphering import GXCiphering
from gurux_dlms.GXDLMS import GXDLMS
from gurux_dlms.GXDLMSConfirmedServiceError import GXDLMSConfirmedServiceError
from gurux_dlms.GXDLMSLNParameters import GXDLMSLNParameters
from gurux_dlms.GXHdlcSettings import GXHdlcSettings
from gurux_dlms.GXServerReply import GXServerReply
from gurux_dlms.internal._GXCommon import _GXCommon
from gurux_dlms.internal._GXDataInfo import _GXDataInfo
from gurux_dlms.objects import GXDLMSAssociationLogicalName
from gurux_dlms.objects.enums.AssociationStatus import AssociationStatus
from gurux_dlms.secure import GXDLMSSecureServer
from gurux_dlms.ValueEventArgs import ValueEventArgs

log = logging.getLogger(__name__)

GURUX_VERSION = "1.0.203"

_applied = False

# Ciphered APDU tags the server can receive or send (glo-/ded- and general ciphering).
_AARE_TAG = 0x61
_RLRE_TAG = 0x63
RLRE_NORMAL = bytes((_RLRE_TAG, 0x03, 0x80, 0x01, 0x00))  # release-response, reason normal
_GLO_INITIATE_RESPONSE = 0x28


def apply() -> None:
    """Patch the server-only gurux classes (idempotent)."""
    global _applied
    if _applied:
        return
    _fix_server_reply()
    _fix_ciphered_requests()
    _applied = True


def _fix_server_reply() -> None:
    # S1: methods GXDLMSServer calls on the reply object but 1.0.203 never defined.
    def set_reply(self: GXServerReply, value: Any) -> None:
        self.reply = value

    def get_connection_info(self: GXServerReply) -> Any:
        return self.connectionInfo

    def get_count(self: GXServerReply) -> int:
        return self.count

    def set_count(self: GXServerReply, value: int) -> None:
        self.count = value

    for name, function in (
        ("setReply", set_reply),
        ("getConnectionInfo", get_connection_info),
        ("getCount", get_count),
        ("setCount", set_count),
    ):
        if not hasattr(GXServerReply, name):
            setattr(GXServerReply, name, function)


class ServerValueEventArgs(ValueEventArgs):
    """ValueEventArgs with the accessors gurux's object encoders call (S15)."""

    def isSkipMaxPduSize(self) -> bool:
        return bool(self.skipMaxPduSize)

    def getSettings(self) -> Any:
        return self.settings

    def getTarget(self) -> Any:
        return self.target

    def getIndex(self) -> int:
        return self.index

    def getSelector(self) -> int:
        return self.selector

    def getParameters(self) -> Any:
        return self.parameters

    def getRowToPdu(self) -> int:
        return self.rowToPdu


def _fix_ciphered_requests() -> None:
    # S14: decipher glo-/ded- requests with the client's system title (server side only).
    original = GXDLMS.__dict__["handleGloDedRequest"].__func__

    def handle_glo_ded_request(cls: type, settings: Any, data: Any) -> None:
        if not settings.isServer or data.moreData & RequestTypes.FRAME:
            original(cls, settings, data)
            return
        cipher = settings.cipher
        if cipher is None:
            raise ValueError("Secure connection is not supported.")
        dedicated = cipher.dedicatedKey and settings.connected & ConnectionState.DLMS
        key = cipher.dedicatedKey if dedicated else cipher.blockCipherKey
        data.data.position = data.data.position - 1
        p = AesGcmParameter(0, settings.sourceSystemTitle, key, cipher.authenticationKey)
        plain = GXCiphering.decrypt(settings, p, data.data)
        data.data.clear()
        data.data.set(plain)
        data.command = Command(data.data.getUInt8())

    GXDLMS.handleGloDedRequest = classmethod(handle_glo_ded_request)


class FixedSecureServer(GXDLMSSecureServer):
    """``GXDLMSSecureServer`` (LN referencing) with the 1.0.203 server defects mended.

    Subclasses implement the usual gurux callbacks; defaults here accept everything.
    ``handleRequest(GXServerReply(frame))`` expects exactly one complete frame and leaves the
    reply bytes (or None) in ``sr.reply``; it raises on input it cannot handle, and the
    caller decides what to do (the simulator closes the connection).
    """

    def __init__(self, interface_type: int, system_title: bytes, max_pdu_size: int = 1024):
        apply()
        super().__init__(True, interface_type)
        # S2: the ciphering object must be settings.cipher, which every gurux path reads.
        self.settings.cipher = GXCiphering(bytes(system_title))
        self.settings.maxServerPDUSize = max_pdu_size
        self._long_get: GXByteBuffer | None = None  # rest of a GET answered in blocks

    # S3: the inherited property recurses; expose the settings value instead.
    maxReceivePDUSize = property(  # type: ignore[assignment]
        lambda self: self.settings.maxServerPDUSize,
        lambda self, value: setattr(self.settings, "maxServerPDUSize", value),
    )

    # -- default callbacks (gurux declares them abstract) ------------------------------

    def isTarget(self, serverAddress: int, clientAddress: int) -> bool:
        return True

    def onValidateAuthentication(self, authentication: int, password: Any) -> int:
        return SourceDiagnostic.NONE

    def onFindObject(self, objectType: int, sn: int, ln: str) -> Any:
        return None

    def onGetAttributeAccess(self, arg: ValueEventArgs) -> int:
        return AccessMode.READ_WRITE

    def onGetMethodAccess(self, arg: ValueEventArgs) -> int:
        return MethodAccessMode.ACCESS

    def onPreGet(self, args: Any) -> None: ...
    def onPostGet(self, args: Any) -> None: ...
    def onPreRead(self, args: list[ValueEventArgs]) -> None: ...
    def onPostRead(self, args: list[ValueEventArgs]) -> None: ...
    def onPreWrite(self, args: list[ValueEventArgs]) -> None: ...
    def onPostWrite(self, args: list[ValueEventArgs]) -> None: ...
    def onPreAction(self, args: list[ValueEventArgs]) -> None: ...
    def onPostAction(self, args: list[ValueEventArgs]) -> None: ...
    def onConnected(self, connectionInfo: Any) -> None: ...
    def onInvalidConnection(self, connectionInfo: Any) -> None: ...
    def onDisconnected(self, connectionInfo: Any) -> None: ...

    # -- S4 ----------------------------------------------------------------------------

    def initialize(self) -> None:
        association = self.items.findByLN(ObjectType.ASSOCIATION_LOGICAL_NAME, "0.0.40.0.0.255")
        if association is not None and len(association.objectList) == 0:
            for item in self.items:
                association.objectList.append(item)
        super().initialize()

    # -- S5: request handling ----------------------------------------------------------

    def handleRequest(self, sr: GXServerReply) -> None:
        """Handle one complete frame; the reply (or None) is left in ``sr.reply``."""
        sr.reply = None
        if not sr.data:
            return
        if not self.initialized:
            raise ValueError("server not initialized")
        settings = self.settings
        first = settings.serverAddress == 0 and settings.clientAddress == 0
        self.receivedData.set(sr.data)
        try:
            GXDLMS.getData(settings, self.receivedData, self.info, None)
        finally:
            complete = self.info.complete
            self.receivedData.clear()
        if not complete:
            self.info.clear()
            return
        command = self.info.command
        hdlc = settings.interfaceType == InterfaceType.HDLC
        if command == Command.DISCONNECT_REQUEST and settings.connected == ConnectionState.NONE:
            sr.reply = GXDLMS.getHdlcFrame(settings, Command.DISCONNECT_MODE, self.replyData)
            self.info.clear()
            return
        if (
            first or command == Command.SNRM or (not hdlc and command == Command.AARQ)
        ) and not self.isTarget(settings.serverAddress, settings.clientAddress):
            self.info.clear()
            return
        if hdlc and self.info.moreData & RequestTypes.FRAME:
            # A segmented request: acknowledge this segment and wait for the rest.
            sr.reply = GXDLMS.getHdlcFrame(settings, settings.getReceiverReady(), None)
            return
        if command == Command.NONE:
            if hdlc:
                if self.replyData:  # the client asks for the next HDLC segment
                    sr.reply = GXDLMS.getHdlcFrame(
                        settings, settings.getNextSend(False), self.replyData
                    )
                else:
                    sr.reply = GXDLMS.getHdlcFrame(
                        settings, settings.getReceiverReady(), self.replyData
                    )
            self.info.clear()
            return
        try:
            sr.reply = self.handleCommand(command, self.info.data, sr)
        except GXDLMSConfirmedServiceError as error:
            sr.reply = self.reportConfirmedServiceError(error)
            self._long_get = None
        finally:
            self.info.clear()

    def handleCommand(self, cmd: int, data: GXByteBuffer, sr: GXServerReply) -> Any:
        settings = self.settings
        frame_type = 0  # an I-frame answering the client's I-frame
        self.replyData.clear()  # a new request abandons what was left of an earlier reply
        if cmd == Command.GET_REQUEST:
            self._handle_get(data)
        elif cmd == Command.SET_REQUEST:
            self._handle_set(data)
        elif cmd == Command.METHOD_REQUEST:
            self._handle_action(data, sr)
        elif cmd == Command.SNRM:
            self.handleSnrmRequest(data)
            frame_type = Command.UA
        elif cmd == Command.AARQ:
            self.handleAarqRequest(data, sr.connectionInfo)
            if settings.connected & ConnectionState.DLMS:
                self.onConnected(sr.connectionInfo)
        elif cmd == Command.RELEASE_REQUEST:
            self.handleReleaseRequest(data)
            if settings.connected & ConnectionState.DLMS:
                settings.connected &= ~ConnectionState.DLMS
                self.onDisconnected(sr.connectionInfo)
        elif cmd == Command.DISCONNECT_REQUEST:
            # S7: DISC is answered with UA (no information field needed).
            if settings.connected & ConnectionState.DLMS:
                self.onDisconnected(sr.connectionInfo)
            reply = GXDLMS.getHdlcFrame(settings, Command.UA, None)
            self.reset()
            return reply
        else:
            raise GXDLMSConfirmedServiceError(1, 6, 0)  # service not supported
        if settings.interfaceType == InterfaceType.WRAPPER:
            reply = GXDLMS.getWrapperFrame(settings, cmd, self.replyData)
            if cmd == Command.RELEASE_REQUEST:
                self.reset()
            return reply
        return GXDLMS.getHdlcFrame(settings, frame_type, self.replyData)

    # -- S6: SNRM ----------------------------------------------------------------------

    def handleSnrmRequest(self, data: GXByteBuffer) -> None:
        hdlc = self.settings.hdlc
        hdlc.maxInfoRX = GXHdlcSettings.DEFAULT_MAX_INFO_RX
        hdlc.maxInfoTX = GXHdlcSettings.DEFAULT_MAX_INFO_TX
        hdlc.windowSizeRX = GXHdlcSettings.DEFAULT_WINDOWS_SIZE_RX
        hdlc.windowSizeTX = GXHdlcSettings.DEFAULT_WINDOWS_SIZE_TX
        GXDLMS.parseSnrmUaResponse(data, hdlc)
        self.reset(True)
        self.settings.resetFrameSequence()
        reply = self.replyData
        reply.setUInt8(0x81)  # format identifier
        reply.setUInt8(0x80)  # group identifier
        reply.setUInt8(0)  # group length, set below
        for tag, value in ((5, hdlc.maxInfoTX), (6, hdlc.maxInfoRX)):
            reply.setUInt8(tag)
            GXDLMS.appendHdlcParameter(reply, value)
        for tag, value in ((7, hdlc.windowSizeTX), (8, hdlc.windowSizeRX)):
            reply.setUInt8(tag)
            reply.setUInt8(4)
            reply.setUInt32(value)
        reply.setUInt8(len(reply) - 3, 2)
        self.settings.connected = ConnectionState.HDLC

    # -- S8/S9: AARQ -------------------------------------------------------------------

    def handleAarqRequest(self, data: GXByteBuffer, connectionInfo: Any) -> None:
        settings = self.settings
        cipher = settings.cipher
        settings.setCtoSChallenge(None)
        cipher.setDedicatedKey(None)
        if settings.interfaceType == InterfaceType.WRAPPER:
            self.reset(True)
        self._long_get = None
        result = AssociationResult.ACCEPTED
        error: bytes | None = None
        try:
            diagnostic = _GXAPDU.parsePDU(settings, cipher, data, None)
            # S16: gurux keeps the client's proposal (often 0xFFFF) as the PDU size it
            # sends; a server sends at most what both sides accept.
            settings.maxPduSize = min(settings.maxPduSize, settings.maxServerPDUSize)
            if settings.negotiatedConformance == Conformance.NONE:
                result, diagnostic = AssociationResult.PERMANENT_REJECTED, 1
                error = bytes((0x0E, 1, 6, 3))  # initiate-error: incompatible conformance
            elif settings.maxPduSize < 64:
                result, diagnostic = AssociationResult.PERMANENT_REJECTED, 1
                error = bytes((0x0E, 1, 6, 4))  # initiate-error: pdu-size too short
            elif settings.dlmsVersion != 6:
                settings.dlmsVersion = 6
                result, diagnostic = AssociationResult.PERMANENT_REJECTED, 1
                error = bytes((0x0E, 1, 6, 1))  # initiate-error: dlms version too low
            elif diagnostic != SourceDiagnostic.NONE:
                result, diagnostic = AssociationResult.PERMANENT_REJECTED, 2
                self.onInvalidConnection(connectionInfo)
            else:
                diagnostic = self.onValidateAuthentication(
                    settings.authentication, settings.password
                )
                if diagnostic != SourceDiagnostic.NONE:
                    result = AssociationResult.PERMANENT_REJECTED
                    self.onInvalidConnection(connectionInfo)
                elif settings.authentication > Authentication.LOW:
                    diagnostic = SourceDiagnostic.AUTHENTICATION_REQUIRED
                    self._set_association_status(AssociationStatus.ASSOCIATION_PENDING)
                else:
                    self._set_association_status(AssociationStatus.ASSOCIATED)
                    settings.connected |= ConnectionState.DLMS
        except GXDLMSConfirmedServiceError as exc:
            result, diagnostic = AssociationResult.PERMANENT_REJECTED, 1
            error = bytes(
                (0x0E, exc.confirmedServiceError, exc.serviceError, exc.serviceErrorValue)
            )
        except GXDLMSException as exc:
            result, diagnostic = exc.result, exc.diagnostic
        except Exception as exc:  # S9: undecipherable AARQ (wrong keys) -> reject, not crash
            log.debug("AARQ rejected: %s: %s", type(exc).__name__, exc)
            result = AssociationResult.PERMANENT_REJECTED
            diagnostic = SourceDiagnostic.AUTHENTICATION_FAILURE
            self.onInvalidConnection(connectionInfo)
        if settings.interfaceType == InterfaceType.HDLC:
            self.replyData.set(_GXCommon.LLC_REPLY_BYTES)
        if result == AssociationResult.ACCEPTED and settings.authentication > Authentication.LOW:
            settings.setStoCChallenge(self.generate_challenge())
        self.replyData.set(self._aare(result, diagnostic, error))

    def generate_challenge(self) -> bytes:
        """StoC challenge for HLS (8..64 bytes). Subclasses may make it deterministic."""
        import secrets

        return secrets.token_bytes(16)

    def _set_association_status(self, status: int) -> None:
        settings = self.settings
        association = self.items.findByLN(ObjectType.ASSOCIATION_LOGICAL_NAME, "0.0.40.0.0.255")
        if association is None:
            return
        ciphered = settings.cipher.security != Security.NONE
        association.applicationContextName.contextId = 3 if ciphered else 1
        association.authenticationMechanismName.mechanismId = settings.authentication
        association.associationStatus = status

    def _aare(self, result: int, diagnostic: int, error: bytes | None) -> bytes:
        """The AARE APDU, built with correct BER lengths (S8)."""
        settings = self.settings
        cipher = settings.cipher
        ciphered = cipher.security != Security.NONE
        body = bytearray()
        # application-context-name: LN (1) or LN with ciphering (3)
        body += bytes((0xA1, 0x09, 0x06, 0x07, 0x60, 0x85, 0x74, 0x05, 0x08, 0x01))
        body.append(3 if ciphered else 1)
        body += bytes((0xA2, 0x03, 0x02, 0x01, result))
        body += bytes((0xA3, 0x05, 0xA1, 0x03, 0x02, 0x01, diagnostic))
        if ciphered or settings.authentication == Authentication.HIGH_GMAC:
            title = bytes(cipher.systemTitle)
            body += bytes((0xA4, len(title) + 2, 0x04, len(title))) + title
        if settings.authentication > Authentication.LOW and settings.stoCChallenge:
            challenge = bytes(settings.stoCChallenge)
            body += bytes((0x88, 0x02, 0x07, 0x80))  # responder-acse-requirements
            body += bytes((0x89, 0x07, 0x60, 0x85, 0x74, 0x05, 0x08, 0x02))
            body.append(settings.authentication)
            body += bytes((0xAA, len(challenge) + 2, 0x80, len(challenge))) + challenge
        if error is not None:
            user_information = error
        elif result == AssociationResult.ACCEPTED:
            user_information = self._initiate_response()
        else:
            user_information = None
        if user_information is not None:
            body += bytes((0xBE, len(user_information) + 2, 0x04, len(user_information)))
            body += user_information
        return bytes((_AARE_TAG, len(body))) + bytes(body)

    def _initiate_response(self) -> bytes:
        settings = self.settings
        cipher = settings.cipher
        plain = GXByteBuffer()
        plain.setUInt8(Command.INITIATE_RESPONSE)
        plain.setUInt8(0)  # no negotiated quality of service
        plain.setUInt8(6)  # DLMS version
        plain.set(bytes((0x5F, 0x1F, 0x04, 0x00)))
        _GXAPDU.setConformanceToArray(settings.negotiatedConformance, plain)
        plain.setUInt16(settings.maxPduSize)
        plain.setUInt16(0x0007)  # VAA name for LN referencing
        if cipher.security == Security.NONE:
            return bytes(plain.array())
        p = AesGcmParameter(
            _GLO_INITIATE_RESPONSE,
            cipher.systemTitle,
            cipher.blockCipherKey,
            cipher.authenticationKey,
        )
        p.security = cipher.security
        p.invocationCounter = cipher.invocationCounter
        ciphered = bytes(GXCiphering.encrypt(p, plain.array()))
        cipher.invocationCounter += 1  # S8: never reuse the IV of the initiate response
        return ciphered

    # -- S10: RLRQ ---------------------------------------------------------------------

    def handleReleaseRequest(self, data: GXByteBuffer) -> None:
        if self.settings.interfaceType == InterfaceType.HDLC:
            self.replyData.set(_GXCommon.LLC_REPLY_BYTES)
        self.replyData.set(RLRE_NORMAL)
        self._long_get = None

    # -- S11: GET ----------------------------------------------------------------------

    def _find(self, ci: int, ln: bytes) -> Any:
        """The object, or None (gurux objects can be falsy: never use ``or`` on them)."""
        if ci not in ObjectType._value2member_map_:
            return None
        ot = ObjectType(ci)
        name = ".".join(str(b) for b in ln)
        obj = self.settings.objects.findByLN(ot, name)
        return obj if obj is not None else self.onFindObject(ot, 0, name)

    def _read(
        self, ci: int, ln: bytes, index: int, selector: int, parameters: Any
    ) -> tuple[int, bytes]:
        """(data-access-result, encoded Data) of one attribute."""
        settings = self.settings
        obj = self._find(ci, ln)
        if obj is None:
            return ErrorCode.UNDEFINED_OBJECT, b""
        e = ServerValueEventArgs(self, obj, index, selector, parameters)
        if self.onGetAttributeAccess(e) == AccessMode.NO_ACCESS:
            return ErrorCode.READ_WRITE_DENIED, b""
        if index < 1 or index > obj.getAttributeCount():
            return ErrorCode.UNDEFINED_OBJECT, b""
        self.onPreRead([e])
        value = e.eventValue if e.handled else obj.getValue(settings, e)
        self.onPostRead([e])
        if e.error != ErrorCode.OK:
            return e.error, b""
        bb = GXByteBuffer()
        if e.byteArray:
            bb.set(value)
        else:
            GXDLMS.appendData(settings, obj, index, bb, value)
        return ErrorCode.OK, bytes(bb.array())

    def _handle_get(self, data: GXByteBuffer) -> None:
        settings = self.settings
        if not settings.acceptConnection():
            raise GXDLMSConfirmedServiceError(1, 6, 0)
        request_type = data.getUInt8()
        invoke_id = data.getUInt8()
        settings.updateInvokeId(invoke_id)
        if request_type == 1:  # normal
            self._long_get = None
            ci, ln, index, selector, parameters = self._descriptor(data)
            status, encoded = self._read(ci, ln, index, selector, parameters)
            settings.resetBlockIndex()
            self._send_get_response(invoke_id, 1, status, encoded)
        elif request_type == 2:  # next data block
            block = data.getUInt32()
            rest = self._long_get
            if rest is None or block != settings.blockIndex:
                self._long_get = None
                code = (
                    ErrorCode.NO_LONG_GET_OR_READ_IN_PROGRESS
                    if rest is None
                    else ErrorCode.DATA_BLOCK_NUMBER_INVALID
                )
                self._send_get_block_error(invoke_id, code)
                return
            settings.increaseBlockIndex()
            self._continue_blocks(invoke_id, rest)
        elif request_type == 3:  # with list
            self._long_get = None
            count = _GXCommon.getObjectCount(data)
            descriptors = [self._descriptor(data) for _ in range(count)]
            out = bytearray()
            out += _object_count(count)
            for ci, ln, index, selector, parameters in descriptors:
                status, encoded = self._read(ci, ln, index, selector, parameters)
                out += b"\x00" + encoded if status == ErrorCode.OK else bytes((1, status))
            settings.resetBlockIndex()
            self._send_get_response(invoke_id, 3, ErrorCode.OK, bytes(out))
        else:
            raise GXDLMSConfirmedServiceError(1, 6, 0)

    def _descriptor(self, data: GXByteBuffer) -> tuple[int, bytes, int, int, Any]:
        ci = data.getUInt16()
        ln = bytearray(6)
        data.get(ln)
        index = data.getUInt8()
        selector, parameters = 0, None
        if data.getUInt8() != 0:
            selector = data.getUInt8()
            parameters = _GXCommon.getData(self.settings, data, _GXDataInfo())
        return ci, bytes(ln), index, selector, parameters

    def _send_get_response(
        self, invoke_id: int, request_type: int, status: int, encoded: bytes
    ) -> None:
        settings = self.settings
        if status != ErrorCode.OK:
            p = GXDLMSLNParameters(settings, invoke_id, Command.GET_RESPONSE, 1, None, None, status)
            GXDLMS.getLNPdu(p, self.replyData)
            return
        overhead = 16 + (20 if settings.cipher.security != Security.NONE else 0)
        if len(encoded) + overhead <= settings.maxPduSize:
            p = GXDLMSLNParameters(
                settings,
                invoke_id,
                Command.GET_RESPONSE,
                request_type,
                None,
                GXByteBuffer(encoded),
                0 if request_type == 1 else 0xFF,
            )
            GXDLMS.getLNPdu(p, self.replyData)
            return
        # Too big for one APDU: get-response-with-datablock, the raw data is the encoding
        # of the whole result (normal: Data; with-list: the list of results).
        self._continue_blocks(invoke_id, GXByteBuffer(encoded))

    def _continue_blocks(self, invoke_id: int, rest: GXByteBuffer) -> None:
        settings = self.settings
        p = GXDLMSLNParameters(
            settings, invoke_id, Command.GET_RESPONSE, 2, None, rest, ErrorCode.OK
        )
        p.multipleBlocks = True
        overhead = 16 + (20 if settings.cipher.security != Security.NONE else 0)
        p.lastBlock = rest.available() + overhead <= settings.maxPduSize
        GXDLMS.getLNPdu(p, self.replyData)
        self._long_get = rest if rest.available() else None
        if self._long_get is None:
            settings.resetBlockIndex()

    def _send_get_block_error(self, invoke_id: int, code: int) -> None:
        apdu = bytearray((Command.GET_RESPONSE, 2, invoke_id))
        apdu += bytes((1,)) + self.settings.blockIndex.to_bytes(4, "big") + bytes((1, code))
        self._send_apdu(bytes(apdu))

    def _send_apdu(self, apdu: bytes) -> None:
        """Frame a complete plain response APDU (ciphered when the association is)."""
        settings = self.settings
        # The first byte is the command, the second the response type, then the payload.
        p = GXDLMSLNParameters(
            settings,
            apdu[2] if len(apdu) > 2 else 0,
            apdu[0],
            apdu[1],
            GXByteBuffer(apdu[3:]),
            None,
            0xFF,
        )
        GXDLMS.getLNPdu(p, self.replyData)

    # -- S11: SET ----------------------------------------------------------------------

    def _write(self, ci: int, ln: bytes, index: int, value: Any) -> int:
        settings = self.settings
        obj = self._find(ci, ln)
        if obj is None:
            return ErrorCode.UNDEFINED_OBJECT
        e = ServerValueEventArgs(self, obj, index, 0, None)
        if self.onGetAttributeAccess(e) not in (AccessMode.WRITE, AccessMode.READ_WRITE):
            return ErrorCode.READ_WRITE_DENIED
        if isinstance(value, bytearray):
            data_type = obj.getDataType(index)
            if data_type not in (DataType.NONE, DataType.OCTET_STRING):
                value = _GXCommon.changeType(settings, value, data_type)
        e.eventValue = e.value = value
        self.onPreWrite([e])
        if e.error == ErrorCode.OK and not e.handled:
            obj.setValue(settings, e)
        self.onPostWrite([e])
        return e.error

    def _handle_set(self, data: GXByteBuffer) -> None:
        settings = self.settings
        if not settings.acceptConnection():
            raise GXDLMSConfirmedServiceError(1, 6, 0)
        request_type = data.getUInt8()
        invoke_id = data.getUInt8()
        settings.updateInvokeId(invoke_id)
        if request_type == 1:  # normal
            ci, ln, index, _selector, _parameters = self._descriptor(data)
            value = _GXCommon.getData(settings, data, _GXDataInfo())
            status = self._write(ci, ln, index, value)
            self._send_apdu(bytes((Command.SET_RESPONSE, 1, invoke_id, status)))
        elif request_type == 4:  # set-request-with-list (5 is with-list-and-first-datablock)
            count = _GXCommon.getObjectCount(data)
            descriptors = [self._descriptor(data) for _ in range(count)]
            values = [
                _GXCommon.getData(settings, data, _GXDataInfo())
                for _ in range(_GXCommon.getObjectCount(data))
            ]
            if len(values) != count:
                raise GXDLMSConfirmedServiceError(1, 6, 0)
            results = [
                self._write(d[0], d[1], d[2], v) for d, v in zip(descriptors, values, strict=True)
            ]
            self._send_apdu(
                bytes((Command.SET_RESPONSE, 5, invoke_id)) + _object_count(count) + bytes(results)
            )
        else:  # set-request with datablock: not offered by the simulator
            raise GXDLMSConfirmedServiceError(1, 6, 0)

    # -- S11/S12/S13: ACTION -----------------------------------------------------------

    def _handle_action(self, data: GXByteBuffer, sr: GXServerReply) -> None:
        settings = self.settings
        request_type = data.getUInt8()
        invoke_id = data.getUInt8()
        settings.updateInvokeId(invoke_id)
        if request_type == 1:  # action-request-normal
            ci, ln, method = self._method_descriptor(data)
            parameters = None
            if data.getUInt8() != 0:
                parameters = _GXCommon.getData(settings, data, _GXDataInfo())
            is_hls_reply = ci == ObjectType.ASSOCIATION_LOGICAL_NAME and method == 1
            if not settings.acceptConnection() and not is_hls_reply:
                raise GXDLMSConfirmedServiceError(1, 6, 0)
            status, result_data = self._invoke(ci, ln, method, parameters, sr)
            apdu = bytearray((Command.METHOD_RESPONSE, 1, invoke_id))
            apdu += _action_response(status, result_data)
        elif request_type == 3:  # action-request-with-list
            if not settings.acceptConnection():
                raise GXDLMSConfirmedServiceError(1, 6, 0)
            count = _GXCommon.getObjectCount(data)
            descriptors = [self._method_descriptor(data) for _ in range(count)]
            parameters = [
                _GXCommon.getData(settings, data, _GXDataInfo())
                for _ in range(_GXCommon.getObjectCount(data))
            ]
            if len(parameters) != count:
                raise GXDLMSConfirmedServiceError(1, 6, 0)
            apdu = bytearray((Command.METHOD_RESPONSE, 3, invoke_id)) + _object_count(count)
            for (ci, ln, method), value in zip(descriptors, parameters, strict=True):
                # the HLS reply (association method 1) is a pass of its own, never in a list
                if ci == ObjectType.ASSOCIATION_LOGICAL_NAME and method == 1:
                    apdu += _action_response(ErrorCode.READ_WRITE_DENIED, None)
                else:
                    apdu += _action_response(*self._invoke(ci, ln, method, value, sr))
        else:  # with a parameter block: not offered by the simulator
            raise GXDLMSConfirmedServiceError(1, 6, 0)
        self._send_apdu(bytes(apdu))

    @staticmethod
    def _method_descriptor(data: GXByteBuffer) -> tuple[int, bytes, int]:
        ci = data.getUInt16()
        ln = bytearray(6)
        data.get(ln)
        return ci, bytes(ln), data.getUInt8()

    def _invoke(
        self, ci: int, ln: bytes, method: int, parameters: Any, sr: GXServerReply
    ) -> tuple[int, bytes | None]:
        """One method invocation: (action result, encoded return data or None)."""
        settings = self.settings
        obj = self._find(ci, ln)
        if obj is None:
            return ErrorCode.UNDEFINED_OBJECT, None
        if isinstance(obj, GXDLMSAssociationLogicalName) and method == 1:
            return self._hls_reply(obj, parameters, sr)
        e = ServerValueEventArgs(self, obj, method, 0, parameters)
        if self.onGetMethodAccess(e) == MethodAccessMode.NO_ACCESS:
            return ErrorCode.READ_WRITE_DENIED, None
        self.onPreAction([e])
        reply = e.eventValue if e.handled else obj.invoke(settings, e)
        self.onPostAction([e])
        if reply is None or e.error != ErrorCode.OK:
            return e.error, None
        bb = GXByteBuffer()
        _GXCommon.setData(settings, bb, _GXCommon.getDLMSDataType(reply), reply)
        return e.error, bytes(bb.array())

    def _hls_reply(
        self, association: GXDLMSAssociationLogicalName, parameters: Any, sr: GXServerReply
    ) -> tuple[int, bytes | None]:
        """HLS pass 3 (check the client's f(StoC)) and pass 4 (our f(CtoS)) (S12)."""
        settings = self.settings
        if settings.authentication != Authentication.HIGH_GMAC or not isinstance(
            parameters, (bytes, bytearray)
        ):
            return ErrorCode.READ_WRITE_DENIED, None
        if association.associationStatus != AssociationStatus.ASSOCIATION_PENDING:
            return ErrorCode.READ_WRITE_DENIED, None
        reply = bytes(parameters)
        ok = (
            len(reply) == 17
            and reply[0] == 0x10
            and settings.sourceSystemTitle is not None
            and self.verify_gmac(
                bytes(settings.sourceSystemTitle),
                int.from_bytes(reply[1:5], "big"),
                bytes(settings.stoCChallenge),
                reply[5:],
            )
        )
        if not ok:
            association.associationStatus = AssociationStatus.NON_ASSOCIATED
            self.onInvalidConnection(sr.connectionInfo)
            return ErrorCode.OTHER_REASON, None
        cipher = settings.cipher
        counter = cipher.invocationCounter
        tag = self.gmac(bytes(cipher.systemTitle), counter, bytes(settings.ctoSChallenge))
        cipher.invocationCounter = counter + 1
        association.associationStatus = AssociationStatus.ASSOCIATED
        settings.connected |= ConnectionState.DLMS
        self.onConnected(sr.connectionInfo)
        bb = GXByteBuffer()
        _GXCommon.setData(
            settings, bb, DataType.OCTET_STRING, b"\x10" + counter.to_bytes(4, "big") + tag
        )
        return ErrorCode.OK, bytes(bb.array())

    def gmac(self, system_title: bytes, counter: int, challenge: bytes) -> bytes:
        """GMAC tag (12 bytes) over SC || AK || challenge, IV = system title || counter."""
        cipher = self.settings.cipher
        p = AesGcmParameter(0x10, system_title, cipher.blockCipherKey, cipher.authenticationKey)
        p.security = Security.AUTHENTICATION
        p.invocationCounter = counter
        out = bytes(GXCiphering.encrypt(p, challenge))
        # gurux returns SC || IC || tag (or tag alone depending on its version): take the tag.
        return out[-12:]

    def verify_gmac(self, system_title: bytes, counter: int, challenge: bytes, tag: bytes) -> bool:
        import hmac

        return hmac.compare_digest(self.gmac(system_title, counter, challenge), tag)


def _action_response(status: int, result_data: bytes | None) -> bytes:
    """Action-Response-With-Optional-Data: the result, then return-parameters (data) or none."""
    if result_data is None:
        return bytes((status, 0))
    return bytes((status, 1, 0)) + result_data


def _object_count(count: int) -> bytes:
    bb = GXByteBuffer()
    _GXCommon.setObjectCount(count, bb)
    return bytes(bb.array())
