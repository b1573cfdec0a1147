"""xsdata binding: lxml element -> generated dataclasses, dataclasses -> XML bytes.

The parser binds straight from an already parsed and validated lxml element (no second
parse). It walks the element and clears it as it goes: bind last. Parser and serializer
share one XmlContext (xsdata's per-class metadata cache) and are kept per thread.
"""

from __future__ import annotations

import threading
from typing import Any, TypeVar

from lxml import etree
from xsdata.formats.dataclass.context import XmlContext
from xsdata.formats.dataclass.parsers import XmlParser
from xsdata.formats.dataclass.parsers.config import ParserConfig
from xsdata.formats.dataclass.parsers.handlers import LxmlEventHandler
from xsdata.formats.dataclass.serializers import XmlSerializer
from xsdata.formats.dataclass.serializers.config import SerializerConfig

from cas.messages.namespaces import PREFIXES

T = TypeVar("T")

_context = XmlContext()
_local = threading.local()


def _parser() -> XmlParser:
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = XmlParser(
            config=ParserConfig(fail_on_unknown_properties=True),
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


def bind(element: etree._Element, clazz: type[T]) -> T:
    """Bind a validated element to ``clazz``. The element is emptied in the process."""
    return _parser().parse(element, clazz, ns_map={})


def to_xml(obj: Any) -> bytes:
    """Serialize a generated dataclass instance (UTF-8, no XML declaration, mes/dev/cos)."""
    return _serializer().render(obj, ns_map=dict(PREFIXES)).encode("utf-8")
