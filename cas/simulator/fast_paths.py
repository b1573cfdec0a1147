"""Plain IP-wrapper requests answered without gurux, for ``MeterServer``.

The same reply bytes and the same gurux settings afterwards as gurux's own path (checked
side by side in tests/simulator/test_fast_paths.py), for ~3x less CPU:

- a get-request-normal without selective access (C0 01 invoke class LN attribute 00),
  answered from the same object read as gurux's path (``_read``); a reply too big for one
  APDU is still framed by gurux (block transfer);
- a release request (RLRQ): RLRE, association released;
- security none: an AARQ seen before by a freshly bound server. Its effect depends on the
  AARQ's bytes alone (not on the meter, but for its address in the wrapper header), so the
  AARE and the settings it changed are kept (a few, per fleet kind) and replayed.

Anything else (HDLC, ciphered associations, other services, odd frames) goes through gurux.
"""

from __future__ import annotations

from typing import Any

from gurux_dlms.ConnectionState import ConnectionState
from gurux_dlms.enums import Command, ErrorCode
from gurux_dlms.GXDLMS import GXDLMS

from cas.simulator.frames import wrapper_destination
from cas.simulator.gurux_server_fixes import RLRE_NORMAL

# wrapper header (8) + get-request-normal: C0 01 invoke, class (2), LN (6), attribute, 00
_GET_NORMAL_FRAME = 8 + 13

# (transport, security, max PDU size, AARQ frame without its destination) ->
# (AARE frame, the settings the AARQ changed)
_KNOWN_AARQS: dict[tuple[Any, ...], tuple[bytes, tuple[dict[str, Any], ...]]] = {}
_KNOWN_AARQS_MAX = 64


class PlainWrapperShortcuts:
    """Mixin of ``MeterServer``, which provides the gurux server (``settings``,
    ``replyData``, ``reset``, ``onConnected``/``onDisconnected``), the object read and the
    GET framing of ``FixedSecureServer`` (``_read``, ``_send_get_response``) and its own
    ``_scalar_settings``/``_update_settings``."""

    fast: bool  # plain IP-wrapper associations: shortcuts allowed
    remembers_aarqs: bool  # security none: AARQs seen before are replayed
    settings: Any
    replyData: Any
    transport: Any
    security: Any
    max_pdu_size: int
    _expected_server: int
    _long_get: Any

    def _fast(self, frame: bytes, pristine: bool) -> bytes | None:
        command = frame[8]
        if self.settings.connected & ConnectionState.DLMS:
            if command == Command.GET_REQUEST:
                return self._fast_get(frame)
            if command == Command.RELEASE_REQUEST:
                return self._fast_release(frame)
            return None
        if pristine and command == Command.AARQ and self.remembers_aarqs:
            return self._known_aarq(frame)
        return None

    def _addressed_to_us(self, frame: bytes) -> bool:
        settings = self.settings
        return frame[2:6] == (
            settings.clientAddress.to_bytes(2, "big") + settings.serverAddress.to_bytes(2, "big")
        )

    def _wrapper(self, apdu: bytes) -> bytes:
        settings = self.settings
        return (
            b"\x00\x01"
            + settings.serverAddress.to_bytes(2, "big")
            + settings.clientAddress.to_bytes(2, "big")
            + len(apdu).to_bytes(2, "big")
            + apdu
        )

    def _fast_get(self, frame: bytes) -> bytes | None:
        """get-request-normal (C0 01 invoke class LN attribute 00)."""
        if len(frame) != _GET_NORMAL_FRAME or frame[9] != 1 or frame[20] != 0:
            return None
        if not self._addressed_to_us(frame):
            return None
        settings = self.settings
        invoke = frame[10]
        settings.updateInvokeId(invoke)
        self._long_get = None
        self.replyData.clear()
        status, encoded = self._read(
            int.from_bytes(frame[11:13], "big"), frame[13:19], frame[19], 0, None
        )
        settings.resetBlockIndex()
        if status == ErrorCode.OK and len(encoded) + 16 > settings.maxPduSize:
            self._send_get_response(invoke, 1, status, encoded)  # blocks: gurux frames them
            return bytes(GXDLMS.getWrapperFrame(settings, Command.GET_REQUEST, self.replyData))
        settings.command = Command.GET_RESPONSE  # as gurux's GXDLMSLNParameters leaves it
        if invoke == 0:
            invoke = GXDLMS.getInvokeIDPriority(settings)
        if status == ErrorCode.OK:
            return self._wrapper(bytes((Command.GET_RESPONSE, 1, invoke, 0)) + encoded)
        return self._wrapper(bytes((Command.GET_RESPONSE, 1, invoke, 1, status)))

    def _fast_release(self, frame: bytes) -> bytes | None:
        if not self._addressed_to_us(frame):
            return None
        self.replyData.clear()
        self._long_get = None
        reply = self._wrapper(RLRE_NORMAL)
        self.settings.connected &= ~ConnectionState.DLMS
        self.onDisconnected(None)
        self.reset()
        return reply

    def _learns_aarq(self, frame: bytes) -> bool:
        return self.remembers_aarqs and len(frame) > 8 and frame[8] == Command.AARQ

    def _remember_aarq(
        self, frame: bytes, before: tuple[dict[str, Any], ...], reply: bytes
    ) -> None:
        """Keep what an accepted AARQ did to a freshly bound server (security none: it
        depends on the AARQ's bytes alone), to do it again without gurux."""
        if not self.settings.connected & ConnectionState.DLMS:
            return
        after = self._scalar_settings()
        changes = tuple(
            {k: v for k, v in now.items() if k not in was or was[k] != v}
            for was, now in zip(before, after, strict=True)
        )
        if any(set(was) - set(now) for was, now in zip(before, after, strict=True)):
            return
        if len(_KNOWN_AARQS) >= _KNOWN_AARQS_MAX:
            _KNOWN_AARQS.clear()
        _KNOWN_AARQS[self._aarq_key(frame)] = (reply, changes)

    def _aarq_key(self, frame: bytes) -> tuple[Any, ...]:
        """Meters differ only by their address (in the frame's header, not in the AARQ)."""
        return (self.transport, self.security, self.max_pdu_size, frame[:4] + frame[6:])

    def _known_aarq(self, frame: bytes) -> bytes | None:
        if wrapper_destination(frame) != self._expected_server:
            return None  # not for this meter: gurux ignores it
        known = _KNOWN_AARQS.get(self._aarq_key(frame))
        if known is None:
            return None
        reply, changes = known
        self._update_settings(changes)
        self.settings.serverAddress = self._expected_server
        self.onConnected(None)
        return reply[:2] + frame[4:6] + reply[4:]  # from this meter's address
