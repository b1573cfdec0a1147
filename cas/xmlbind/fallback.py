"""xsdata's own parser and serializer: the fallback of the fast paths and the reference
the equivalence tests compare them with.

The parser reads an lxml element without modifying it (xsdata's stock lxml handler clears
each element as it goes) and skips comments and processing instructions. Parsers and
serializers keep state while they work, so each thread gets its own.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from lxml import etree
from xsdata.formats.dataclass.context import XmlContext
from xsdata.formats.dataclass.parsers import XmlParser
from xsdata.formats.dataclass.parsers.config import ParserConfig
from xsdata.formats.dataclass.parsers.handlers import LxmlEventHandler
from xsdata.formats.dataclass.serializers import XmlSerializer
from xsdata.formats.dataclass.serializers.config import SerializerConfig
from xsdata.formats.dataclass.serializers.tree import TreeSerializer
from xsdata.models.enums import EventType


class _TreeHandler(LxmlEventHandler):
    """xsdata's lxml handler, reading an element without clearing it (the caller's
    document stays intact) and skipping comments and processing instructions."""

    def parse(self, source: Any, ns_map: dict[str | None, str]) -> Any:
        return self.process_context(etree.iterwalk(source, ("start", "end")), ns_map)

    def process_context(self, context: Iterable[tuple[str, Any]], ns_map: dict) -> Any:
        parser = self.parser
        for event, element in context:
            tag = element.tag
            if not isinstance(tag, str):
                continue
            if event == EventType.START:
                parser.start(
                    self.clazz, self.queue, self.objects, tag, element.attrib, element.nsmap
                )
            else:
                parser.end(self.queue, self.objects, tag, element.text, element.tail)
        return self.objects[-1][1] if self.objects else None


class Fallback:
    """Per-thread xsdata parser and serializers over one XmlContext."""

    def __init__(self, context: XmlContext) -> None:
        self._context = context
        self._local = threading.local()

    def parser(self) -> XmlParser:
        parser = getattr(self._local, "parser", None)
        if parser is None:
            parser = self._local.parser = XmlParser(
                config=ParserConfig(
                    fail_on_unknown_properties=True, fail_on_converter_warnings=True
                ),
                context=self._context,
                handler=_TreeHandler,
            )
        return parser

    def tree_serializer(self) -> TreeSerializer:
        serializer = getattr(self._local, "tree_serializer", None)
        if serializer is None:
            serializer = self._local.tree_serializer = TreeSerializer(
                config=SerializerConfig(xml_declaration=False), context=self._context
            )
        return serializer

    def text_serializer(self) -> XmlSerializer:
        serializer = getattr(self._local, "text_serializer", None)
        if serializer is None:
            serializer = self._local.text_serializer = XmlSerializer(
                config=SerializerConfig(xml_declaration=False), context=self._context
            )
        return serializer
