"""Text <-> Python values of one field, with xsdata's converter chosen once per field.

xsdata's converter dispatches on every value: try each declared type in turn, find its
converter by walking the MRO, call it with keyword arguments. For the types generated
fields actually have (one of int, bool, float, str, base16 bytes or an Enum) the outcome
of that dispatch is known when the plan is compiled, so a field gets a function doing
exactly what the chosen xsdata converter does (int() for IntConverter, "true"/"1" for
BoolConverter, ...). Any other type, a union of several types, a converter registered by
someone else: xsdata's own entry points, unchanged. Failures raise Unsupported, so the
caller hands the element to xsdata, which reports them its own way.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Callable
from datetime import datetime
from enum import Enum, EnumMeta
from typing import Any
from xml.etree.ElementTree import QName

from xsdata.exceptions import ConverterError
from xsdata.formats.converter import (
    BoolConverter,
    BytesConverter,
    EnumConverter,
    FloatConverter,
    IntConverter,
    ProxyConverter,
    StringConverter,
    converter,
)
from xsdata.formats.dataclass.models.elements import XmlVar
from xsdata.formats.dataclass.serializers import XmlSerializer
from xsdata.models.datatype import XmlDate, XmlDateTime, XmlTime

from cas.xmlbind.errors import Unsupported

Decode = Callable[[str], Any]
Encode = Callable[[Any], str]

_MEMO_LIMIT = 256  # texts remembered per enumeration field (input decides the texts)
_WHITESPACE = re.compile(r"\s+")
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


def _registered(tp: type) -> Any:
    try:
        return converter.type_converter(tp)
    except ConverterError:
        return None


# -- Text -> value ---------------------------------------------------------------------------


def decoder(var: XmlVar) -> Decode:
    """The function xsdata's parser amounts to for this field's text."""
    types = var.types
    if len(types) == 1:
        tp = types[0]
        kind = type(_registered(tp))
        if kind is StringConverter and tp is str:
            return _same
        if kind is IntConverter and tp is int:
            return _int
        if kind is FloatConverter and tp is float:
            return _float
        if kind is BoolConverter and tp is bool:
            return _bool
        if kind is BytesConverter and tp is bytes and var.format == "base16":
            return _base16
        if kind is EnumConverter and isinstance(tp, EnumMeta):
            return _Remembered(_generic_decoder(var))
        if tp is XmlDateTime and kind is ProxyConverter:
            return _date_time_decoder(_generic_decoder(var))
    return _generic_decoder(var)


# The plain form of an xs:dateTime (what clients send); anything else goes to xsdata.
_DATE_TIME = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?:(Z)|([+-])(1[0-4]|0\d):([0-5]\d))?"
)


def _date_time_decoder(fallback: Decode) -> Decode:
    """xs:dateTime without xsdata's strptime (about 50 us a value, most of a small request's
    binding): the plain form, checked as xsdata checks it (a real calendar date and time of
    day, year 1..9999), is built directly; any other text goes to xsdata."""

    def decode(text: str) -> Any:
        match = _DATE_TIME.fullmatch(text)
        if match is None:
            return fallback(text)
        year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
        fields = int(year), int(month), int(day), int(hour), int(minute), int(second)
        try:
            datetime(*fields)
        except ValueError:
            return fallback(text)  # 24:00:00, year 0, 30 February: xsdata's own verdict
        if zulu is not None:
            offset: int | None = 0
        elif sign is not None:
            offset = (int(off_h) * 60 + int(off_m)) * (1 if sign == "+" else -1)
        else:
            offset = None
        nanoseconds = int(fraction.ljust(9, "0")) if fraction else 0
        return XmlDateTime(*fields, nanoseconds, offset)

    return decode


def _same(text: str) -> str:
    return text


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise Unsupported(f"not an int: {text!r}") from None


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise Unsupported(f"not a float: {text!r}") from None


def _bool(text: str) -> bool:
    value = _BOOLEANS.get(text.strip())
    if value is None:
        raise Unsupported(f"not a boolean: {text!r}")
    return value


def _base16(text: str) -> bytes:
    try:  # an alphanumeric text has no white space to remove
        return binascii.unhexlify(text if text.isalnum() else _WHITESPACE.sub("", text))
    except ValueError:
        raise Unsupported(f"not hex: {text!r}") from None


def _generic_decoder(var: XmlVar) -> Decode:
    types, fmt = var.types, var.format

    def decode(text: str) -> Any:
        try:
            return converter.deserialize(text, types, format=fmt)
        except Exception as exc:  # ConverterError and friends: let xsdata decide
            raise Unsupported(f"{var.name}: {text!r}: {exc}") from None

    return decode


class _Remembered:
    """For enumerations: the member a text names never changes, so remember it (for a
    bounded number of texts: the input decides which texts come)."""

    __slots__ = ("decode", "memo")

    def __init__(self, decode: Decode) -> None:
        self.decode = decode
        self.memo: dict[str, Any] = {}

    def __call__(self, text: str) -> Any:
        value = self.memo.get(text)
        if value is None:
            value = self.decode(text)
            if len(self.memo) < _MEMO_LIMIT:
                self.memo[text] = value
        return value


# -- Value -> text ---------------------------------------------------------------------------


class Encoders(dict[type, Encode]):
    """Per field: the type of a value -> the function giving the text xsdata's
    ``encode_primitive`` gives for it (filled on first sight of each type)."""

    def __init__(self, var: XmlVar) -> None:
        super().__init__()
        self.var = var

    def __missing__(self, kind: type) -> Encode:
        encode = self[kind] = self._compile(kind)
        return encode

    def text(self, value: Any) -> str:
        return self[type(value)](value)

    def plain(self, kind: type) -> bool:
        """The texts of ``kind`` never hold a character XML escapes (& < > " and white
        space other than the space): numbers, booleans, hex, xsdata's dates and times."""
        encode = self[kind]
        if encode is str:
            return kind is int or kind in _PLAIN_PROXIES
        return encode in _PLAIN_ENCODERS

    def _compile(self, kind: type) -> Encode:
        var = self.var
        if issubclass(kind, str):
            return _same
        if issubclass(kind, Enum):
            return _memoized_enum(self)
        registered = type(_registered(kind))
        if registered is ProxyConverter and _is_named_tuple(kind):  # XmlDateTime & co
            return _date_time_text if kind is XmlDateTime else str  # as ProxyConverter does
        if issubclass(kind, (QName, list, tuple)):  # prefixes, token lists: not here
            return lambda value: _generic_text(value, var)
        if kind is int and registered is IntConverter:
            return str
        if kind is bool and registered is BoolConverter:
            return _bool_text
        if kind is float and registered is FloatConverter:
            return _float_text
        if kind is bytes and registered is BytesConverter and var.format == "base16":
            return _hex_text
        return lambda value: _generic_text(value, var)


def _is_named_tuple(kind: type) -> bool:
    """encode_primitive takes a tuple with _fields (XmlDateTime, XmlDate, ...) for a value
    and hands it to its converter, not item by item."""
    return issubclass(kind, tuple) and hasattr(kind, "_fields")


def _memoized_enum(encoders: Encoders) -> Encode:
    memo: dict[Enum, str] = {}

    def encode(member: Enum) -> str:
        text = memo.get(member)
        if text is None:  # encode_primitive encodes an Enum by its value
            text = memo[member] = encoders.text(member.value)
        return text

    return encode


def _bool_text(value: bool) -> str:
    return "true" if value else "false"


def _hex_text(value: bytes) -> str:
    return value.hex().upper()  # what base64.b16encode(value).decode() gives


def _date_time_text(value: XmlDateTime) -> str:
    """``str(value)`` (xsdata's format_date, format_time and format_offset) in one step,
    %-formatted (a third of the time of format specs): the Activated of every result."""
    year, month, day, hour, minute, second, fraction, offset = value
    if not _all_ints(value):
        return str(value)  # what str() makes of other values (or how it fails)
    sign = "-" if year < 0 else ""
    text = "%s%04d-%02d-%02dT" % (sign, abs(year), month, day)  # noqa: UP031
    text += "%02d:%02d:%02d" % (hour, minute, second)  # noqa: UP031
    if fraction:
        microsecond, nano = divmod(fraction, 1000)
        if nano:
            text += ".%09d" % fraction  # noqa: UP031
        elif microsecond % 1000:
            text += ".%06d" % microsecond  # noqa: UP031
        else:
            text += ".%03d" % (microsecond // 1000)  # noqa: UP031
    if offset is None:
        return text
    if offset == 0:
        return text + "Z"
    hours, minutes = divmod(abs(offset), 60)
    return "%s%s%02d:%02d" % (text, "-" if offset < 0 else "+", hours, minutes)  # noqa: UP031


def _all_ints(value: XmlDateTime) -> bool:
    """Int fields (the offset may be None): %d would also take a float, format specs not."""
    year, month, day, hour, minute, second, fraction, offset = value
    return (
        int is type(year) is type(month) is type(day) is type(hour) is type(minute)
        and int is type(second) is type(fraction)
        and (offset is None or type(offset) is int)
    )


_float_text: Encode = FloatConverter().serialize  # the same whatever instance is registered
_PLAIN_ENCODERS = frozenset({_bool_text, _date_time_text, _float_text, _hex_text})
_PLAIN_PROXIES = frozenset({XmlDateTime, XmlDate, XmlTime})  # digits, - : . T Z +


def _generic_text(value: Any, var: XmlVar) -> str:
    text = XmlSerializer.encode_primitive(value, var)
    if not isinstance(text, str):
        raise Unsupported(f"{var.name}: {type(text).__name__} value")
    return text
