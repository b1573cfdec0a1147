"""Typed errors of the COSEM codec.

Every failure says where it happened: a byte offset for A-XDR/BER input, an XPath-like
element path (``/get-request/get-request-normal/cosem-attribute-descriptor/class-id``) for
XML input and for objects that cannot be encoded.
"""

from __future__ import annotations


class CosemError(Exception):
    """Base class of every error raised by ``cas.cosem``."""


class CosemDecodeError(CosemError):
    """Bytes that are not a valid encoding (truncated, bad tag, length beyond the input,
    nesting too deep, trailing bytes, ...). ``offset`` is the byte where it was found."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(f"at byte {offset}: {reason}")
        self.offset = offset
        self.reason = reason


class _PathError(CosemError):
    """An error located by an element path; the path grows while the error propagates."""

    def __init__(self, reason: str, path: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.path = path

    def within(self, step: str) -> _PathError:
        """Prefix the path with the parent step (used while unwinding)."""
        self.path = f"/{step}{self.path}"
        return self

    def at_position(self, position: int | None) -> _PathError:
        """Add an XPath position to the first step (``/structure`` -> ``/structure[3]``)."""
        if position is not None and self.path:
            first, _, rest = self.path[1:].partition("/")
            self.path = f"/{first}[{position}]" + (f"/{rest}" if rest else "")
        return self

    def __str__(self) -> str:
        return f"{self.path or '/'}: {self.reason}"


class CosemXmlError(_PathError):
    """COSEM XML that is malformed, not valid against schemas/cosem.xsd (unknown or missing
    elements, values out of range) or not encodable. ``path`` names the bad element."""


class CosemEncodeError(_PathError):
    """A Python object that cannot be encoded (value out of range, wrong type, missing
    choice). ``path`` names the offending field the way XML would."""


class ObisError(CosemError, ValueError):
    """Text that is not an OBIS code."""
