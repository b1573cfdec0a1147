"""DLMS Data values (the ``Data`` CHOICE of the COSEMpdu ASN.1) in A-XDR, to and from the
generated kind classes (m.LongUnsigned, m.Structure, ...).

Decoding is bounded: an element count is checked against the octets that remain, nesting
is limited to ``MAX_DEPTH``, every step is linear in the input.

Value forms (see cas/cosem/README.md): a float32 holds the shortest decimal that packs back
to the same 4 octets; a NaN other than the canonical quiet NaN keeps its octets in ``bits``;
visible-string/utf8-string octets that XML 1.0 cannot carry are held as hex with
``hex=True``.
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Callable
from typing import Any

from cas.cosem import tags
from cas.cosem.axdr import (
    read_boolean,
    read_length,
    read_octets,
    read_u8,
    read_uint,
    truncated,
    write_boolean,
    write_length,
    write_octets,
    write_uint,
)
from cas.cosem.errors import CosemDecodeError, CosemEncodeError
from generated import cosem as m

MAX_DEPTH = 64
"""Deepest nesting of arrays, structures and type descriptions accepted either way."""

DataKind = Any  # one of the generated Data kind classes (m.LongUnsigned, m.Structure, ...)

# --------------------------------------------------------------------------------------
# Text and float value forms
# --------------------------------------------------------------------------------------

_VISIBLE_TEXT = re.compile(rb"[\x20-\x7e\t\n\r]*\Z")
_VISIBLE_TEXT_STR = re.compile(r"[\x20-\x7e\t\n\r]*\Z")
_XML_TEXT = re.compile("[\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*\\Z")
_BITS = re.compile(r"[01]*\Z")

NAN32 = b"\x7f\xc0\x00\x00"
NAN64 = b"\x7f\xf8\x00\x00\x00\x00\x00\x00"
_F32 = struct.Struct(">f")
_F64 = struct.Struct(">d")


def visible_string(raw: bytes) -> m.VisibleString:
    if _VISIBLE_TEXT.match(raw):
        return m.VisibleString(value=raw.decode("ascii"))
    return m.VisibleString(value=raw.hex().upper(), hex=True)


def utf8_string(raw: bytes) -> m.Utf8String:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and _XML_TEXT.match(text):
        return m.Utf8String(value=text)
    return m.Utf8String(value=raw.hex().upper(), hex=True)


def _hex_octets(value: Any, what: str) -> bytes:
    try:
        return bytes.fromhex(value)
    except (TypeError, ValueError):
        raise CosemEncodeError(f"{what} with hex=true must hold hex text, got {value!r}") from None


def visible_string_octets(value: m.VisibleString) -> bytes:
    if value.hex:
        return _hex_octets(value.value, "visible-string")
    if not isinstance(value.value, str) or not _VISIBLE_TEXT_STR.match(value.value):
        raise CosemEncodeError(
            "visible-string text must be printable ASCII (or TAB, LF, CR); "
            'write other octets as hex with hex="true"'
        )
    return value.value.encode("ascii")


def utf8_string_octets(value: m.Utf8String) -> bytes:
    if value.hex:
        return _hex_octets(value.value, "utf8-string")
    if not isinstance(value.value, str):
        raise CosemEncodeError(f"text expected, got {type(value.value).__name__}")
    try:
        return value.value.encode("utf-8")
    except UnicodeEncodeError:
        raise CosemEncodeError("utf8-string text is not encodable as UTF-8") from None


def float32_value(raw: bytes) -> m.Float32:
    """The float32 whose value is the shortest decimal that packs back to ``raw``."""
    (exact,) = _F32.unpack(raw)
    if exact != exact:
        return m.Float32(value=math.nan, bits=None if raw == NAN32 else bytes(raw))
    for digits in range(1, 10):
        candidate = float(f"{exact:.{digits}g}")
        try:
            if _F32.pack(candidate) == raw:
                return m.Float32(value=candidate)
        except OverflowError:  # rounded past the largest float32
            continue
    return m.Float32(value=exact)  # not reached: 9 significant digits always suffice


def float64_value(raw: bytes) -> m.Float64:
    (value,) = _F64.unpack(raw)
    if value != value:
        return m.Float64(value=math.nan, bits=None if raw == NAN64 else bytes(raw))
    return m.Float64(value=value)


def _float_octets(value: Any, packer: struct.Struct, nan: bytes, kind: str) -> bytes:
    number, bits = value.value, value.bits
    if not isinstance(number, (float, int)) or isinstance(number, bool):
        raise CosemEncodeError(f"{kind} value must be a number, got {number!r}")
    if bits is not None:
        if not isinstance(bits, (bytes, bytearray)) or len(bits) != packer.size:
            raise CosemEncodeError(f"{kind} bits must be {packer.size} octets")
        if number == number or packer.unpack(bits)[0] == packer.unpack(bits)[0]:
            raise CosemEncodeError(f"{kind} bits are only for NaN values (and must be a NaN)")
        return bytes(bits)
    if number != number:
        return nan
    try:
        return packer.pack(number)
    except OverflowError:
        raise CosemEncodeError(f"{number!r} is out of range for {kind}") from None


# --------------------------------------------------------------------------------------
# Data: decoding
# --------------------------------------------------------------------------------------

_Reader = Callable[[bytes, int, int], tuple[Any, int]]


def read_data(buf: bytes, pos: int, depth: int = 0) -> tuple[DataKind, int]:
    """One Data value (tag + content) at ``pos``."""
    if pos >= len(buf):
        raise truncated(pos, "Data tag")
    reader = _READERS.get(buf[pos])
    if reader is None:
        raise CosemDecodeError(pos, f"unknown Data tag 0x{buf[pos]:02X}")
    return reader(buf, pos + 1, depth)


def _fixed_reader(cls: type, fmt: str, name: str) -> _Reader:
    unpack = struct.Struct(fmt).unpack_from
    size = struct.calcsize(fmt)

    def read(buf: bytes, pos: int, depth: int) -> tuple[Any, int]:
        if pos + size > len(buf):
            raise truncated(pos, name)
        return cls(value=unpack(buf, pos)[0]), pos + size

    return read


def _octets_reader(cls: type, size: int, name: str) -> _Reader:
    def read(buf: bytes, pos: int, depth: int) -> tuple[Any, int]:
        end = pos + size
        if end > len(buf):
            raise truncated(pos, name)
        return cls(value=buf[pos:end]), end

    return read


def _read_list(buf: bytes, pos: int, depth: int, cls: type, name: str) -> tuple[Any, int]:
    start = pos - 1
    if depth >= MAX_DEPTH:
        raise CosemDecodeError(start, f"Data nested deeper than {MAX_DEPTH}")
    count, pos = read_length(buf, pos, f"{name} element count")
    end = len(buf)
    if count > end - pos:
        raise CosemDecodeError(
            start, f"{name} of {count} elements cannot fit in {end - pos} remaining octets"
        )
    items = []
    append = items.append
    readers = _READERS
    depth += 1
    for _ in range(count):
        if pos >= end:
            raise truncated(pos, "Data tag")
        reader = readers.get(buf[pos])
        if reader is None:
            raise CosemDecodeError(pos, f"unknown Data tag 0x{buf[pos]:02X}")
        item, pos = reader(buf, pos + 1, depth)
        append(item)
    return cls(choice=items), pos


def _read_array(buf: bytes, pos: int, depth: int) -> tuple[Any, int]:
    return _read_list(buf, pos, depth, m.Array, "array")


def _read_structure(buf: bytes, pos: int, depth: int) -> tuple[Any, int]:
    return _read_list(buf, pos, depth, m.Structure, "structure")


def _read_boolean(buf: bytes, pos: int, depth: int) -> tuple[Any, int]:
    value, pos = read_boolean(buf, pos, "boolean")
    return m.Boolean(value=value), pos


def _read_bit_string(buf: bytes, pos: int, depth: int) -> tuple[Any, int]:
    start = pos - 1
    bits, pos = read_length(buf, pos, "bit-string length")
    size = (bits + 7) // 8
    if size > len(buf) - pos:
        raise CosemDecodeError(
            start, f"bit-string of {bits} bits exceeds the {len(buf) - pos} remaining octets"
        )
    text = format(int.from_bytes(buf[pos : pos + size], "big"), f"0{size * 8}b")[:bits]
    return m.BitString(value=text), pos + size


def _read_octet_string(buf: bytes, pos: int, depth: int) -> tuple[Any, int]:
    if pos < len(buf) and buf[pos] < 0x80:  # the common short form, checked inline
        end = pos + 1 + buf[pos]
        if end <= len(buf):
            return m.OctetString(value=buf[pos + 1 : end]), end
    value, pos = read_octets(buf, pos, "octet-string")
    return m.OctetString(value=value), pos


def _read_visible_string(buf: bytes, pos: int, depth: int) -> tuple[Any, int]:
    raw, pos = read_octets(buf, pos, "visible-string")
    return visible_string(raw), pos


def _read_utf8_string(buf: bytes, pos: int, depth: int) -> tuple[Any, int]:
    raw, pos = read_octets(buf, pos, "utf8-string")
    return utf8_string(raw), pos


def _read_float32(buf: bytes, pos: int, depth: int) -> tuple[Any, int]:
    if pos + 4 > len(buf):
        raise truncated(pos, "float32")
    return float32_value(buf[pos : pos + 4]), pos + 4


def _read_float64(buf: bytes, pos: int, depth: int) -> tuple[Any, int]:
    if pos + 8 > len(buf):
        raise truncated(pos, "float64")
    return float64_value(buf[pos : pos + 8]), pos + 8


def _read_compact_array(buf: bytes, pos: int, depth: int) -> tuple[Any, int]:
    if depth >= MAX_DEPTH:
        raise CosemDecodeError(pos - 1, f"Data nested deeper than {MAX_DEPTH}")
    description, pos = read_type_description(buf, pos, depth + 1)
    contents, pos = read_octets(buf, pos, "array-contents")
    return (
        m.CompactArray(
            contents_description=m.TypeDescription(choice=description), array_contents=contents
        ),
        pos,
    )


def _read_empty(cls: type) -> _Reader:
    def read(buf: bytes, pos: int, depth: int) -> tuple[Any, int]:
        return cls(), pos

    return read


_READERS: dict[int, _Reader] = {
    0: _read_empty(m.NullData),
    1: _read_array,
    2: _read_structure,
    3: _read_boolean,
    4: _read_bit_string,
    5: _fixed_reader(m.DoubleLong, ">i", "double-long"),
    6: _fixed_reader(m.DoubleLongUnsigned, ">I", "double-long-unsigned"),
    9: _read_octet_string,
    10: _read_visible_string,
    12: _read_utf8_string,
    13: _fixed_reader(m.Bcd, ">b", "bcd"),
    15: _fixed_reader(m.Integer, ">b", "integer"),
    16: _fixed_reader(m.Long, ">h", "long"),
    17: _fixed_reader(m.Unsigned, ">B", "unsigned"),
    18: _fixed_reader(m.LongUnsigned, ">H", "long-unsigned"),
    19: _read_compact_array,
    20: _fixed_reader(m.Long64, ">q", "long64"),
    21: _fixed_reader(m.Long64Unsigned, ">Q", "long64-unsigned"),
    22: _fixed_reader(m.EnumValue, ">B", "enum"),
    23: _read_float32,
    24: _read_float64,
    25: _octets_reader(m.DateTime, 12, "date-time"),
    26: _octets_reader(m.Date, 5, "date"),
    27: _octets_reader(m.Time, 4, "time"),
    255: _read_empty(m.DontCare),
}
assert set(_READERS) == {tag for tag, *_ in tags.DATA_KINDS}


def read_type_description(buf: bytes, pos: int, depth: int) -> tuple[Any, int]:
    """One TypeDescription alternative (the kind class, e.g. ``m.LongUnsignedType()``)."""
    if depth > MAX_DEPTH:
        raise CosemDecodeError(pos, f"type description nested deeper than {MAX_DEPTH}")
    tag, pos = read_u8(buf, pos, "type description tag")
    if tag == 1:
        count, pos = read_uint(buf, pos, 2, "array number-of-elements")
        element, pos = read_type_description(buf, pos, depth + 1)
        return (
            m.ArrayType(
                number_of_elements=count, type_description=m.TypeDescription(choice=element)
            ),
            pos,
        )
    if tag == 2:
        start = pos - 1
        count, pos = read_length(buf, pos, "structure type count")
        if count > len(buf) - pos:
            raise CosemDecodeError(
                start, f"structure of {count} types cannot fit in {len(buf) - pos} octets"
            )
        items = []
        for _ in range(count):
            item, pos = read_type_description(buf, pos, depth + 1)
            items.append(item)
        return m.StructureType(choice=items), pos
    cls = tags.TYPE_DESCRIPTION_CLASS.get(tag)
    if cls is None:
        raise CosemDecodeError(pos - 1, f"unknown type description tag 0x{tag:02X}")
    return cls(), pos


def decode_data(data: bytes) -> DataKind:
    """Decode exactly one Data value (e.g. ``12 00 05`` -> ``LongUnsigned(value=5)``)."""
    buf = bytes(data)
    value, pos = read_data(buf, 0)
    if pos != len(buf):
        raise CosemDecodeError(pos, f"{len(buf) - pos} octets after the Data value")
    return value


# --------------------------------------------------------------------------------------
# Data: encoding
# --------------------------------------------------------------------------------------

_Writer = Callable[[Any, bytearray, int], None]


def write_data(value: Any, out: bytearray, depth: int = 0) -> None:
    """Append one Data value; ``value`` is a kind instance or a DataValue wrapper."""
    writer = _WRITERS.get(type(value))
    if writer is None:
        if isinstance(value, m.DataValue):
            writer = _write_wrapper
        else:
            raise CosemEncodeError(f"not a Data value: {type(value).__name__}")
    writer(value, out, depth)


def _write_wrapper(value: Any, out: bytearray, depth: int) -> None:
    if value.choice is None:
        raise CosemEncodeError("a Data value is required (the element is empty)")
    write_data(value.choice, out, depth)


def _int_writer(tag: int, fmt: str, name: str) -> _Writer:
    packer = struct.Struct(fmt)
    pack = packer.pack
    bits = packer.size * 8
    signed = fmt[-1].islower()
    low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    head = bytes((tag,))

    def write(value: Any, out: bytearray, depth: int) -> None:
        number = value.value
        if type(number) is not int or not low <= number <= high:
            reason = f"{number!r} is out of range for {name} ({low}..{high})"
            raise CosemEncodeError(reason).within(name)
        out += head
        out += pack(number)

    return write


def _octets_writer(tag: int, size: int, name: str) -> _Writer:
    head = bytes((tag,))

    def write(value: Any, out: bytearray, depth: int) -> None:
        raw = value.value
        if not isinstance(raw, (bytes, bytearray)) or len(raw) != size:
            got = len(raw) if isinstance(raw, (bytes, bytearray)) else type(raw).__name__
            raise CosemEncodeError(f"{name} must be {size} octets, got {got}").within(name)
        out += head
        out += raw

    return write


def _write_list(tag: int, name: str) -> _Writer:
    head = bytes((tag,))

    def write(value: Any, out: bytearray, depth: int) -> None:
        try:
            if depth >= MAX_DEPTH:
                raise CosemEncodeError(f"Data nested deeper than {MAX_DEPTH}")
            items = value.choice
            out += head
            write_length(len(items), out)
            depth += 1
            writers = _WRITERS
            for index, item in enumerate(items):
                writer = writers.get(type(item))
                if writer is None:
                    raise CosemEncodeError(f"not a Data value: {type(item).__name__}")
                try:
                    writer(item, out, depth)
                except CosemEncodeError as error:
                    raise error.at_position(sibling_position(items, index)) from None
        except CosemEncodeError as error:
            raise error.within(name) from None

    return write


def sibling_position(items: list, index: int) -> int | None:
    """XPath position of items[index] among siblings of its kind (None when it is alone)."""
    kind = type(items[index])
    same = [i for i, item in enumerate(items) if type(item) is kind]
    return None if len(same) == 1 else same.index(index) + 1


def _with_path(name: str, writer: Callable[[Any, bytearray], None]) -> _Writer:
    def write(value: Any, out: bytearray, depth: int) -> None:
        try:
            writer(value, out)
        except CosemEncodeError as error:
            raise error.within(name) from None

    return write


def _write_boolean(value: Any, out: bytearray) -> None:
    out.append(3)
    write_boolean(value.value, out)


def _write_bit_string(value: Any, out: bytearray) -> None:
    text = value.value
    if not isinstance(text, str) or not _BITS.match(text):
        raise CosemEncodeError(f"bit-string must be 0/1 characters, got {text!r}")
    out.append(4)
    write_length(len(text), out)
    size = (len(text) + 7) // 8
    if size:
        out += (int(text, 2) << (size * 8 - len(text))).to_bytes(size, "big")


def _write_octet_string(value: Any, out: bytearray) -> None:
    out.append(9)
    write_octets(value.value, out)


def _write_visible_string(value: Any, out: bytearray) -> None:
    raw = visible_string_octets(value)
    out.append(10)
    write_length(len(raw), out)
    out += raw


def _write_utf8_string(value: Any, out: bytearray) -> None:
    raw = utf8_string_octets(value)
    out.append(12)
    write_length(len(raw), out)
    out += raw


def _write_float32(value: Any, out: bytearray) -> None:
    raw = _float_octets(value, _F32, NAN32, "float32")
    out.append(23)
    out += raw


def _write_float64(value: Any, out: bytearray) -> None:
    raw = _float_octets(value, _F64, NAN64, "float64")
    out.append(24)
    out += raw


def _write_compact_array(value: Any, out: bytearray, depth: int) -> None:
    if depth >= MAX_DEPTH:
        raise CosemEncodeError(f"Data nested deeper than {MAX_DEPTH}").within("compact-array")
    out.append(19)
    try:
        try:
            write_type_description(value.contents_description, out, depth + 1)
        except CosemEncodeError as error:
            raise error.within("contents-description") from None
        try:
            write_octets(value.array_contents, out)
        except CosemEncodeError as error:
            raise error.within("array-contents") from None
    except CosemEncodeError as error:
        raise error.within("compact-array") from None


def _empty_writer(tag: int) -> _Writer:
    head = bytes((tag,))

    def write(value: Any, out: bytearray, depth: int) -> None:
        out += head

    return write


_WRITERS: dict[type, _Writer] = {
    m.NullData: _empty_writer(0),
    m.Array: _write_list(1, "array"),
    m.Structure: _write_list(2, "structure"),
    m.Boolean: _with_path("boolean", _write_boolean),
    m.BitString: _with_path("bit-string", _write_bit_string),
    m.DoubleLong: _int_writer(5, ">i", "double-long"),
    m.DoubleLongUnsigned: _int_writer(6, ">I", "double-long-unsigned"),
    m.OctetString: _with_path("octet-string", _write_octet_string),
    m.VisibleString: _with_path("visible-string", _write_visible_string),
    m.Utf8String: _with_path("utf8-string", _write_utf8_string),
    m.Bcd: _int_writer(13, ">b", "bcd"),
    m.Integer: _int_writer(15, ">b", "integer"),
    m.Long: _int_writer(16, ">h", "long"),
    m.Unsigned: _int_writer(17, ">B", "unsigned"),
    m.LongUnsigned: _int_writer(18, ">H", "long-unsigned"),
    m.CompactArray: _write_compact_array,
    m.Long64: _int_writer(20, ">q", "long64"),
    m.Long64Unsigned: _int_writer(21, ">Q", "long64-unsigned"),
    m.EnumValue: _int_writer(22, ">B", "enum"),
    m.Float32: _with_path("float32", _write_float32),
    m.Float64: _with_path("float64", _write_float64),
    m.DateTime: _octets_writer(25, 12, "date-time"),
    m.Date: _octets_writer(26, 5, "date"),
    m.Time: _octets_writer(27, 4, "time"),
    m.DontCare: _empty_writer(255),
    m.DataValue: _write_wrapper,
    m.Data: _write_wrapper,
}
assert {cls for _, _, cls, _ in tags.DATA_KINDS} <= set(_WRITERS)


def write_type_description(value: Any, out: bytearray, depth: int) -> None:
    """Append a TypeDescription (the m.TypeDescription wrapper or one alternative)."""
    if isinstance(value, m.TypeDescription):
        if value.choice is None:
            raise CosemEncodeError("a type description is required (the element is empty)")
        value = value.choice
    if depth > MAX_DEPTH:
        raise CosemEncodeError(f"type description nested deeper than {MAX_DEPTH}")
    kind = type(value)
    if kind is m.ArrayType:
        out.append(1)
        try:
            write_uint(value.number_of_elements, 2, out)
        except CosemEncodeError as error:
            raise error.within("number-of-elements").within("array") from None
        try:
            write_type_description(value.type_description, out, depth + 1)
        except CosemEncodeError as error:
            raise error.within("type-description").within("array") from None
    elif kind is m.StructureType:
        out.append(2)
        write_length(len(value.choice), out)
        try:
            for item in value.choice:
                write_type_description(item, out, depth + 1)
        except CosemEncodeError as error:
            raise error.within("structure") from None
    else:
        tag = tags.TYPE_DESCRIPTION_TAG.get(kind)
        if tag is None:
            raise CosemEncodeError(f"not a type description: {kind.__name__}")
        out.append(tag)


def encode_data(value: Any) -> bytes:
    """Encode one Data value (a kind instance such as ``LongUnsigned(value=5)``, or a
    ``DataValue``/``Data`` wrapper)."""
    out = bytearray()
    write_data(value, out)
    return bytes(out)
