"""A-XDR primitives shared by the Data and APDU codecs: lengths, fixed-size integers,
octet strings, booleans, OPTIONAL usage flags and ENUMERATED octets.

Readers take ``(buf, pos)`` and return ``(value, new_pos)``, raising CosemDecodeError with
the offset; a length is checked against the octets that remain before anything is sliced.
Writers append to a ``bytearray`` and raise CosemEncodeError.
"""

from __future__ import annotations

from typing import Any

from cas.cosem.errors import CosemDecodeError, CosemEncodeError


def truncated(pos: int, what: str) -> CosemDecodeError:
    return CosemDecodeError(pos, f"truncated: {what} expected")


def read_u8(buf: bytes, pos: int, what: str) -> tuple[int, int]:
    if pos >= len(buf):
        raise truncated(pos, what)
    return buf[pos], pos + 1


def read_uint(buf: bytes, pos: int, size: int, what: str) -> tuple[int, int]:
    end = pos + size
    if end > len(buf):
        raise truncated(pos, what)
    return int.from_bytes(buf[pos:end], "big"), end


def read_length(buf: bytes, pos: int, what: str = "length") -> tuple[int, int]:
    """A-XDR length: one octet below 0x80, else 0x8N followed by N (1..4) octets."""
    if pos >= len(buf):
        raise truncated(pos, what)
    first = buf[pos]
    if first < 0x80:
        return first, pos + 1
    size = first & 0x7F
    if not 1 <= size <= 4:
        raise CosemDecodeError(pos, f"bad {what}: length-of-length {size}")
    return read_uint(buf, pos + 1, size, what)


def read_octets(buf: bytes, pos: int, what: str) -> tuple[bytes, int]:
    """A length-prefixed octet string; the length is checked before slicing."""
    start = pos
    size, pos = read_length(buf, pos, f"{what} length")
    end = pos + size
    if end > len(buf):
        raise CosemDecodeError(
            start, f"{what} of {size} octets exceeds the {len(buf) - pos} remaining"
        )
    return buf[pos:end], end


def read_optional_flag(buf: bytes, pos: int, what: str) -> tuple[bool, int]:
    """The A-XDR usage flag of an OPTIONAL/DEFAULT component: 00 absent, 01 present."""
    flag, new = read_u8(buf, pos, what)
    if flag > 1:
        raise CosemDecodeError(pos, f"bad presence flag 0x{flag:02X} for {what}")
    return flag == 1, new


def read_boolean(buf: bytes, pos: int, what: str) -> tuple[bool, int]:
    value, pos = read_u8(buf, pos, what)
    return value != 0, pos


def write_length(size: int, out: bytearray) -> None:
    if size < 0x80:
        out.append(size)
    elif size <= 0xFF:
        out += b"\x81" + size.to_bytes(1, "big")
    elif size <= 0xFFFF:
        out += b"\x82" + size.to_bytes(2, "big")
    elif size <= 0xFFFFFF:
        out += b"\x83" + size.to_bytes(3, "big")
    elif size <= 0xFFFFFFFF:
        out += b"\x84" + size.to_bytes(4, "big")
    else:
        raise CosemEncodeError(f"length {size} does not fit an A-XDR length")


def write_octets(value: Any, out: bytearray) -> None:
    if not isinstance(value, (bytes, bytearray)):
        raise CosemEncodeError(f"octets expected, got {type(value).__name__}")
    write_length(len(value), out)
    out += value


_UINT_RANGE = {1: "0..255", 2: "0..65535", 4: "0..4294967295"}


def write_uint(value: Any, size: int, out: bytearray) -> None:
    if type(value) is not int or not 0 <= value < 1 << (8 * size):
        raise CosemEncodeError(f"{value!r} is out of range ({_UINT_RANGE[size]})")
    out += value.to_bytes(size, "big")


def write_int(value: Any, size: int, out: bytearray) -> None:
    low = -(1 << (8 * size - 1))
    if type(value) is not int or not low <= value < -low:
        raise CosemEncodeError(f"{value!r} is out of range ({low}..{-low - 1})")
    out += value.to_bytes(size, "big", signed=True)


def write_boolean(value: Any, out: bytearray) -> None:
    if type(value) is not bool:
        raise CosemEncodeError(f"true or false expected, got {value!r}")
    out.append(1 if value else 0)


def write_optional_flag(present: bool, out: bytearray) -> None:
    out.append(1 if present else 0)


def enum_number(value: Any, table: dict, what: str) -> int:
    """The number of an ENUMERATED value given as its enum member or as a plain number."""
    if type(value) is int:
        if not 0 <= value <= 255:
            raise CosemEncodeError(f"{value} is out of range for {what} (0..255)")
        return value
    try:
        return table[value]
    except (KeyError, TypeError):
        raise CosemEncodeError(f"{value!r} is not a {what}") from None


def enum_member(number: int, table: dict, pos: int, what: str, allow_unknown: bool) -> Any:
    member = table.get(number)
    if member is not None:
        return member
    if allow_unknown:
        return number
    raise CosemDecodeError(pos, f"unknown {what} {number}")
