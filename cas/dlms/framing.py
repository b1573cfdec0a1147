"""Cut a TCP byte stream into frames, with a bounded buffer (sans-IO).

gurux's own receive path returns "not complete yet" forever on garbage and keeps every byte
it was given. These framers decide early: a stream that cannot be a frame, or a frame longer
than allowed, raises FrameError; a frame that is only partly there is reported by
``pending`` so the caller can tell a truncated frame from silence.
"""

from __future__ import annotations

from cas.dlms.errors import FrameError

HDLC_FLAG = 0x7E
WRAPPER_HEADER = 8
WRAPPER_VERSION = 1
HDLC_MAX_FRAME = 2047 + 2  # 11-bit length field, plus the two flags


class WrapperFramer:
    """IEC 62056-47 wrapper: version (2) source wPort (2) destination wPort (2) length (2)."""

    def __init__(self, max_payload: int) -> None:
        self.max_payload = max_payload
        self._buffer = bytearray()

    @property
    def pending(self) -> int:
        """Bytes received that do not form a complete frame yet."""
        return len(self._buffer)

    def feed(self, data: bytes) -> None:
        self._buffer += data
        self._check_header()

    def _check_header(self) -> None:
        buffer = self._buffer
        if len(buffer) >= 2 and (buffer[0] << 8 | buffer[1]) != WRAPPER_VERSION:
            raise FrameError(f"not a wrapper frame (version {buffer[0] << 8 | buffer[1]})")
        if len(buffer) >= WRAPPER_HEADER:
            length = buffer[6] << 8 | buffer[7]
            if length > self.max_payload:
                raise FrameError(
                    f"wrapper frame announces {length} bytes, more than the {self.max_payload} "
                    "allowed"
                )

    def next_frame(self) -> bytes | None:
        buffer = self._buffer
        if len(buffer) < WRAPPER_HEADER:
            return None
        end = WRAPPER_HEADER + (buffer[6] << 8 | buffer[7])
        if len(buffer) < end:
            return None
        frame = bytes(buffer[:end])
        del buffer[:end]
        self._check_header()
        return frame


class HdlcFramer:
    """IEC 62056-46 HDLC frame format type 3: flag, A0..AF + 11-bit length, ..., flag."""

    def __init__(self, max_frame: int = HDLC_MAX_FRAME) -> None:
        self.max_frame = max_frame
        self._buffer = bytearray()

    @property
    def pending(self) -> int:
        # A lone flag (the closing flag of the last frame, kept as a possible opening flag)
        # is not a partial frame.
        buffer = self._buffer
        return 0 if all(byte == HDLC_FLAG for byte in buffer) else len(buffer)

    def feed(self, data: bytes) -> None:
        self._buffer += data
        self._check_start()

    def _check_start(self) -> None:
        buffer = self._buffer
        while len(buffer) >= 2 and buffer[0] == HDLC_FLAG and buffer[1] == HDLC_FLAG:
            del buffer[0]  # inter-frame flags
        if not buffer:
            return
        if buffer[0] != HDLC_FLAG:
            raise FrameError("garbage where an HDLC flag was expected")
        if len(buffer) >= 2 and buffer[1] & 0xF0 != 0xA0:
            raise FrameError(f"not an HDLC frame format (0x{buffer[1]:02X})")
        if len(buffer) >= 3:
            length = (buffer[1] & 0x07) << 8 | buffer[2]
            if length < 7:
                raise FrameError(f"HDLC frame too short ({length} bytes)")
            if length + 2 > self.max_frame:
                raise FrameError(f"HDLC frame of {length} bytes exceeds {self.max_frame - 2}")

    def next_frame(self) -> bytes | None:
        """The next complete frame, flags included."""
        buffer = self._buffer
        if len(buffer) < 3 or buffer[0] != HDLC_FLAG:
            return None
        end = ((buffer[1] & 0x07) << 8 | buffer[2]) + 2
        if len(buffer) < end:
            return None
        if buffer[end - 1] != HDLC_FLAG:
            raise FrameError("HDLC frame does not end with a flag (length or framing wrong)")
        frame = bytes(buffer[:end])
        del buffer[: end - 1]  # the closing flag may also open the next frame
        self._check_start()
        return frame
