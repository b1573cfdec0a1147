"""A fast writer from the generated dataclasses straight to lxml elements.

xsdata's serializer turns every node into a chain of generator events and spends ~5 us per
element; a response page of group results or a load profile has thousands. This writer
walks the same xsdata metadata (XmlContext) once per class into a small plan, compiled
into one fill function per class that builds the lxml tree with direct SubElement calls.
Values are encoded as xsdata's ``encode_primitive`` encodes them (:mod:`cas.xmlbind.values`),
so the text is identical. How to write a child is remembered per field and type of value
(for classes: the element name and the fill function of that class; for a class with
simple content, such as a COSEM ``long-unsigned``, one function that writes the element
and its text), so a large array costs one dictionary lookup and one call per item.

Anything the plans do not cover (xsi:type substitution, nillable, mixed content, token
lists, wrappers, sequential groups, attribute wildcards) raises :class:`Unsupported`, and
the caller falls back to xsdata for that object; tests/xmlbind checks that every generated
class has a plan and that both writers agree. :mod:`cas.xmlbind.markup` writes the same
plans as text, for callers that want bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from lxml import etree
from xsdata.formats.dataclass.context import XmlContext
from xsdata.formats.dataclass.models.elements import XmlMeta, XmlVar
from xsdata.formats.dataclass.models.generics import AnyElement, DerivedElement

from cas.xmlbind.errors import Unsupported
from cas.xmlbind.values import Encoders

_SubElement = etree.SubElement

Fill = Callable[[etree._Element, Any], None]  # writes an object's content into its element
Put = Callable[[etree._Element, Any], None]  # appends the element for a value to a parent


class Kind(Enum):
    ELEMENT = 1
    ELEMENTS = 2
    WILDCARD = 3


@dataclass(slots=True)
class Child:
    name: str
    kind: Kind
    var: XmlVar
    tokens: bool  # an xs:list: one element whose text is the items
    encoders: Encoders
    puts: dict[type, Put] = field(default_factory=dict)  # value type -> how to write it


@dataclass(slots=True)
class Plan:
    qname: str
    attributes: tuple[tuple[str, str, Encoders], ...]  # field, attribute name, encoders
    text: tuple[str, Encoders] | None
    children: tuple[Child, ...]
    fill: Fill = field(init=False)
    simple: bool = False  # text only: put() writes element and text in one step


class XmlWriter:
    """Writes generated dataclass instances as lxml elements (one instance per context)."""

    def __init__(self, context: XmlContext) -> None:
        self._context = context
        self._plans: dict[type, Plan] = {}
        self._encoders: dict[int, Encoders] = {}  # id(var) -> encoders (vars live forever)

    def plan(self, clazz: type) -> Plan:
        plan = self._plans.get(clazz)
        if plan is None:
            plan = self._plans[clazz] = self._compile(self._context.build(clazz))
        return plan

    def element(self, obj: Any, nsmap: dict[str | None, str] | None = None) -> etree._Element:
        """The element for a root object (its class names the element)."""
        plan = self._plans.get(type(obj)) or self.plan(type(obj))
        root = etree.Element(plan.qname, nsmap=nsmap)
        plan.fill(root, obj)
        return root

    # -- compilation ----------------------------------------------------------------------

    def _compile(self, meta: XmlMeta) -> Plan:
        name = meta.clazz.__name__
        attributes = []
        for var in meta.get_attribute_vars():
            if not var.is_attribute or var.tokens:
                raise Unsupported(f"{name}.{var.name}: attribute wildcard/tokens")
            attributes.append((var.name, var.qname, self.encoders_of(var)))
        children = []
        for var in meta.get_element_vars():
            if var.is_text:
                continue  # written as the element's text (meta.text)
            if var.sequence is not None or var.mixed or var.wrapper_qname:
                raise Unsupported(f"{name}.{var.name}: {var}")
            if var.tokens and not (var.is_element and var.clazz is None):
                raise Unsupported(f"{name}.{var.name}: tokens")
            if var.nillable or (var.any_type and not (var.is_wildcard or var.is_elements)):
                raise Unsupported(f"{name}.{var.name}: nillable/any type")
            if var.is_elements:
                kind = Kind.ELEMENTS
                if any(choice.nillable or choice.tokens for choice in var.elements.values()):
                    raise Unsupported(f"{name}.{var.name}: choice")
            elif var.is_wildcard:
                kind = Kind.WILDCARD
            elif var.is_element:
                kind = Kind.ELEMENT
            else:
                raise Unsupported(f"{name}.{var.name}: {var}")
            children.append(Child(var.name, kind, var, var.tokens, self.encoders_of(var)))
        text = None
        if meta.text is not None:
            if meta.text.tokens or meta.text.mixed:
                raise Unsupported(f"{name}.{meta.text.name}: text tokens")
            text = (meta.text.name, self.encoders_of(meta.text))
        plan = Plan(meta.qname, tuple(attributes), text, tuple(children))
        if text is not None and not attributes and not children:
            plan.fill, plan.simple = _simple_filler(text), True
        elif text is None and not attributes and not children:
            plan.fill = _fill_nothing
        elif text is None and not attributes and len(children) == 1 and not children[0].tokens:
            plan.fill = self._one_child_filler(children[0])
        else:
            plan.fill = self._general_filler(plan)
        return plan

    def encoders_of(self, var: XmlVar) -> Encoders:
        encoders = self._encoders.get(id(var))
        if encoders is None:
            encoders = self._encoders[id(var)] = Encoders(var)
        return encoders

    # -- fill functions -------------------------------------------------------------------

    def _general_filler(self, plan: Plan) -> Fill:
        attributes, text, children = plan.attributes, plan.text, plan.children
        resolve = self._resolve

        def fill(element: etree._Element, obj: Any) -> None:
            for name, qname, encoders in attributes:
                value = getattr(obj, name)
                if value is None or value == []:
                    continue
                element.set(qname, encoders[type(value)](value))
            if text is not None:
                value = getattr(obj, text[0])
                if value is not None:
                    element.text = text[1][type(value)](value) or None
            for child in children:
                value = getattr(obj, child.name)
                if value is None:
                    continue
                if child.tokens:
                    if value:
                        encoders = child.encoders
                        items = " ".join(encoders[type(item)](item) for item in value)
                        _SubElement(element, child.var.qname).text = items
                    continue
                puts = child.puts
                if isinstance(value, list):
                    for item in value:
                        (puts.get(type(item)) or resolve(child, item))(element, item)
                else:
                    (puts.get(type(value)) or resolve(child, value))(element, value)

        return fill

    def _one_child_filler(self, child: Child) -> Fill:
        """Only one child field (``<array>`` of values, a choice wrapper)."""
        name, puts, resolve = child.name, child.puts, self._resolve

        def fill(element: etree._Element, obj: Any) -> None:
            value = getattr(obj, name)
            if value is None:
                return
            if isinstance(value, list):
                for item in value:
                    (puts.get(type(item)) or resolve(child, item))(element, item)
            else:
                (puts.get(type(value)) or resolve(child, value))(element, value)

        return fill

    # -- how to write one child value -----------------------------------------------------

    def _resolve(self, child: Child, value: Any) -> Put:
        """How to write ``value`` in ``child``; remembered when its type decides it."""
        var, remember = target(child, value)
        put = self._write_wildcard if var is None else self._value_put(value, var)
        if remember:
            child.puts[type(value)] = put
        return put

    def _value_put(self, value: Any, var: XmlVar) -> Put:
        qname = var.qname
        if hasattr(value, "__dataclass_fields__"):
            if type(value) not in var.types:
                raise Unsupported(f"{type(value).__name__} in {var.name} needs xsi:type")
            plan = self.plan(type(value))
            if plan.simple:
                return _simple_put(qname, plan.text)
            fill = plan.fill

            def put(parent: etree._Element, obj: Any) -> None:
                fill(_SubElement(parent, qname), obj)

            return put
        if isinstance(value, (AnyElement, DerivedElement)):
            raise Unsupported(f"generic element in {var.name}")
        encoders = self.encoders_of(var)

        def put_text(parent: etree._Element, value: Any) -> None:
            _SubElement(parent, qname).text = encoders[type(value)](value) or None

        return put_text

    def _write_wildcard(self, parent: etree._Element, value: Any) -> None:
        if isinstance(value, AnyElement):
            if not value.qname:
                raise Unsupported("text in a wildcard")
            element = etree.SubElement(parent, value.qname)
            for key, attribute in value.attributes.items():
                element.set(key, str(attribute))
            element.text = value.text or None
            element.tail = value.tail or None
            for child in value.children:
                self._write_wildcard(element, child)
        elif hasattr(value, "__dataclass_fields__"):
            plan = self.plan(type(value))
            plan.fill(etree.SubElement(parent, plan.qname), value)
        else:
            raise Unsupported(f"{type(value).__name__} in a wildcard")


def target(child: Child, value: Any) -> tuple[XmlVar | None, bool]:
    """The field (of a choice: the choice) ``child`` writes ``value`` as, None for the
    wildcard, and whether every value of its type gets the same: always for one element
    (one var: the type decides) and for classes (a class always maps to the same choice),
    not for primitives of a choice (the value decides)."""
    kind, var = child.kind, child.var
    if kind is Kind.ELEMENT:
        return var, True
    if kind is Kind.WILDCARD:
        return None, False
    if isinstance(value, (AnyElement, DerivedElement)):
        choice = var.find_choice(value.qname) if value.qname else None
        if choice is None or not choice.is_wildcard:
            raise Unsupported(f"generic element in {var.name}")
        return None, False
    is_model = hasattr(value, "__dataclass_fields__")
    choice = var.find_value_choice(value, is_model)
    if choice is None:
        raise Unsupported(f"no choice of {var.name} for {type(value).__name__}")
    return (None if choice.is_wildcard else choice), is_model


def _fill_nothing(element: etree._Element, obj: Any) -> None:
    """An empty element (``<null-data/>``)."""


def _simple_filler(text: tuple[str, Encoders]) -> Fill:
    name, encoders = text

    def fill(element: etree._Element, obj: Any) -> None:
        value = getattr(obj, name)
        if value is not None:
            element.text = encoders[type(value)](value) or None

    return fill


def _simple_put(qname: str, text: tuple[str, Encoders] | None) -> Put:
    """Element and text in one step (``<long-unsigned>5</long-unsigned>``)."""
    assert text is not None
    name, encoders = text

    def put(parent: etree._Element, obj: Any) -> None:
        value = getattr(obj, name)
        element = _SubElement(parent, qname)
        if value is not None:
            element.text = encoders[type(value)](value) or None

    return put
