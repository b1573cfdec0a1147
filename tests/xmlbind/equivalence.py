"""Checks that the fast reader/writer and xsdata's parser/serializer agree on one object."""

from __future__ import annotations

import copy
from typing import Any

from lxml import etree

from cas import xmlbind
from cas.xmlbind.binding import READER, WRITER


def same_objects(left: Any, right: Any) -> bool:
    """Equal values of equal types (repr, since NaN != NaN defeats ==; a dataclass repr
    names every class and field, and tells 1 from True, bytes from str, Enum from int)."""
    return repr(left) == repr(right)


def assert_reads_alike(element: etree._Element, clazz: type) -> Any:
    """The fast reader binds ``element`` exactly as xsdata does, and leaves it unchanged."""
    before = etree.tostring(element)
    fast = READER.bind(element, clazz)
    assert etree.tostring(element) == before
    reference = xmlbind.xsdata_bind(copy.deepcopy(element), clazz)
    assert same_objects(fast, reference), f"\nfast:   {fast!r}\nxsdata: {reference!r}"
    return fast


def assert_writes_alike(obj: Any, nsmap: dict[str | None, str]) -> bytes:
    """The fast writer writes ``obj`` exactly as both xsdata serializers do."""
    fast = etree.tostring(WRITER.element(obj, nsmap=nsmap), encoding="UTF-8")
    tree = etree.tostring(xmlbind.xsdata_element(obj, nsmap), encoding="UTF-8")
    text = xmlbind.xsdata_text(obj, nsmap).encode()
    assert fast == tree == text, f"\nfast:   {fast!r}\ntree:   {tree!r}\ntext:   {text!r}"
    return fast


def assert_round_trips_alike(obj: Any, nsmap: dict[str | None, str]) -> None:
    """Written alike, and read back alike both as written and pretty-printed."""
    written = assert_writes_alike(obj, nsmap)
    for text in (written, etree.tostring(etree.fromstring(written), pretty_print=True)):
        back = assert_reads_alike(etree.fromstring(text), type(obj))
        assert same_objects(back, obj)
