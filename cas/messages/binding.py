"""xsdata binding: lxml element -> generated dataclasses, dataclasses -> XML bytes.

Binding goes straight from the parsed and validated lxml element (no second parse)
through the fast :mod:`cas.messages.reader`; output through the fast
:mod:`cas.messages.writer` (same text as xsdata). Both are several times faster than
xsdata's own parser and serializer, which remain the fallback for anything the fast paths
do not cover (xsdata's parser clears the element as it walks it: bind last). All share one
XmlContext (xsdata's per-class metadata cache); xsdata parsers and serializers are kept
per thread.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, TypeVar

from lxml import etree
from xsdata.exceptions import ConverterError, ParserError
from xsdata.formats.dataclass.context import XmlContext
from xsdata.formats.dataclass.parsers import XmlParser
from xsdata.formats.dataclass.parsers.config import ParserConfig
from xsdata.formats.dataclass.parsers.handlers import LxmlEventHandler
from xsdata.formats.dataclass.serializers import XmlSerializer
from xsdata.formats.dataclass.serializers.config import SerializerConfig

from cas.messages.namespaces import PREFIXES
from cas.messages.reader import XmlReader
from cas.messages.writer import Unsupported, XmlWriter

logger = logging.getLogger(__name__)

T = TypeVar("T")

_context = XmlContext()
_local = threading.local()
_writer = XmlWriter(_context)
_reader = XmlReader(_context)


def _parser() -> XmlParser:
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = XmlParser(
            config=ParserConfig(fail_on_unknown_properties=True, fail_on_converter_warnings=True),
            context=_context,
            handler=LxmlEventHandler,
        )
    return parser


def _serializer() -> XmlSerializer:
    serializer = getattr(_local, "serializer", None)
    if serializer is None:
        serializer = _local.serializer = XmlSerializer(
            config=SerializerConfig(xml_declaration=False), context=_context
        )
    return serializer


class BindingError(ValueError):
    """A schema-valid element that still cannot be bound (e.g. a value xsdata rejects)."""


def bind(element: etree._Element, clazz: type[T]) -> T:
    """Bind a validated element to ``clazz`` (the element may be emptied in the process).

    Raises BindingError when neither binder accepts it."""
    try:
        return _reader.bind(element, clazz)
    except Unsupported as reason:
        logger.debug("xsdata parser used for %s: %s", clazz.__name__, reason)
    try:
        return xsdata_bind(element, clazz)
    except (ParserError, ConverterError, ValueError, TypeError) as exc:
        raise BindingError(str(exc)) from exc


def xsdata_bind(element: etree._Element, clazz: type[T]) -> T:
    """The same through xsdata's parser (the fallback, and the reference in tests)."""
    return _parser().parse(element, clazz, ns_map={})


def to_element(obj: Any) -> etree._Element:
    """A generated dataclass instance as an lxml element (mes/dev/cos prefixes declared)."""
    try:
        return _writer.element(obj, nsmap=PREFIXES)
    except Unsupported as reason:
        logger.debug("xsdata serializer used for %s: %s", type(obj).__name__, reason)
        return etree.fromstring(xsdata_xml(obj))


def to_xml(obj: Any) -> bytes:
    """Serialize a generated dataclass instance (UTF-8, no XML declaration, mes/dev/cos)."""
    return etree.tostring(to_element(obj), encoding="UTF-8", xml_declaration=False)


def xsdata_xml(obj: Any) -> bytes:
    """The same through xsdata's serializer (the fallback, and the reference in tests)."""
    return _serializer().render(obj, ns_map=dict(PREFIXES)).encode("utf-8")
