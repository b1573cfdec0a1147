"""The few A-XDR encodings the simulator writes itself (exact types, no gurux guessing).

Dynamic attribute values are encoded here and handed to gurux as raw bytes, so their types
are exactly the ones the simulator documents (gurux infers types from Python values and
mis-encodes some, e.g. a register scaler of 1000).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

NULL = b"\x00"
ARRAY = 0x01
STRUCTURE = 0x02
BOOLEAN = 0x03
DOUBLE_LONG_UNSIGNED = 0x06
OCTET_STRING = 0x09
VISIBLE_STRING = 0x0A
INTEGER = 0x0F
LONG = 0x10
UNSIGNED = 0x11
LONG_UNSIGNED = 0x12
ENUM = 0x16

_NOT_SPECIFIED_DEVIATION = 0x8000


def length(n: int) -> bytes:
    """A-XDR length / element count."""
    if n < 0x80:
        return bytes((n,))
    size = (n.bit_length() + 7) // 8
    return bytes((0x80 | size,)) + n.to_bytes(size, "big")


def structure(items: Iterable[bytes]) -> bytes:
    items = list(items)
    return bytes((STRUCTURE,)) + length(len(items)) + b"".join(items)


def array(items: Iterable[bytes]) -> bytes:
    items = list(items)
    return bytes((ARRAY,)) + length(len(items)) + b"".join(items)


def boolean(value: bool) -> bytes:
    return bytes((BOOLEAN, 0xFF if value else 0x00))


def double_long_unsigned(value: int) -> bytes:
    return bytes((DOUBLE_LONG_UNSIGNED,)) + value.to_bytes(4, "big")


def long_unsigned(value: int) -> bytes:
    return bytes((LONG_UNSIGNED,)) + value.to_bytes(2, "big")


def long(value: int) -> bytes:
    return bytes((LONG,)) + value.to_bytes(2, "big", signed=True)


def unsigned(value: int) -> bytes:
    return bytes((UNSIGNED, value))


def integer(value: int) -> bytes:
    return bytes((INTEGER,)) + value.to_bytes(1, "big", signed=True)


def enum(value: int) -> bytes:
    return bytes((ENUM, value))


def octet_string(value: bytes) -> bytes:
    return bytes((OCTET_STRING,)) + length(len(value)) + bytes(value)


def visible_string(value: str) -> bytes:
    raw = value.encode("ascii")
    return bytes((VISIBLE_STRING,)) + length(len(raw)) + raw


def cosem_datetime(at: datetime) -> bytes:
    """The 12-byte COSEM date-time of a UTC instant (deviation 0, status 0)."""
    at = at.astimezone(UTC)
    return (
        at.year.to_bytes(2, "big")
        + bytes(
            (
                at.month,
                at.day,
                at.isoweekday(),
                at.hour,
                at.minute,
                at.second,
                at.microsecond // 10000,
            )
        )
        + b"\x00\x00\x00"
    )


def parse_cosem_datetime(raw: bytes) -> datetime:
    """A 12-byte COSEM date-time as a UTC instant.

    Deviation is "minutes of local time to UTC" (Blue Book: UTC = local + deviation);
    0x8000 (not specified) is read as UTC. Unspecified fields (0xFF) are not accepted.
    """
    if len(raw) != 12:
        raise ValueError(f"a COSEM date-time has 12 bytes, got {len(raw)}")
    year = int.from_bytes(raw[0:2], "big")
    month, day, _dow, hour, minute, second, hundredths = raw[2:9]
    hundredths = 0 if hundredths == 0xFF else hundredths
    local = datetime(year, month, day, hour, minute, second, hundredths * 10000, tzinfo=UTC)
    deviation = int.from_bytes(raw[9:11], "big", signed=False)
    if deviation == _NOT_SPECIFIED_DEVIATION:
        return local
    if deviation >= 0x8000:
        deviation -= 0x10000
    return local + timedelta(minutes=deviation)


def datetime_value(at: datetime) -> bytes:
    """A date-time as the octet-string Data a COSEM clock or profile carries."""
    return octet_string(cosem_datetime(at))
