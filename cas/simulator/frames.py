"""Frame boundaries of the IP wrapper and of HDLC, sans-IO, with a bounded buffer.

The connection feeds received bytes in and takes complete frames out; gurux then sees one
whole frame at a time. Input that cannot be a frame is reported, never buffered forever.
"""

from __future__ import annotations

from gurux_dlms._GXFCS16 import _GXFCS16

WRAPPER_HEADER = 8
WRAPPER_VERSION = b"\x00\x01"
HDLC_FLAG = 0x7E
DEFAULT_MAX_FRAME = 8192


class FrameError(Exception):
    """The peer sent bytes that are not a frame, or a frame over the size limit."""


class FrameReader:
    """Splits a byte stream into wrapper or HDLC frames (``hdlc=True``)."""

    def __init__(self, hdlc: bool, max_frame: int = DEFAULT_MAX_FRAME) -> None:
        self.hdlc = hdlc
        self.max_frame = max_frame
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        """Add received bytes; return the frames now complete (raises FrameError)."""
        self._buffer += data
        frames = []
        while True:
            frame = self._next_hdlc() if self.hdlc else self._next_wrapper()
            if frame is None:
                break
            frames.append(frame)
        if len(self._buffer) > self.max_frame:
            raise FrameError(f"{len(self._buffer)} bytes buffered without a complete frame")
        return frames

    def _next_wrapper(self) -> bytes | None:
        buffer = self._buffer
        if len(buffer) < WRAPPER_HEADER:
            return None
        if buffer[:2] != WRAPPER_VERSION:
            raise FrameError(f"not an IP wrapper header: {bytes(buffer[:8]).hex()}")
        size = WRAPPER_HEADER + int.from_bytes(buffer[6:8], "big")
        if size > self.max_frame:
            raise FrameError(f"wrapper frame of {size} bytes over the limit {self.max_frame}")
        if len(buffer) < size:
            return None
        frame = bytes(buffer[:size])
        del buffer[:size]
        return frame

    def _next_hdlc(self) -> bytes | None:
        buffer = self._buffer
        # Skip inter-frame flags; anything else before a frame is not HDLC.
        while len(buffer) >= 2 and buffer[0] == HDLC_FLAG and buffer[1] == HDLC_FLAG:
            del buffer[0]
        if not buffer:
            return None
        if buffer[0] != HDLC_FLAG:
            raise FrameError(f"not an HDLC frame start: {bytes(buffer[:8]).hex()}")
        if len(buffer) < 3:
            return None
        if buffer[1] & 0xF0 != 0xA0:
            raise FrameError(f"not an HDLC frame format: {bytes(buffer[:3]).hex()}")
        size = ((buffer[1] & 0x07) << 8 | buffer[2]) + 2
        if len(buffer) < size:
            return None
        if buffer[size - 1] != HDLC_FLAG:
            raise FrameError("HDLC frame without a closing flag")
        frame = bytes(buffer[:size])
        del buffer[:size]
        return frame


def hdlc_information_start(frame: bytes) -> int:
    """Offset of the information field of an HDLC frame (after addresses, control, HCS)."""
    position = 3
    for _ in range(2):  # destination, then source address: last byte has the low bit set
        while not frame[position] & 1:
            position += 1
        position += 1
    return position + 1 + 2  # control byte, HCS


def hdlc_destination(frame: bytes) -> int:
    """The destination address of an HDLC frame, its 7-bit groups joined (for a server:
    the value gurux's ``getServerAddress(logical, physical)`` gives)."""
    value, position = 0, 3
    while True:
        byte = frame[position]
        value = value << 7 | byte >> 1
        if byte & 1:
            return value
        position += 1


def wrapper_destination(frame: bytes) -> int:
    """The destination wPort of an IP wrapper frame (a server's logical address)."""
    return int.from_bytes(frame[4:6], "big")


def hdlc_is_final(frame: bytes) -> bool:
    """False when the segmentation bit says more segments of this message follow."""
    return not frame[1] & 0x08


def hdlc_with_control(frame: bytes, control: int) -> bytes:
    """The same frame with another control byte, HCS and FCS recomputed."""
    info = hdlc_information_start(frame)
    out = bytearray(frame)
    out[info - 3] = control
    return hdlc_recompute_checks(bytes(out))


def hdlc_recompute_checks(frame: bytes) -> bytes:
    """Recompute the HCS (when there is an information field) and the FCS."""
    out = bytearray(frame)
    info = hdlc_information_start(frame)
    if len(frame) > info + 3:  # there is an information field: HCS then FCS
        hcs = _GXFCS16.countFCS16(out, 1, info - 3)
        out[info - 2 : info] = hcs.to_bytes(2, "big")
    fcs = _GXFCS16.countFCS16(out, 1, len(out) - 4)
    out[-3:-1] = fcs.to_bytes(2, "big")
    return bytes(out)


def apdu_start(frame: bytes, hdlc: bool) -> int:
    """Offset of the APDU in a single (first) frame: after the wrapper header or HDLC LLC."""
    if not hdlc:
        return WRAPPER_HEADER
    return hdlc_information_start(frame) + 3  # LLC bytes E6 E7 00
