"""Data-link layers under the xDLMS APDUs: IP wrapper and HDLC (sans-IO).

A link turns an APDU into the frames to send, and a received frame into an event: a
complete APDU, frames to send back (HDLC receive-ready while a segmented APDU arrives), an
acknowledgement of our own segment, or an HDLC U-frame (UA, DM, FRMR). HDLC frame numbering
stays in gurux's settings (``getNextSend`` / ``checkFrame`` / ``getReceiverReady``) so the
frames gurux builds for the association and ours share one sequence.
"""

from __future__ import annotations

import binascii
import logging
from dataclasses import dataclass, field

from cas.dlms.errors import FrameError, ProtocolError

logger = logging.getLogger(__name__)

LLC_REQUEST = b"\xe6\xe6\x00"
LLC_RESPONSE = b"\xe6\xe7\x00"

# HDLC control field values (P/F bit set where a client sees them).
UA = 0x73
DM = 0x1F
FRMR = 0x97
UI = 0x13


@dataclass(slots=True)
class LinkEvent:
    apdu: bytes | None = None  # a complete APDU arrived
    send: list[bytes] = field(default_factory=list)  # frames to send at once
    acknowledged: bool = False  # HDLC: the meter acknowledged one of our segments (RR)
    control: int | None = None  # HDLC: a U-frame arrived (UA, DM, FRMR)
    info: bytes = b""  # the U-frame's information field


class WrapperLink:
    """IEC 62056-47 wrapper: one frame carries one complete APDU."""

    def __init__(self, client_address: int, server_address: int, max_apdu: int) -> None:
        self.client_address = client_address
        self.server_address = server_address
        self.max_apdu = max_apdu
        self._header = bytes((0, 1)) + client_address.to_bytes(2, "big")
        self._header += server_address.to_bytes(2, "big")

    def frames(self, apdu: bytes) -> list[bytes]:
        if len(apdu) > 0xFFFF:
            raise ProtocolError("APDU longer than a wrapper frame can carry")
        return [self._header + len(apdu).to_bytes(2, "big") + apdu]

    def receive(self, frame: bytes) -> LinkEvent:
        source = frame[2] << 8 | frame[3]
        destination = frame[4] << 8 | frame[5]
        if source != self.server_address or destination != self.client_address:
            # Another wPort pair (for instance a push to another client): not our answer.
            logger.debug("wrapper frame %d->%d ignored", source, destination)
            return LinkEvent()
        if len(frame) == 8:
            raise FrameError("empty wrapper frame")
        return LinkEvent(apdu=frame[8:])


_BIT_REVERSE = bytes(int(f"{byte:08b}"[::-1], 2) for byte in range(256))


def fcs16(data: bytes) -> int:
    """HDLC FCS (CRC-16/X.25) as transmitted, least significant byte first, read big-endian.

    Computed with the C-speed ``binascii.crc_hqx`` (CRC-CCITT, not reflected) over
    bit-reversed bytes: the same polynomial, so reversing input and output gives X.25.
    """
    crc = binascii.crc_hqx(data.translate(_BIT_REVERSE), 0xFFFF)
    crc = int(f"{crc:016b}"[::-1], 2) ^ 0xFFFF
    return (crc & 0xFF) << 8 | crc >> 8


def _address_end(frame: bytes, start: int) -> int:
    for index in range(start, min(start + 4, len(frame))):
        if frame[index] & 0x01:
            return index + 1
    raise FrameError("HDLC address field not terminated")


class HdlcLink:
    """IEC 62056-46 HDLC as a client: segmentation, receive-ready, CRC and address checks."""

    def __init__(self, settings, max_apdu: int) -> None:
        from gurux_dlms.GXDLMS import GXDLMS

        self._gxdlms = GXDLMS
        self.settings = settings
        self.max_apdu = max_apdu
        self._segments: list[bytes] = []
        self._size = 0

    def _expected(self) -> tuple[bytes, bytes]:
        gx = self._gxdlms
        client = bytes(gx.getAddressBytes(self.settings.clientAddress, 1))
        server = bytes(
            gx.getAddressBytes(self.settings.serverAddress, self.settings.serverAddressSize)
        )
        return client, server

    def frames(self, apdu: bytes) -> list[bytes]:
        """I-frames carrying ``apdu`` (LLC header added), segmented to the negotiated size."""
        from gurux_dlms.GXByteBuffer import GXByteBuffer

        data = GXByteBuffer(bytearray(LLC_REQUEST + apdu))
        frames = []
        control = 0  # gurux: 0 = first I-frame of a message (next send sequence)
        while data.position != len(data):
            frames.append(bytes(self._gxdlms.getHdlcFrame(self.settings, control, data)))
            if data.position != len(data):
                control = self.settings.getNextSend(False)
        return frames

    def control_frame(self, control: int) -> bytes:
        return bytes(self._gxdlms.getHdlcFrame(self.settings, control, None))

    def receive(self, frame: bytes) -> LinkEvent:
        body = frame[1:-1]
        segmented = bool(body[0] & 0x08)
        destination_end = _address_end(body, 2)
        source_end = _address_end(body, destination_end)
        control_index = source_end
        if control_index >= len(body) - 2:
            raise FrameError("HDLC frame too short for its header")
        control = body[control_index]
        header_end = control_index + 1
        if len(body) == header_end + 2:
            info = b""
        else:
            if fcs16(body[:header_end]) != int.from_bytes(body[header_end : header_end + 2]):
                raise FrameError("bad HDLC header CRC")
            info = body[header_end + 2 : -2]
        if fcs16(body[:-2]) != int.from_bytes(body[-2:]):
            raise FrameError("bad HDLC frame CRC")
        client, server = self._expected()
        if body[2:destination_end] != client or body[destination_end:source_end] != server:
            logger.debug("HDLC frame for another address pair ignored")
            return LinkEvent()

        if control & 0x01 == 0:  # I-frame
            if not self.settings.checkFrame(control, None):
                logger.debug("HDLC I-frame 0x%02X out of sequence ignored", control)
                return LinkEvent()
            return self._information(info, segmented)
        if control & 0x03 == 0x01:  # S-frame
            kind = (control >> 2) & 0x03
            if kind == 2:
                raise ProtocolError("the meter rejected our HDLC frame (REJ)")
            if not self.settings.checkFrame(control, None):
                return LinkEvent()
            return LinkEvent(acknowledged=True)
        if control in (UI, UI & ~0x10):
            logger.debug("HDLC UI frame (push) ignored during a request")
            return LinkEvent()
        return LinkEvent(control=control, info=info)

    def _information(self, info: bytes, segmented: bool) -> LinkEvent:
        if not self._segments:
            if info[:3] != LLC_RESPONSE:
                raise FrameError("HDLC information field without the LLC header")
            info = info[3:]
        self._size += len(info)
        if self._size > self.max_apdu:
            self.reset()
            raise FrameError(f"segmented APDU exceeds {self.max_apdu} bytes")
        self._segments.append(info)
        if segmented:
            return LinkEvent(send=[self.control_frame(self.settings.getReceiverReady())])
        apdu = b"".join(self._segments)
        self.reset()
        return LinkEvent(apdu=apdu)

    def reset(self) -> None:
        self._segments = []
        self._size = 0
