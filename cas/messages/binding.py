"""The message layer's binding: generated dataclasses <-> lxml elements and XML bytes.

A thin layer over :mod:`cas.xmlbind` (fast reader/writer over xsdata's metadata, xsdata as
fallback, one shared XmlContext) that adds the mes/dev/cos prefixes the CAS writes.
Binding does not modify the element it reads.
"""

from __future__ import annotations

from typing import Any, TypeVar

from lxml import etree

from cas import xmlbind
from cas.messages.namespaces import PREFIXES
from cas.xmlbind import BindingError

__all__ = ["BindingError", "bind", "to_element", "to_xml", "xsdata_bind", "xsdata_xml"]

T = TypeVar("T")


def bind(element: etree._Element, clazz: type[T]) -> T:
    """Bind a validated element to ``clazz``. Raises BindingError when no binder accepts it."""
    return xmlbind.bind(element, clazz)


def xsdata_bind(element: etree._Element, clazz: type[T]) -> T:
    """The same through xsdata's parser only (the reference in tests and benchmarks)."""
    return xmlbind.xsdata_bind(element, clazz)


def to_element(obj: Any) -> etree._Element:
    """A generated dataclass instance as an lxml element (mes/dev/cos prefixes declared)."""
    return xmlbind.to_element(obj, PREFIXES)


def to_xml(obj: Any) -> bytes:
    """Serialize a generated dataclass instance (UTF-8, no XML declaration, mes/dev/cos)."""
    return etree.tostring(to_element(obj), encoding="UTF-8", xml_declaration=False)


def xsdata_xml(obj: Any) -> bytes:
    """The same through xsdata's serializer only (the reference in tests and benchmarks)."""
    return xmlbind.xsdata_text(obj, PREFIXES).encode("utf-8")
