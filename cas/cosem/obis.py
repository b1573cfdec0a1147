"""OBIS codes (IEC 62056-6-1): text <-> the 6 octets of a COSEM instance-id."""

from __future__ import annotations

import re

from cas.cosem.errors import ObisError

# "1.0.1.8.0.255" or the IEC form "1-0:1.8.0.255" (also "*255" for the last group).
_OBIS = re.compile(r"(\d{1,3})[.-](\d{1,3})[.:](\d{1,3})\.(\d{1,3})\.(\d{1,3})[.*](\d{1,3})")


def obis_to_bytes(text: str) -> bytes:
    """``"1.0.1.8.0.255"`` (or ``"1-0:1.8.0.255"``) -> ``b"\\x01\\x00\\x01\\x08\\x00\\xff"``."""
    match = _OBIS.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ObisError(f"not an OBIS code (A.B.C.D.E.F): {text!r}")
    groups = [int(group) for group in match.groups()]
    if any(group > 255 for group in groups):
        raise ObisError(f"OBIS groups are 0..255: {text!r}")
    return bytes(groups)


def obis_from_bytes(raw: bytes) -> str:
    """6 octets -> ``"A.B.C.D.E.F"``."""
    if len(raw) != 6:
        raise ObisError(f"an OBIS code has 6 octets, got {len(raw)}")
    return ".".join(str(octet) for octet in raw)
