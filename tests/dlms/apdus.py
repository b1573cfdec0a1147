"""Test-only request builders and a small A-XDR reader, written from the Blue/Green Book.

The engine carries bytes and must not depend on the COSEM codec; these tests build the
request APDUs themselves and read the responses with this independent decoder.
"""

from __future__ import annotations

from datetime import UTC, datetime

INVOKE = 0xC1  # priority high, confirmed, invoke-id 1

CLOCK = (8, "0.0.1.0.0.255")
SERIAL = (1, "0.0.96.1.0.255")
ENERGY_IMPORT = (3, "1.0.1.8.0.255")
ENERGY_EXPORT = (3, "1.0.2.8.0.255")
VOLTAGE = (3, "1.0.32.7.0.255")
LOAD_PROFILE = (7, "1.0.99.1.0.255")
DISCONNECT = (70, "0.0.96.3.10.255")
MISSING = (3, "1.0.99.99.99.255")


def obis(text: str) -> bytes:
    return bytes(int(part) for part in text.split("."))


def descriptor(obj: tuple[int, str], attribute: int) -> bytes:
    class_id, ln = obj
    return class_id.to_bytes(2, "big") + obis(ln) + bytes((attribute,))


def cosem_datetime(at: datetime) -> bytes:
    at = at.astimezone(UTC)
    return (
        at.year.to_bytes(2, "big")
        + bytes((at.month, at.day, at.isoweekday(), at.hour, at.minute, at.second, 0))
        + b"\x00\x00\x00"
    )


def range_access(start: datetime, end: datetime) -> bytes:
    """Selective access by range on the clock column (selector 1), all columns."""
    restricting = bytes.fromhex("020412") + (8).to_bytes(2, "big")
    restricting += b"\x09\x06" + obis(CLOCK[1]) + bytes.fromhex("0F02120000")
    return (
        b"\x01\x01"
        + b"\x02\x04"
        + restricting
        + b"\x09\x0c"
        + cosem_datetime(start)
        + b"\x09\x0c"
        + cosem_datetime(end)
        + b"\x01\x00"
    )


def get(obj, attribute=2, access: bytes = b"\x00", invoke=INVOKE) -> bytes:
    return bytes((0xC0, 0x01, invoke)) + descriptor(obj, attribute) + access


def get_with_list(*items, invoke=INVOKE) -> bytes:
    body = b"".join(descriptor(obj, attribute) + b"\x00" for obj, attribute in items)
    return bytes((0xC0, 0x03, invoke, len(items))) + body


def set_(obj, attribute, data: bytes, invoke=INVOKE) -> bytes:
    return bytes((0xC1, 0x01, invoke)) + descriptor(obj, attribute) + b"\x00" + data


def action(obj, method, data: bytes = b"\x0f\x00", invoke=INVOKE) -> bytes:
    return bytes((0xC3, 0x01, invoke)) + descriptor(obj, method) + b"\x01" + data


# --- reading responses --------------------------------------------------------------------


class Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        chunk = self.data[self.pos : self.pos + n]
        assert len(chunk) == n, "truncated Data"
        self.pos += n
        return chunk

    def length(self) -> int:
        first = self.take(1)[0]
        if first < 0x80:
            return first
        return int.from_bytes(self.take(first & 0x7F), "big")

    def value(self):
        tag = self.take(1)[0]
        if tag == 0x00:
            return None
        if tag in (0x01, 0x02):
            return [self.value() for _ in range(self.length())]
        if tag == 0x03:
            return self.take(1) != b"\x00"
        if tag == 0x09:
            return self.take(self.length())
        if tag == 0x0A:
            return self.take(self.length()).decode("ascii")
        sizes = {0x05: (4, True), 0x06: (4, False), 0x0F: (1, True), 0x10: (2, True)}
        sizes |= {0x11: (1, False), 0x12: (2, False), 0x16: (1, False), 0x14: (8, True)}
        sizes |= {0x15: (8, False)}
        size, signed = sizes[tag]
        return int.from_bytes(self.take(size), "big", signed=signed)


def data_of(response: bytes) -> object:
    """The Data of a get-response-normal that succeeded (asserts the envelope)."""
    assert response[:2] == b"\xc4\x01", response[:8].hex()
    assert response[3] == 0x00, f"data-access-result {response[4:5].hex()}"
    reader = Reader(response[4:])
    value = reader.value()
    assert reader.pos == len(reader.data), "trailing bytes after the Data"
    return value


def cosem_time(raw: bytes) -> datetime:
    year = int.from_bytes(raw[0:2], "big")
    return datetime(year, raw[2], raw[3], raw[5], raw[6], raw[7], tzinfo=UTC)
