"""ACSE APDUs (AARQ, AARE, RLRQ, RLRE) in BER, as DLMS uses them (Green Book, ACSE
ASN.1 based on ISO/IEC 8650), to and from the generated classes.

The xDLMS APDU in user-information is decoded when it is an initiate-request,
initiate-response or confirmed-service-error that re-encodes to the same octets; anything
else (glo-/ded-initiate, general-glo-ciphering, ...) is kept as ``raw-apdu`` octets, so every
AARE round-trips exactly. The encoder writes minimal BER lengths and integers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cas.cosem import tags, xdlms
from cas.cosem.codec import attribute_names
from cas.cosem.errors import CosemDecodeError, CosemEncodeError
from generated import cosem as m

# -- BER primitives ----------------------------------------------------------------------


def _read_tlv(buf: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the TLV at ``pos`` (single-octet tags only)."""
    if pos >= end:
        raise CosemDecodeError(pos, "truncated: BER tag expected")
    tag = buf[pos]
    if tag & 0x1F == 0x1F:
        raise CosemDecodeError(pos, f"unsupported multi-octet BER tag 0x{tag:02X}")
    if pos + 1 >= end:
        raise CosemDecodeError(pos + 1, "truncated: BER length expected")
    first = buf[pos + 1]
    start = pos + 2
    if first < 0x80:
        size = first
    elif first == 0x80:
        raise CosemDecodeError(pos + 1, "indefinite BER length is not allowed")
    else:
        count = first & 0x7F
        if count > 4 or start + count > end:
            raise CosemDecodeError(pos + 1, "bad BER length")
        size = int.from_bytes(buf[start : start + count], "big")
        start += count
    if start + size > end:
        remaining = end - start
        raise CosemDecodeError(pos, f"BER value of {size} octets exceeds the {remaining} remaining")
    return tag, start, start + size


def _write_tlv(tag: int, content: bytes, out: bytearray) -> None:
    out.append(tag)
    size = len(content)
    if size < 0x80:
        out.append(size)
    else:
        octets = size.to_bytes((size.bit_length() + 7) // 8, "big")
        out.append(0x80 | len(octets))
        out += octets
    out += content


def _inner(buf: bytes, start: int, end: int, tag: int, what: str) -> tuple[int, int]:
    """The content of the single TLV with ``tag`` filling [start, end) (EXPLICIT tagging)."""
    inner_tag, inner_start, inner_end = _read_tlv(buf, start, end)
    if inner_tag != tag:
        raise CosemDecodeError(start, f"{what}: tag 0x{tag:02X} expected, got 0x{inner_tag:02X}")
    if inner_end != end:
        raise CosemDecodeError(inner_end, f"{what}: octets after the value")
    return inner_start, inner_end


def _int_from(raw: bytes, pos: int, what: str) -> int:
    if not raw:
        raise CosemDecodeError(pos, f"{what}: empty INTEGER")
    return int.from_bytes(raw, "big", signed=True)


def _int_octets(value: int) -> bytes:
    """Minimal two's complement octets of a BER INTEGER."""
    magnitude = value if value >= 0 else ~value
    return value.to_bytes((magnitude.bit_length() + 8) // 8, "big", signed=True)


def _bits_from(raw: bytes, pos: int, what: str) -> str:
    if not raw or raw[0] > 7 or (len(raw) == 1 and raw[0]):
        raise CosemDecodeError(pos, f"{what}: bad BIT STRING")
    unused = raw[0]
    text = "".join(format(octet, "08b") for octet in raw[1:])
    return text[: len(text) - unused]


_BITS = re.compile(r"[01]*\Z")


def _bits_octets(text: Any) -> bytes:
    if not isinstance(text, str) or not _BITS.match(text):
        raise CosemEncodeError(f"0/1 characters expected, got {text!r}")
    size = (len(text) + 7) // 8
    unused = size * 8 - len(text)
    body = (int(text, 2) << unused).to_bytes(size, "big") if size else b""
    return bytes((unused,)) + body


_OID = re.compile(r"[0-2](\.(0|[1-9][0-9]{0,18}))+\Z")
_MAX_ARC_OCTETS = 9  # 63 bits per arc


def _oid_from(raw: bytes, pos: int, what: str) -> str:
    arcs: list[int] = []
    value = 0
    size = 0
    if not raw or raw[-1] & 0x80:
        raise CosemDecodeError(pos, f"{what}: bad encoding")
    for octet in raw:
        if size == 0 and octet == 0x80:
            raise CosemDecodeError(pos, f"{what}: non-minimal arc")
        size += 1
        if size > _MAX_ARC_OCTETS:  # keeps decoding linear: no unbounded big integers
            raise CosemDecodeError(pos, f"{what}: arc too long")
        value = (value << 7) | (octet & 0x7F)
        if not octet & 0x80:
            arcs.append(value)
            value = size = 0
    first = arcs[0]
    head = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    return ".".join(str(arc) for arc in head + arcs[1:])


def _oid_octets(text: Any) -> bytes:
    if not isinstance(text, str) or not _OID.match(text):
        raise CosemEncodeError(f"an OBJECT IDENTIFIER like 2.16.756.5.8.1.1 expected, got {text!r}")
    arcs = [int(arc) for arc in text.split(".")]
    arcs[:2] = [40 * arcs[0] + arcs[1]] if arcs[0] == 2 or arcs[1] < 40 else [-1]
    if any(not 0 <= arc < 1 << 63 for arc in arcs):
        raise CosemEncodeError(f"bad OBJECT IDENTIFIER {text} (arcs below 2**63)")
    out = bytearray()
    for arc in arcs:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out += bytes(reversed(chunk))
    return bytes(out)


# -- Component codecs --------------------------------------------------------------------
# Each reads the content octets of one context-tagged component and writes them back.


@dataclass(frozen=True)
class _Component:
    """A context-tagged component: its tag, element name and content reader/writer."""

    tag: int
    element: str
    read: Callable[[bytes, int, int], Any]
    write: Callable[[Any], bytes]


def _explicit(inner_tag: int, read_inner: Callable, write_inner: Callable, what: str):
    def read(buf: bytes, start: int, end: int) -> Any:
        s, e = _inner(buf, start, end, inner_tag, what)
        return read_inner(buf, s, e)

    def write(value: Any) -> bytes:
        out = bytearray()
        _write_tlv(inner_tag, write_inner(value), out)
        return bytes(out)

    return read, write


def _octets_read(buf: bytes, start: int, end: int) -> bytes:
    return buf[start:end]


def _octets_write(value: Any) -> bytes:
    if not isinstance(value, (bytes, bytearray)):
        raise CosemEncodeError(f"octets expected, got {type(value).__name__}")
    return bytes(value)


def _integer32_read(buf: bytes, start: int, end: int) -> int:
    value = _int_from(buf[start:end], start, "INTEGER")
    if not -(2**31) <= value < 2**31:
        raise CosemDecodeError(start, f"{value} is out of range for Integer32")
    return value


def _integer32_write(value: Any) -> bytes:
    if type(value) is not int or not -(2**31) <= value < 2**31:
        raise CosemEncodeError(f"{value!r} is out of range (Integer32)")
    return _int_octets(value)


def _bits_read(buf: bytes, start: int, end: int) -> str:
    return _bits_from(buf[start:end], start, "BIT STRING")


def _oid_read(buf: bytes, start: int, end: int) -> str:
    return _oid_from(buf[start:end], start, "OBJECT IDENTIFIER")


def _enum_codec(table: dict, what: str, allow_unknown: bool):
    members = tags.reverse(table)

    def read(buf: bytes, start: int, end: int) -> Any:
        number = _int_from(buf[start:end], start, what)
        if number in members:
            return members[number]
        if allow_unknown and 0 <= number <= 255:
            return number
        raise CosemDecodeError(start, f"unknown {what} {number}")

    def write(value: Any) -> bytes:
        if allow_unknown and type(value) is int and 0 <= value <= 255:
            return _int_octets(value)
        if value not in table:
            raise CosemEncodeError(f"{value!r} is not a {what}")
        return _int_octets(table[value])

    return read, write


_AUTHENTICATION_CHOICES = {0x80: "charstring", 0x81: "bitstring"}


def _authentication_read(buf: bytes, start: int, end: int) -> m.AuthenticationValue:
    tag, s, e = _read_tlv(buf, start, end)
    if e != end:
        raise CosemDecodeError(e, "authentication-value: octets after the value")
    if tag == 0x80:
        return m.AuthenticationValue(charstring_or_bitstring=buf[s:e])
    if tag == 0x81:
        return m.AuthenticationValue(charstring_or_bitstring=_bits_from(buf[s:e], s, "bitstring"))
    raise CosemDecodeError(start, f"unsupported authentication-value choice 0x{tag:02X}")


def _authentication_write(value: Any) -> bytes:
    if not isinstance(value, m.AuthenticationValue):
        raise CosemEncodeError(f"AuthenticationValue expected, got {type(value).__name__}")
    choice = value.charstring_or_bitstring
    out = bytearray()
    if isinstance(choice, (bytes, bytearray)):
        _write_tlv(0x80, bytes(choice), out)
    elif isinstance(choice, str):
        try:
            _write_tlv(0x81, _bits_octets(choice), out)
        except CosemEncodeError as error:
            raise error.within("bitstring") from None
    else:
        raise CosemEncodeError("authentication-value: charstring or bitstring required")
    return bytes(out)


_DIAGNOSTIC_USER = _enum_codec(tags.ACSE_SERVICE_USER, "acse-service-user", False)
_DIAGNOSTIC_PROVIDER = _enum_codec(tags.ACSE_SERVICE_PROVIDER, "acse-service-provider", False)


def _diagnostic_read(buf: bytes, start: int, end: int) -> m.AssociateSourceDiagnostic:
    tag, s, e = _read_tlv(buf, start, end)
    if e != end:
        raise CosemDecodeError(e, "result-source-diagnostic: octets after the value")
    codec = {0xA1: _DIAGNOSTIC_USER, 0xA2: _DIAGNOSTIC_PROVIDER}.get(tag)
    if codec is None:
        raise CosemDecodeError(start, f"unknown result-source-diagnostic choice 0x{tag:02X}")
    s, e = _inner(buf, s, e, 0x02, "result-source-diagnostic")
    value = codec[0](buf, s, e)
    return m.AssociateSourceDiagnostic(acse_service_user_or_acse_service_provider=value)


def _diagnostic_write(value: Any) -> bytes:
    if not isinstance(value, m.AssociateSourceDiagnostic):
        raise CosemEncodeError(f"AssociateSourceDiagnostic expected, got {type(value).__name__}")
    choice = value.acse_service_user_or_acse_service_provider
    out = bytearray()
    if isinstance(choice, m.AcseServiceUser):
        tag, element, codec = 0xA1, "acse-service-user", _DIAGNOSTIC_USER
    elif isinstance(choice, m.AcseServiceProvider):
        tag, element, codec = 0xA2, "acse-service-provider", _DIAGNOSTIC_PROVIDER
    else:
        raise CosemEncodeError("acse-service-user or acse-service-provider required")
    inner = bytearray()
    try:
        _write_tlv(0x02, codec[1](choice), inner)
    except CosemEncodeError as error:
        raise error.within(element) from None
    _write_tlv(tag, bytes(inner), out)
    return bytes(out)


_USER_INFORMATION_APDUS = {
    tags.INITIATE_REQUEST: xdlms.INITIATE_REQUEST,
    tags.INITIATE_RESPONSE: xdlms.INITIATE_RESPONSE,
    tags.CONFIRMED_SERVICE_ERROR: xdlms.CONFIRMED_SERVICE_ERROR,
}
_USER_INFORMATION_ELEMENTS = {
    m.InitiateRequest: (tags.INITIATE_REQUEST, "initiate-request"),
    m.InitiateResponse: (tags.INITIATE_RESPONSE, "initiate-response"),
    m.ConfirmedServiceError: (tags.CONFIRMED_SERVICE_ERROR, "confirmed-service-error"),
}


def _user_information_read(buf: bytes, start: int, end: int) -> m.UserInformation:
    s, e = _inner(buf, start, end, 0x04, "user-information")
    apdu = buf[s:e]
    codec = _USER_INFORMATION_APDUS.get(apdu[0]) if apdu else None
    if codec is not None:
        try:
            value, pos = codec.read(apdu, 1)
            if pos == len(apdu):
                out = bytearray(apdu[:1])
                codec.write(value, out)
                if out == apdu:
                    return m.UserInformation(choice=value)
        except (CosemDecodeError, CosemEncodeError):
            pass  # not a clean plaintext initiate: keep its octets
    return m.UserInformation(choice=apdu)


def _user_information_write(value: Any) -> bytes:
    if not isinstance(value, m.UserInformation):
        raise CosemEncodeError(f"UserInformation expected, got {type(value).__name__}")
    choice = value.choice
    if isinstance(choice, (bytes, bytearray)):
        apdu = bytes(choice)
    else:
        entry = _USER_INFORMATION_ELEMENTS.get(type(choice))
        if entry is None:
            raise CosemEncodeError("user-information: no xDLMS APDU given")
        tag, element = entry
        out = bytearray((tag,))
        codec = _USER_INFORMATION_APDUS[tag]
        try:
            codec.write(choice, out)
        except CosemEncodeError as error:
            raise error.within(element) from None
        apdu = bytes(out)
    wrapped = bytearray()
    _write_tlv(0x04, apdu, wrapped)
    return bytes(wrapped)


def _ap_title(tag: int, element: str) -> _Component:
    return _Component(tag, element, *_explicit(0x04, _octets_read, _octets_write, element))


def _invocation_id(tag: int, element: str) -> _Component:
    return _Component(tag, element, *_explicit(0x02, _integer32_read, _integer32_write, element))


def _bits(tag: int, element: str) -> _Component:
    return _Component(tag, element, _bits_read, _bits_octets)


_PROTOCOL_VERSION = _bits(0x80, "protocol-version")
_APPLICATION_CONTEXT = _Component(
    0xA1, "application-context-name", *_explicit(0x06, _oid_read, _oid_octets, "context name")
)
_IMPLEMENTATION = _Component(0x9D, "implementation-information", _octets_read, _octets_write)
_USER_INFORMATION = _Component(
    0xBE, "user-information", _user_information_read, _user_information_write
)
_RESULT = _enum_codec(tags.ASSOCIATION_RESULT, "association result", True)

AARQ_COMPONENTS = (
    _PROTOCOL_VERSION,
    _APPLICATION_CONTEXT,
    _ap_title(0xA2, "called-AP-title"),
    _ap_title(0xA3, "called-AE-qualifier"),
    _invocation_id(0xA4, "called-AP-invocation-id"),
    _invocation_id(0xA5, "called-AE-invocation-id"),
    _ap_title(0xA6, "calling-AP-title"),
    _ap_title(0xA7, "calling-AE-qualifier"),
    _invocation_id(0xA8, "calling-AP-invocation-id"),
    _invocation_id(0xA9, "calling-AE-invocation-id"),
    _bits(0x8A, "sender-acse-requirements"),
    _Component(0x8B, "mechanism-name", _oid_read, _oid_octets),
    _Component(0xAC, "calling-authentication-value", _authentication_read, _authentication_write),
    _IMPLEMENTATION,
    _USER_INFORMATION,
)

AARE_COMPONENTS = (
    _PROTOCOL_VERSION,
    _APPLICATION_CONTEXT,
    _Component(0xA2, "result", *_explicit(0x02, *_RESULT, "result")),
    _Component(0xA3, "result-source-diagnostic", _diagnostic_read, _diagnostic_write),
    _ap_title(0xA4, "responding-AP-title"),
    _ap_title(0xA5, "responding-AE-qualifier"),
    _invocation_id(0xA6, "responding-AP-invocation-id"),
    _invocation_id(0xA7, "responding-AE-invocation-id"),
    _bits(0x88, "responder-acse-requirements"),
    _Component(0x89, "mechanism-name", _oid_read, _oid_octets),
    _Component(
        0xAA, "responding-authentication-value", _authentication_read, _authentication_write
    ),
    _IMPLEMENTATION,
    _USER_INFORMATION,
)

RLRQ_COMPONENTS = (
    _Component(0x80, "reason", *_enum_codec(tags.RELEASE_REQUEST_REASON, "reason", False)),
    _USER_INFORMATION,
)

RLRE_COMPONENTS = (
    _Component(0x80, "reason", *_enum_codec(tags.RELEASE_RESPONSE_REASON, "reason", False)),
    _USER_INFORMATION,
)

_REQUIRED = {"application-context-name", "result", "result-source-diagnostic"}


class AcseCodec:
    """One ACSE APDU: [APPLICATION n] IMPLICIT SEQUENCE of context-tagged components, in
    tag order, each at most once."""

    def __init__(self, cls: type, tag: int, components: tuple[_Component, ...]) -> None:
        self.cls, self.tag = cls, tag
        names = attribute_names(cls)
        self.components = [(names[c.element], c) for c in components]
        assert len(self.components) == len(names), cls
        self.by_tag = {c.tag: (index, attr, c) for index, (attr, c) in enumerate(self.components)}
        self.what = cls.Meta.name

    def read(self, buf: bytes, pos: int) -> tuple[Any, int]:
        tag, start, end = _read_tlv(buf, pos, len(buf))
        assert tag == self.tag
        values: dict[str, Any] = {attr: None for attr, _ in self.components}
        last = -1
        at = start
        while at < end:
            ctag, s, e = _read_tlv(buf, at, end)
            entry = self.by_tag.get(ctag)
            if entry is None:
                raise CosemDecodeError(at, f"unknown {self.what} component 0x{ctag:02X}")
            index, attr, component = entry
            if index <= last:
                raise CosemDecodeError(at, f"{component.element} out of order or repeated")
            last = index
            values[attr] = component.read(buf, s, e)
            at = e
        for attr, component in self.components:
            if component.element in _REQUIRED and values[attr] is None:
                raise CosemDecodeError(start, f"{component.element} is missing")
        return self.cls(**values), end

    def write(self, value: Any, out: bytearray) -> None:
        body = bytearray()
        if not isinstance(value, self.cls):
            raise CosemEncodeError(f"{self.cls.__name__} expected, got {type(value).__name__}")
        for attr, component in self.components:
            field = getattr(value, attr)
            if field is None:
                if component.element in _REQUIRED:
                    raise CosemEncodeError("required").within(component.element)
                continue
            try:
                content = component.write(field)
            except CosemEncodeError as error:
                raise error.within(component.element) from None
            _write_tlv(component.tag, content, body)
        _write_tlv(self.tag, bytes(body), out)


AARQ = AcseCodec(m.Aarq, 0x60, AARQ_COMPONENTS)
AARE = AcseCodec(m.Aare, 0x61, AARE_COMPONENTS)
RLRQ = AcseCodec(m.Rlrq, 0x62, RLRQ_COMPONENTS)
RLRE = AcseCodec(m.Rlre, 0x63, RLRE_COMPONENTS)
