"""Small combinators that turn the A-XDR rules of the COSEMpdu ASN.1 into codecs for the
generated classes, so cas/cosem/xdlms.py can read like the ASN.1 it transcribes.

A codec has ``read(buf, pos) -> (value, pos)`` and ``write(value, out)``. Writers raise
``CosemEncodeError`` and every composite adds the element name of the failing component
to the error path on the way out.
"""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any

from cas.cosem import axdr, data
from cas.cosem.errors import CosemDecodeError, CosemEncodeError
from generated import cosem as m


class Codec:
    def read(self, buf: bytes, pos: int) -> tuple[Any, int]:
        raise NotImplementedError

    def write(self, value: Any, out: bytearray) -> None:
        raise NotImplementedError


class Unsigned(Codec):
    """UnsignedN: fixed big-endian octets."""

    def __init__(self, size: int, what: str) -> None:
        self.size, self.what = size, what

    def read(self, buf: bytes, pos: int) -> tuple[int, int]:
        return axdr.read_uint(buf, pos, self.size, self.what)

    def write(self, value: Any, out: bytearray) -> None:
        axdr.write_uint(value, self.size, out)


class Signed(Codec):
    """IntegerN: fixed big-endian two's complement octets."""

    def __init__(self, size: int, what: str) -> None:
        self.size, self.what = size, what

    def read(self, buf: bytes, pos: int) -> tuple[int, int]:
        end = pos + self.size
        if end > len(buf):
            raise axdr.truncated(pos, self.what)
        return int.from_bytes(buf[pos:end], "big", signed=True), end

    def write(self, value: Any, out: bytearray) -> None:
        axdr.write_int(value, self.size, out)


class FixedOctets(Codec):
    """OCTET STRING (SIZE(n)) written without a length (e.g. the 6-octet instance-id)."""

    def __init__(self, size: int, what: str) -> None:
        self.size, self.what = size, what

    def read(self, buf: bytes, pos: int) -> tuple[bytes, int]:
        end = pos + self.size
        if end > len(buf):
            raise axdr.truncated(pos, self.what)
        return buf[pos:end], end

    def write(self, value: Any, out: bytearray) -> None:
        if not isinstance(value, (bytes, bytearray)) or len(value) != self.size:
            got = len(value) if isinstance(value, (bytes, bytearray)) else type(value).__name__
            raise CosemEncodeError(f"{self.what} must be {self.size} octets, got {got}")
        out += value


class Octets(Codec):
    """OCTET STRING: A-XDR length, then the octets."""

    def __init__(self, what: str) -> None:
        self.what = what

    def read(self, buf: bytes, pos: int) -> tuple[bytes, int]:
        return axdr.read_octets(buf, pos, self.what)

    def write(self, value: Any, out: bytearray) -> None:
        axdr.write_octets(value, out)


class Boolean(Codec):
    def read(self, buf: bytes, pos: int) -> tuple[bool, int]:
        return axdr.read_boolean(buf, pos, "boolean")

    def write(self, value: Any, out: bytearray) -> None:
        axdr.write_boolean(value, out)


class Enumerated(Codec):
    """An ENUMERATED in one octet. With ``allow_unknown`` a number the standard does not
    name decodes to the plain int (the schema types those elements as token-or-number)."""

    def __init__(self, table: dict[Enum, int], what: str, allow_unknown: bool = True) -> None:
        self.table, self.what, self.allow_unknown = table, what, allow_unknown
        self.members = {number: member for member, number in table.items()}

    def read(self, buf: bytes, pos: int) -> tuple[Any, int]:
        number, new = axdr.read_u8(buf, pos, self.what)
        return axdr.enum_member(number, self.members, pos, self.what, self.allow_unknown), new

    def write(self, value: Any, out: bytearray) -> None:
        number = axdr.enum_number(value, self.table, self.what)
        if not self.allow_unknown and number not in self.members:
            raise CosemEncodeError(f"{value!r} is not a {self.what}")
        out.append(number)


class Data(Codec):
    """A Data value, held in a ``DataValue`` wrapper (the schema's element of type Data)."""

    def read(self, buf: bytes, pos: int) -> tuple[m.DataValue, int]:
        value, pos = data.read_data(buf, pos)
        return m.DataValue(choice=value), pos

    def write(self, value: Any, out: bytearray) -> None:
        if type(value) is not m.DataValue:
            got = "nothing" if value is None else type(value).__name__
            raise CosemEncodeError(f"a DataValue holding the Data kind is required, got {got}")
        data.write_data(value, out)


class Optional(Codec):
    """An OPTIONAL component: usage flag 00 (absent, None) or 01 followed by the value."""

    def __init__(self, inner: Codec, what: str) -> None:
        self.inner, self.what = inner, what

    def read(self, buf: bytes, pos: int) -> tuple[Any, int]:
        present, pos = axdr.read_optional_flag(buf, pos, self.what)
        if not present:
            return None, pos
        return self.inner.read(buf, pos)

    def write(self, value: Any, out: bytearray) -> None:
        if value is None:
            out.append(0)
        else:
            out.append(1)
            self.inner.write(value, out)


def attribute_names(cls: type) -> dict[str, str]:
    """XML element name -> dataclass attribute, from the xsdata field metadata."""
    return {f.metadata.get("name", f.name): f.name for f in dataclasses.fields(cls)}


class Sequence(Codec):
    """A SEQUENCE: its components in order, bound to a generated class."""

    def __init__(self, cls: type, *components: tuple[str, Codec]) -> None:
        names = attribute_names(cls)
        self.cls = cls
        self.components = [(element, names[element], codec) for element, codec in components]
        assert {attr for _, attr, _ in self.components} == set(names.values()), cls

    def read(self, buf: bytes, pos: int) -> tuple[Any, int]:
        values = {}
        for _, attr, codec in self.components:
            values[attr], pos = codec.read(buf, pos)
        return self.cls(**values), pos

    def write(self, value: Any, out: bytearray) -> None:
        if not isinstance(value, self.cls):
            raise CosemEncodeError(f"{self.cls.__name__} expected, got {type(value).__name__}")
        for element, attr, codec in self.components:
            try:
                codec.write(getattr(value, attr), out)
            except CosemEncodeError as error:
                raise error.within(element) from None


class SequenceOf(Codec):
    """SEQUENCE OF: A-XDR count, then the items; bound to a generated list class whose one
    field holds the items (element ``item`` names each item in paths)."""

    def __init__(self, cls: type, item: str, codec: Codec, min_item_size: int = 1) -> None:
        self.cls, self.item, self.codec = cls, item, codec
        (self.attr,) = attribute_names(cls).values()
        self.min_item_size = min_item_size

    def read(self, buf: bytes, pos: int) -> tuple[Any, int]:
        start = pos
        count, pos = axdr.read_length(buf, pos, "SEQUENCE OF count")
        if count * self.min_item_size > len(buf) - pos:
            raise CosemDecodeError(
                start, f"{count} items cannot fit in {len(buf) - pos} remaining octets"
            )
        items = []
        for _ in range(count):
            item, pos = self.codec.read(buf, pos)
            items.append(item)
        return self.cls(**{self.attr: items}), pos

    def write(self, value: Any, out: bytearray) -> None:
        if not isinstance(value, self.cls):
            raise CosemEncodeError(f"{self.cls.__name__} expected, got {type(value).__name__}")
        items = getattr(value, self.attr)
        axdr.write_length(len(items), out)
        for index, item in enumerate(items):
            try:
                self.codec.write(item, out)
            except CosemEncodeError as error:
                position = f"[{index + 1}]" if len(items) > 1 else ""
                raise error.within(f"{self.item}{position}") from None


class DataList(Codec):
    """SEQUENCE OF Data: the kinds themselves, unwrapped (m.DataList)."""

    def read(self, buf: bytes, pos: int) -> tuple[m.DataList, int]:
        start = pos
        count, pos = axdr.read_length(buf, pos, "SEQUENCE OF Data count")
        if count > len(buf) - pos:
            raise CosemDecodeError(
                start, f"{count} Data values cannot fit in {len(buf) - pos} remaining octets"
            )
        items = []
        for _ in range(count):
            item, pos = data.read_data(buf, pos)
            items.append(item)
        return m.DataList(choice=items), pos

    def write(self, value: Any, out: bytearray) -> None:
        if not isinstance(value, m.DataList):
            raise CosemEncodeError(f"DataList expected, got {type(value).__name__}")
        axdr.write_length(len(value.choice), out)
        for index, item in enumerate(value.choice):
            try:
                data.write_data(item, out)
            except CosemEncodeError as error:
                raise error.at_position(data.sibling_position(value.choice, index)) from None


class Alternative:
    """One alternative of a CHOICE: its tag, element name, codec and the Python type(s)
    that select it when writing."""

    def __init__(self, tag: int, element: str, codec: Codec, types: type | tuple) -> None:
        self.tag, self.element, self.codec, self.types = tag, element, codec, types


class Choice(Codec):
    """A CHOICE: one tag octet, then the chosen alternative. Reads/writes the bare
    alternative value (the generated compound field holds it)."""

    def __init__(self, what: str, *alternatives: Alternative) -> None:
        self.what = what
        self.alternatives = alternatives
        self.by_tag = {alt.tag: alt for alt in alternatives}

    def read(self, buf: bytes, pos: int) -> tuple[Any, int]:
        tag, new = axdr.read_u8(buf, pos, f"{self.what} choice")
        alternative = self.by_tag.get(tag)
        if alternative is None:
            raise CosemDecodeError(pos, f"unknown {self.what} choice {tag}")
        return alternative.codec.read(buf, new)

    def write(self, value: Any, out: bytearray) -> None:
        for alternative in self.alternatives:
            if isinstance(value, alternative.types) and not (
                isinstance(value, bool) and bool not in _as_tuple(alternative.types)
            ):
                out.append(alternative.tag)
                try:
                    alternative.codec.write(value, out)
                except CosemEncodeError as error:
                    raise error.within(alternative.element) from None
                return
        raise CosemEncodeError(f"{value!r} is not a valid {self.what}")


def _as_tuple(types: type | tuple) -> tuple:
    return types if isinstance(types, tuple) else (types,)


class Wrapped(Codec):
    """A generated class with a single (compound) field holding the value of ``inner``."""

    def __init__(self, cls: type, inner: Codec) -> None:
        self.cls, self.inner = cls, inner
        (self.attr,) = attribute_names(cls).values()

    def read(self, buf: bytes, pos: int) -> tuple[Any, int]:
        value, pos = self.inner.read(buf, pos)
        return self.cls(**{self.attr: value}), pos

    def write(self, value: Any, out: bytearray) -> None:
        if not isinstance(value, self.cls):
            raise CosemEncodeError(f"{self.cls.__name__} expected, got {type(value).__name__}")
        inner = getattr(value, self.attr)
        if inner is None:
            raise CosemEncodeError(f"{self.cls.__name__}: no alternative chosen")
        self.inner.write(inner, out)


class ListOfChoice(Codec):
    """SEQUENCE OF a CHOICE held in one compound list field (e.g. GetDataResultList)."""

    def __init__(self, cls: type, choice: Choice) -> None:
        self.cls, self.choice = cls, choice
        (self.attr,) = attribute_names(cls).values()

    def read(self, buf: bytes, pos: int) -> tuple[Any, int]:
        start = pos
        count, pos = axdr.read_length(buf, pos, "SEQUENCE OF count")
        if count * 2 > len(buf) - pos:
            raise CosemDecodeError(
                start, f"{count} items cannot fit in {len(buf) - pos} remaining octets"
            )
        items = []
        for _ in range(count):
            item, pos = self.choice.read(buf, pos)
            items.append(item)
        return self.cls(**{self.attr: items}), pos

    def write(self, value: Any, out: bytearray) -> None:
        if not isinstance(value, self.cls):
            raise CosemEncodeError(f"{self.cls.__name__} expected, got {type(value).__name__}")
        items = getattr(value, self.attr)
        axdr.write_length(len(items), out)
        for index, item in enumerate(items):
            try:
                self.choice.write(item, out)
            except CosemEncodeError as error:
                raise error.at_position(_choice_position(self.choice, items, index)) from None


def _choice_position(choice: Choice, items: list, index: int) -> int | None:
    def element(item: Any) -> str | None:
        for alternative in choice.alternatives:
            if isinstance(item, alternative.types):
                return alternative.element
        return None

    name = element(items[index])
    same = [i for i, item in enumerate(items) if element(item) == name]
    return None if len(same) == 1 else same.index(index) + 1


class Variants(Codec):
    """The CHOICE of an APDU's variants (e.g. get-request-normal/-next/-with-list), held in
    the APDU class's ``choice`` field."""

    def __init__(self, cls: type, what: str, variants: dict[int, tuple[str, Codec]]) -> None:
        self.cls, self.what = cls, what
        self.by_tag = variants
        self.by_class = {
            codec.cls: (tag, element, codec) for tag, (element, codec) in variants.items()
        }

    def read(self, buf: bytes, pos: int) -> tuple[Any, int]:
        tag, new = axdr.read_u8(buf, pos, f"{self.what} type")
        entry = self.by_tag.get(tag)
        if entry is None:
            raise CosemDecodeError(pos, f"unknown {self.what} type {tag}")
        value, new = entry[1].read(buf, new)
        return self.cls(choice=value), new

    def write(self, value: Any, out: bytearray) -> None:
        variant = value.choice
        entry = self.by_class.get(type(variant))
        if entry is None:
            if variant is None:
                raise CosemEncodeError(f"{self.what}: no variant chosen")
            raise CosemEncodeError(f"{type(variant).__name__} is not a {self.what} variant")
        tag, element, codec = entry
        out.append(tag)
        try:
            codec.write(variant, out)
        except CosemEncodeError as error:
            raise error.within(element) from None
