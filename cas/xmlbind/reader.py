"""A fast binder from validated lxml elements to the generated dataclasses.

The counterpart of :mod:`cas.xmlbind.writer`: one plan per class from xsdata's metadata
(child tag -> field and how to read it, attribute -> field), compiled into one read
function per class that walks the element and calls the dataclass once with all its
fields. Values are converted as xsdata's converter does (:mod:`cas.xmlbind.values`).

Three shapes get a read function of their own, the shapes that make up large documents
(COSEM Data: arrays and structures of simple values): a value with simple content
(``<long-unsigned>5</long-unsigned>``), an empty element, and a list of choices (an
element whose only content is a repeated choice of elements). Each handles the common
case (no attributes, no unexpected children) and hands anything else to the general read
function, which handles every class the plans cover.

It expects a schema-valid element and never modifies it; anything its plans do not cover
(xsi:type or xsi:nil, wildcard content, QName values, unknown children) raises
:class:`Unsupported` and the caller binds with xsdata instead. tests/xmlbind checks both
binders agree.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from xsdata.formats.dataclass.context import XmlContext
from xsdata.formats.dataclass.models.elements import XmlMeta, XmlVar

from cas.xmlbind.errors import Unsupported
from cas.xmlbind.values import Decode, decoder

_XSI = "{http://www.w3.org/2001/XMLSchema-instance}"

Read = Callable[[etree._Element], Any]


@dataclass(slots=True)
class _Plan:
    clazz: type
    attributes: dict[str, tuple[str, Decode]]  # attribute name -> field, decoder
    text: tuple[str, Decode] | None
    fields: dict[str, tuple[str, bool]]  # child tag -> field, is it a list
    readers: dict[str, Read]  # child tag -> how to read it (classes filled in by _link)
    classes: dict[str, type]  # child tag -> its class, for _link
    lists: tuple[str, ...]
    read: Read = field(init=False)


class XmlReader:
    """Binds elements to generated dataclasses (one instance per XmlContext)."""

    def __init__(self, context: XmlContext) -> None:
        self._context = context
        self._plans: dict[type, _Plan] = {}

    def plan(self, clazz: type) -> _Plan:
        """The plan of ``clazz``, made together with the plans of every class it can hold
        (they refer to each other's read functions directly)."""
        plan = self._plans.get(clazz)
        if plan is None:
            fresh: dict[type, _Plan] = {}
            plan = self._compile_all(clazz, fresh)
            for each in fresh.values():
                self._link(each, fresh)
            self._plans.update(fresh)  # published complete: other threads may be reading
        return plan

    def bind(self, element: etree._Element, clazz: type) -> Any:
        plan = self._plans.get(clazz) or self.plan(clazz)
        return plan.read(element)

    # -- compilation ----------------------------------------------------------------------

    def _compile_all(self, clazz: type, fresh: dict[type, _Plan]) -> _Plan:
        plan = self._plans.get(clazz) or fresh.get(clazz)
        if plan is None:
            plan = fresh[clazz] = self._compile(self._context.build(clazz))
            for child in set(plan.classes.values()):
                # a class without a plan raises again when met: xsdata binds that element
                with suppress(Unsupported):
                    self._compile_all(child, fresh)
        return plan

    def _link(self, plan: _Plan, fresh: dict[type, _Plan]) -> None:
        for tag, clazz in plan.classes.items():
            target = self._plans.get(clazz) or fresh.get(clazz)
            plan.readers[tag] = target.read if target is not None else self._unsupported(clazz)

    def _unsupported(self, clazz: type) -> Read:
        def read(element: etree._Element) -> Any:
            return self.plan(clazz).read(element)  # raises Unsupported

        return read

    def _compile(self, meta: XmlMeta) -> _Plan:
        name = meta.clazz.__name__
        attributes: dict[str, tuple[str, Decode]] = {}
        for var in meta.get_attribute_vars():
            if not var.is_attribute or var.tokens:
                raise Unsupported(f"{name}.{var.name}: attribute wildcard or tokens")
            attributes[var.qname] = (var.name, decoder(var))
        text = None
        fields: dict[str, tuple[str, bool]] = {}
        readers: dict[str, Read] = {}
        classes: dict[str, type] = {}
        lists: list[str] = []
        element_vars = 0
        for var in meta.get_element_vars():
            if var.is_text:
                if var.tokens or var.mixed:
                    raise Unsupported(f"{name}.{var.name}: text tokens")
                text = (var.name, decoder(var))
                continue
            element_vars += 1
            if var.sequence is not None or var.mixed or var.wrapper_qname:
                raise Unsupported(f"{name}.{var.name}: {var}")
            if var.tokens:
                if not var.is_element or var.clazz is not None:
                    raise Unsupported(f"{name}.{var.name}: tokens")
                fields[var.qname] = (var.name, False)
                readers[var.qname] = _tokens_reader(var)
                continue
            if var.is_wildcard:
                continue  # wildcard content is not bound here: Unsupported when met
            is_list = var.list_element
            if is_list:
                lists.append(var.name)
            choices = var.elements.values() if var.is_elements else (var,)
            for choice in choices:
                if choice.is_wildcard:
                    continue
                if choice.tokens or (choice.nillable and not choice.clazz):
                    raise Unsupported(f"{name}.{var.name}: choice {choice.qname}")
                fields[choice.qname] = (var.name, is_list)
                if choice.clazz is not None:
                    classes[choice.qname] = choice.clazz
                else:
                    readers[choice.qname] = _value_reader(choice)
        plan = _Plan(meta.clazz, attributes, text, fields, readers, classes, tuple(lists))
        general = _general_reader(plan)
        if text is not None and not attributes and not element_vars:
            plan.read = _simple_reader(plan.clazz, text, general)
        elif text is None and not attributes and not element_vars:
            plan.read = _empty_reader(plan.clazz, general)
        elif text is None and not attributes and element_vars == 1 and len(lists) == 1:
            plan.read = _list_reader(plan.clazz, lists[0], readers, general)
        else:
            plan.read = general
        return plan


# -- Read functions ------------------------------------------------------------------------


def _general_reader(plan: _Plan) -> Read:
    clazz, attributes, fields, readers = plan.clazz, plan.attributes, plan.fields, plan.readers
    text, lists = plan.text, plan.lists

    def read(element: etree._Element) -> Any:
        values: dict[str, Any] = {name: [] for name in lists}
        for key, value in element.attrib.items():
            attribute = attributes.get(key)
            if attribute is None:
                if key.startswith(_XSI):
                    raise Unsupported(f"{key} on {element.tag}")
                continue  # unknown attributes are ignored, as xsdata does
            values[attribute[0]] = attribute[1](value)
        if text is not None:
            values[text[0]] = text[1](element.text or "")
        for child in element:
            tag = child.tag
            read_child = readers.get(tag)
            if read_child is None:
                if isinstance(tag, str):
                    raise Unsupported(f"{tag} in {element.tag}")
                continue  # a comment or processing instruction
            name, is_list = fields[tag]
            if is_list:
                values[name].append(read_child(child))
            else:
                values[name] = read_child(child)
        try:
            return clazz(**values)
        except TypeError as exc:  # a required field is missing: not schema-valid input
            raise Unsupported(str(exc)) from None

    return read


def _simple_reader(clazz: type, text: tuple[str, Decode], general: Read) -> Read:
    """A value: text only (``<long-unsigned>5</long-unsigned>``)."""
    name, decode = text

    def read(element: etree._Element) -> Any:
        if len(element) or element.keys():
            return general(element)
        return clazz(**{name: decode(element.text or "")})

    return read


def _empty_reader(clazz: type, general: Read) -> Read:
    """No content at all (``<null-data/>``)."""

    def read(element: etree._Element) -> Any:
        if len(element) or element.keys():
            return general(element)
        return clazz()

    return read


def _list_reader(clazz: type, name: str, readers: dict[str, Read], general: Read) -> Read:
    """Only a repeated choice of elements (``<array>`` of values or structures)."""

    def read(element: etree._Element) -> Any:
        if element.keys():
            return general(element)
        items = []
        append = items.append
        for child in element:
            read_child = readers.get(child.tag)
            if read_child is None:
                return general(element)  # a comment, or an unexpected element
            append(read_child(child))
        return clazz(**{name: items})

    return read


def _value_reader(var: XmlVar) -> Read:
    """A child element holding a simple value (``<class-id>8</class-id>``)."""
    decode = decoder(var)

    def read(element: etree._Element) -> Any:
        keys = element.keys()
        if keys and any(key.startswith(_XSI) for key in keys):
            raise Unsupported(f"xsi attribute on {element.tag}")
        return decode(element.text or "")

    return read


def _tokens_reader(var: XmlVar) -> Read:
    """A child element holding an xs:list (``<proposed-conformance>get set``)."""
    decode = decoder(var)

    def read(element: etree._Element) -> Any:
        keys = element.keys()
        if keys and any(key.startswith(_XSI) for key in keys):
            raise Unsupported(f"xsi attribute on {element.tag}")
        return [decode(item) for item in (element.text or "").split()]

    return read
