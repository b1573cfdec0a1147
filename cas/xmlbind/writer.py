"""A fast writer from the generated dataclasses straight to lxml elements.

xsdata's serializer turns every node into a chain of generator events and spends ~5 us per
element; a response page of group results or a load profile has thousands. This writer
walks the same xsdata metadata (XmlContext) once per class into a small plan, then builds
the lxml tree with direct SubElement calls, encoding values with xsdata's own
``encode_primitive`` so the text is identical. Anything the plans do not cover (xsi:type
substitution, nillable, mixed content, token lists, wrappers, sequential groups, attribute
wildcards) raises :class:`Unsupported`, and the caller falls back to xsdata for that
object; tests/xmlbind checks that every generated class has a plan and that both writers
agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from lxml import etree
from xsdata.formats.dataclass.context import XmlContext
from xsdata.formats.dataclass.models.elements import XmlMeta, XmlVar
from xsdata.formats.dataclass.models.generics import AnyElement, DerivedElement
from xsdata.formats.dataclass.serializers import XmlSerializer

from cas.xmlbind.errors import Unsupported

_encode = XmlSerializer.encode_primitive


class _Kind(Enum):
    ELEMENT = 1
    ELEMENTS = 2
    WILDCARD = 3


@dataclass(frozen=True, slots=True)
class _Child:
    name: str
    kind: _Kind
    var: XmlVar
    tokens: bool = False  # an xs:list: one element whose text is the items


@dataclass(frozen=True, slots=True)
class _Plan:
    qname: str
    attributes: tuple[tuple[str, str, XmlVar], ...]
    text: XmlVar | None
    children: tuple[_Child, ...]


class XmlWriter:
    """Writes generated dataclass instances as lxml elements (one instance per context)."""

    def __init__(self, context: XmlContext) -> None:
        self._context = context
        self._plans: dict[type, _Plan] = {}
        self._choices: dict[tuple[int, type], XmlVar | None] = {}

    def plan(self, clazz: type) -> _Plan:
        plan = self._plans.get(clazz)
        if plan is None:
            plan = self._plans[clazz] = self._compile(self._context.build(clazz))
        return plan

    def element(self, obj: Any, nsmap: dict[str, str] | None = None) -> etree._Element:
        """The element for a root object (its class names the element)."""
        plan = self.plan(type(obj))
        root = etree.Element(plan.qname, nsmap=nsmap)
        self._fill(root, obj, plan)
        return root

    # -- compilation ----------------------------------------------------------------------

    @staticmethod
    def _compile(meta: XmlMeta) -> _Plan:
        attributes = []
        for var in meta.get_attribute_vars():
            if not var.is_attribute or var.tokens:
                raise Unsupported(f"{meta.clazz.__name__}.{var.name}: attribute wildcard/tokens")
            attributes.append((var.name, var.qname, var))
        children = []
        for var in meta.get_element_vars():
            if var.is_text:
                continue  # written as the element's text (meta.text)
            if var.sequence is not None or var.mixed or var.wrapper_qname:
                raise Unsupported(f"{meta.clazz.__name__}.{var.name}: {var}")
            if var.tokens and not (var.is_element and var.clazz is None):
                raise Unsupported(f"{meta.clazz.__name__}.{var.name}: tokens")
            if var.nillable or (var.any_type and not (var.is_wildcard or var.is_elements)):
                raise Unsupported(f"{meta.clazz.__name__}.{var.name}: nillable/any type")
            if var.is_elements:
                kind = _Kind.ELEMENTS
                if any(choice.nillable or choice.tokens for choice in var.elements.values()):
                    raise Unsupported(f"{meta.clazz.__name__}.{var.name}: choice")
            elif var.is_wildcard:
                kind = _Kind.WILDCARD
            elif var.is_element:
                kind = _Kind.ELEMENT
            else:
                raise Unsupported(f"{meta.clazz.__name__}.{var.name}: {var}")
            children.append(_Child(var.name, kind, var, var.tokens))
        text = meta.text
        if text is not None and (text.tokens or text.mixed):
            raise Unsupported(f"{meta.clazz.__name__}.{text.name}: text tokens")
        return _Plan(meta.qname, tuple(attributes), text, tuple(children))

    # -- writing --------------------------------------------------------------------------

    def _fill(self, element: etree._Element, obj: Any, plan: _Plan) -> None:
        for name, qname, var in plan.attributes:
            value = getattr(obj, name)
            if value is None or value == []:
                continue
            element.set(qname, _text(value, var))
        if plan.text is not None:
            value = getattr(obj, plan.text.name)
            if value is not None:
                element.text = _text(value, plan.text) or None
        for child in plan.children:
            value = getattr(obj, child.name)
            if value is None:
                continue
            if child.tokens:
                if value:
                    text = " ".join(_text(item, child.var) for item in value)
                    etree.SubElement(element, child.var.qname).text = text
            elif isinstance(value, list):
                for item in value:
                    self._write_child(element, item, child)
            else:
                self._write_child(element, value, child)

    def _write_child(self, parent: etree._Element, value: Any, child: _Child) -> None:
        if child.kind is _Kind.ELEMENT:
            self._write_value(parent, value, child.var)
        elif child.kind is _Kind.ELEMENTS:
            choice = self._choice(child.var, value)
            if choice.is_wildcard:
                self._write_wildcard(parent, value)
            else:
                self._write_value(parent, value, choice)
        else:
            self._write_wildcard(parent, value)

    def _write_value(self, parent: etree._Element, value: Any, var: XmlVar) -> None:
        if hasattr(value, "__dataclass_fields__"):
            if type(value) not in var.types:
                raise Unsupported(f"{type(value).__name__} in {var.name} needs xsi:type")
            self._fill(etree.SubElement(parent, var.qname), value, self.plan(type(value)))
        elif isinstance(value, (AnyElement, DerivedElement)):
            raise Unsupported(f"generic element in {var.name}")
        else:
            etree.SubElement(parent, var.qname).text = _text(value, var) or None

    def _choice(self, var: XmlVar, value: Any) -> XmlVar:
        key = (id(var), type(value))
        choice = self._choices.get(key, False)
        if choice is False:
            is_model = hasattr(value, "__dataclass_fields__")
            if isinstance(value, (AnyElement, DerivedElement)):
                choice = var.find_choice(value.qname) if value.qname else None
                if choice is None or not choice.is_wildcard:
                    raise Unsupported(f"generic element in {var.name}")
                return choice
            choice = var.find_value_choice(value, is_model)
            if is_model:  # a class always maps to the same choice; a primitive may not
                self._choices[key] = choice
        if choice is None:
            raise Unsupported(f"no choice of {var.name} for {type(value).__name__}")
        return choice

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
            self._fill(etree.SubElement(parent, plan.qname), value, plan)
        else:
            raise Unsupported(f"{type(value).__name__} in a wildcard")


def _text(value: Any, var: XmlVar) -> str:
    text = _encode(value, var)
    if not isinstance(text, str):
        raise Unsupported(f"{var.name}: {type(text).__name__} value")
    return text
