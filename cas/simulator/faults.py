"""Faults a simulated meter injects on demand, and the byte surgery they need.

Faults that act on bytes are applied at the socket edge (the connection), after gurux has
produced a correct reply; ``wrong_keys`` is the only one that changes what the meter
itself believes (its keys and password).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from cas.simulator import frames

# First byte of an APDU that carries a ciphered xDLMS APDU (glo-/ded-ciphered responses,
# general-glo/ded-ciphering).
CIPHERED_APDU_TAGS = frozenset(
    {0xCC, 0xCD, 0xCF, 0xD4, 0xD5, 0xD7, 0xDB, 0xDC, 0x28, 0x29, 0xCA, 0xCB}
)
OVERSIZED_STREAM_LIMIT = 16 * 1024 * 1024  # bytes streamed by the oversized fault at most


@dataclass
class Faults:
    """What a meter does wrong, set by tests at run time (all off by default)."""

    no_answer: bool = False  # reads requests, never replies
    delay: float = 0.0  # seconds to wait before each reply
    garbage: bool = False  # replies random bytes instead of the answer
    close: bool = False  # closes the connection on the next request
    truncate: bool = False  # sends half of the reply frame, then stalls
    oversized: bool = False  # announces a huge frame and streams bytes
    wrong_keys: bool = False  # uses keys/password other than the registry's
    flip_tag: bool = False  # flips a bit of the GCM tag of ciphered replies
    replay: bool = False  # answers with an earlier ciphered reply, bit for bit

    def reset(self) -> None:
        for f in fields(self):
            setattr(self, f.name, f.default)

    def active(self) -> list[str]:
        return [f.name for f in fields(self) if getattr(self, f.name) != f.default]


def is_ciphered_reply(frame: bytes, hdlc: bool) -> bool:
    """Does this (first or only) reply frame carry a ciphered APDU?"""
    try:
        start = frames.apdu_start(frame, hdlc)
    except IndexError:
        return False
    if hdlc and frame[start - 3 : start] != b"\xe6\xe7\x00":
        return False
    return len(frame) > start and frame[start] in CIPHERED_APDU_TAGS


def flip_tag_bit(frame: bytes, hdlc: bool) -> bytes:
    """Flip the low bit of the last byte of the frame's information: the GCM tag's last
    byte when the frame ends a ciphered APDU. HDLC checksums are recomputed, so only the
    GCM tag check can notice."""
    out = bytearray(frame)
    if hdlc:
        out[-4] ^= 0x01
        return frames.hdlc_recompute_checks(bytes(out))
    out[-1] ^= 0x01
    return bytes(out)


def replayed(captured: bytes, fresh: bytes, hdlc: bool) -> bytes:
    """An earlier reply, sent again. WRAPPER: bit for bit. HDLC: the same frame with the
    fresh reply's control byte (so the APDU, not the HDLC sequence, is what is replayed)."""
    if not hdlc:
        return captured
    control = fresh[frames.hdlc_information_start(fresh) - 3]
    return frames.hdlc_with_control(captured, control)


def oversized_header(hdlc: bool) -> bytes:
    """A frame header that announces more than any sane buffer should accept."""
    if hdlc:
        return bytes((frames.HDLC_FLAG, 0xA7, 0xFF))  # 2047 bytes, the HDLC maximum
    return b"\x00\x01\x00\x01\x00\x10\xff\xff"  # 65535-byte wrapper frame


def stream_filler(size: int) -> bytes:
    """Bytes that never contain an HDLC flag nor form a wrapper header."""
    return bytes((0x55,)) * size
