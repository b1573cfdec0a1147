"""lxml elements <-> generated xsdata dataclasses: the fast paths first, xsdata after.

One XmlContext (xsdata's per-class metadata cache) feeds the fast reader and writer (one
plan per class, shared by all threads) and xsdata's parser and serializers (per thread),
so every caller pays for each class's metadata once. The fast paths give the same objects
and the same XML as xsdata (tests/xmlbind checks it on every corpus the project has);
whatever they do not cover raises Unsupported inside and goes to xsdata instead.

Writing goes through the markup writer first (the text of the writer's tree, written
directly: ``to_bytes`` serves it as is, ``to_element`` parses it, both faster than
building the tree), then the tree writer, then xsdata.
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from lxml import etree
from xsdata.exceptions import ConverterError, ParserError
from xsdata.formats.dataclass.context import XmlContext

from cas.xmlbind.errors import BindingError, Unsupported
from cas.xmlbind.fallback import Fallback
from cas.xmlbind.markup import XmlMarkup
from cas.xmlbind.reader import XmlReader
from cas.xmlbind.writer import XmlWriter

logger = logging.getLogger(__name__)

T = TypeVar("T")

CONTEXT = XmlContext()
READER = XmlReader(CONTEXT)
WRITER = XmlWriter(CONTEXT)
MARKUP = XmlMarkup(WRITER)
_fallback = Fallback(CONTEXT)


def bind(element: etree._Element, clazz: type[T]) -> T:
    """Bind an element (expected schema-valid) to ``clazz``; the element is not modified.

    Raises BindingError when neither the fast reader nor xsdata's parser accepts it."""
    try:
        return READER.bind(element, clazz)
    except Unsupported as reason:
        logger.debug("xsdata parser used for %s: %s", clazz.__name__, reason)
    try:
        return xsdata_bind(element, clazz)
    except (ParserError, ConverterError, ValueError, TypeError) as exc:
        raise BindingError(str(exc)) from exc


def to_element(obj: Any, nsmap: dict[str | None, str] | None = None) -> etree._Element:
    """A generated dataclass instance as a new root element (its class names the element),
    declaring the prefixes of ``nsmap`` (a None key: the default namespace)."""
    try:
        return MARKUP.element(obj, nsmap)
    except Unsupported as reason:
        logger.debug("tree written for %s: %s", type(obj).__name__, reason)
    return _tree(obj, nsmap)


def _tree(obj: Any, nsmap: dict[str | None, str] | None) -> etree._Element:
    """The tree built an element at a time: the fast writer, else xsdata's."""
    try:
        return WRITER.element(obj, nsmap=nsmap)
    except Unsupported as reason:
        logger.debug("xsdata serializer used for %s: %s", type(obj).__name__, reason)
        return xsdata_element(obj, nsmap)


def to_bytes(
    obj: Any,
    nsmap: dict[str | None, str] | None = None,
    *,
    tag: str | None = None,
    encoding: str = "UTF-8",
) -> bytes:
    """``etree.tostring(to_element(obj, nsmap), encoding=encoding)``, the root renamed to
    ``tag`` (a qualified name) if given; written as text, without building the tree, for
    whatever the markup writer covers (UTF-8 or ASCII: non-ASCII as character references)."""
    codec = _CODECS.get(encoding.upper())
    if codec is not None:
        try:
            return MARKUP.text(obj, nsmap, tag).encode(*codec)
        except Unsupported as reason:
            logger.debug("tree written for %s: %s", type(obj).__name__, reason)
    element = _tree(obj, nsmap)
    if tag is not None:
        element.tag = tag
    return etree.tostring(element, encoding=encoding)


_CODECS = {  # lxml's name of an encoding -> str.encode's arguments
    "UTF-8": ("utf-8", "strict"),
    "UTF8": ("utf-8", "strict"),
    "ASCII": ("ascii", "xmlcharrefreplace"),
    "US-ASCII": ("ascii", "xmlcharrefreplace"),
}


def xsdata_bind(element: etree._Element, clazz: type[T]) -> T:
    """``bind`` through xsdata's parser only (the fallback, and the reference in tests).
    Raises xsdata's own errors."""
    return _fallback.parser().parse(element, clazz, ns_map={})


def xsdata_element(obj: Any, nsmap: dict[str | None, str] | None = None) -> etree._Element:
    """``to_element`` through xsdata's tree serializer only."""
    return _fallback.tree_serializer().render(obj, ns_map=dict(nsmap or {})).getroot()


def xsdata_text(obj: Any, nsmap: dict[str | None, str] | None = None) -> str:
    """The object's XML text (no declaration) through xsdata's string serializer only."""
    return _fallback.text_serializer().render(obj, ns_map=dict(nsmap or {}))
