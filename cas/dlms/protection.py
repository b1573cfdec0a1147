"""Ciphering of the xDLMS APDUs of one association (security suite 0, global key).

Requests are wrapped in glo-ciphering with the gateway's next invocation counter; responses
must come back with the same protection (no downgrade), a verifying tag, the meter's system
title and an invocation counter higher than any seen from that meter before.
"""

from __future__ import annotations

from cas.dlms import gcm, xdlms
from cas.dlms.counters import MeterCounters
from cas.dlms.errors import ProtocolError, SecurityError

EXCEPTION_DECIPHERING_ERROR = 5
EXCEPTION_INVOCATION_COUNTER_ERROR = 6


class Protection:
    """Seal requests and open responses for one meter; ``security`` 0 means plaintext."""

    def __init__(
        self,
        security: int,
        client_title: bytes,
        meter_title: bytes,
        block_cipher_key: bytes | None,
        authentication_key: bytes | None,
        counters: MeterCounters,
    ) -> None:
        self.security = security
        self.client_title = client_title
        self.meter_title = meter_title
        self._ek = block_cipher_key or b""
        self._ak = authentication_key or b""
        self.counters = counters
        if security and (len(self._ek) not in (16, 32) or len(self._ak) not in (16, 32)):
            raise ValueError("a ciphered association needs a block cipher and authentication key")

    @property
    def ciphered(self) -> bool:
        return self.security != 0

    def seal(self, apdu: bytes) -> bytes:
        if not self.security:
            return apdu
        tag_byte = xdlms.GLO_REQUEST[apdu[0]]
        counter = self.counters.take()
        payload, tag = gcm.seal(self.security, self.client_title, counter, self._ek, self._ak, apdu)
        content = bytes((self.security,)) + counter.to_bytes(4, "big") + payload + tag
        return bytes((tag_byte,)) + xdlms.encode_length(len(content)) + content

    def open(self, apdu: bytes) -> bytes:
        """A received APDU -> its plaintext (checks protection, tag, title and counter)."""
        if not apdu:
            raise ProtocolError("empty APDU")
        tag_byte = apdu[0]
        if tag_byte in xdlms.GLO_RESPONSE or tag_byte in xdlms.DED_RESPONSE:
            offset, title = 1, self.meter_title
            if tag_byte in xdlms.DED_RESPONSE:
                raise SecurityError("dedicated-key ciphering was not negotiated")
        elif tag_byte == xdlms.GENERAL_GLO_CIPHERING:
            title_length, offset = xdlms.decode_length(apdu, 1)
            title = apdu[offset : offset + title_length] or self.meter_title
            offset += title_length
            if title != self.meter_title:
                raise SecurityError("ciphered APDU from another system title")
        elif tag_byte == xdlms.GENERAL_DED_CIPHERING:
            raise SecurityError("dedicated-key ciphering was not negotiated")
        else:
            return self._plain(apdu)
        if not self.security:
            raise SecurityError("ciphered APDU in an association without ciphering")
        length, start = xdlms.decode_length(apdu, offset)
        if start + length != len(apdu):
            raise ProtocolError("ciphered APDU length does not match its content")
        try:
            control, counter, payload, tag = gcm.split_content(apdu[start:])
        except ValueError as exc:
            raise ProtocolError(str(exc)) from None
        if control != self.security:
            raise SecurityError(
                f"response protected with security control 0x{control:02X}, "
                f"0x{self.security:02X} expected"
            )
        try:
            plaintext = gcm.open_(control, title, counter, self._ek, self._ak, payload, tag)
        except gcm.TagMismatch:
            raise SecurityError(
                f"meter {self.meter_title.hex().upper()}: GCM tag does not verify "
                "(wrong keys or tampered response)"
            ) from None
        self.counters.check_received(counter)  # only after the tag proved the counter genuine
        return plaintext

    def _plain(self, apdu: bytes) -> bytes:
        if not self.security:
            return apdu
        if apdu[0] == xdlms.EXCEPTION_RESPONSE and len(apdu) >= 3:
            # Meters answer in clear when they cannot decipher: unauthenticated, so it is
            # reported as a security failure, never handed back as the meter's answer.
            meter = self.meter_title.hex().upper()
            if apdu[2] == EXCEPTION_DECIPHERING_ERROR:
                raise SecurityError(f"meter {meter} could not decipher the request (wrong keys?)")
            if apdu[2] == EXCEPTION_INVOCATION_COUNTER_ERROR:
                raise SecurityError(f"meter {meter} rejected the gateway's invocation counter")
        if apdu[0] in xdlms.NOTIFICATIONS:
            return apdu  # pushes are not answers; the session skips them
        # Not handed back: nothing unauthenticated is ever passed off as the meter's answer
        # (the bytes are quoted: an error APDU carries no secret).
        raise SecurityError(
            f"unprotected response in a ciphered association: {apdu[:8].hex().upper()}"
        )
