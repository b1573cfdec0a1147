"""A fast binder from validated lxml elements to the generated dataclasses.

The counterpart of :mod:`cas.xmlbind.writer`: one plan per class from xsdata's metadata
(child tag -> field, attribute -> field), then a direct walk of the element that converts
text with xsdata's own converter and calls the dataclass once with all its fields. It
expects a schema-valid element; anything its plans do not cover (xsi:type or xsi:nil,
wildcard content, QName values, unknown children) raises :class:`Unsupported` and the
caller binds with xsdata instead. tests/xmlbind checks both binders agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree
from xsdata.formats.converter import converter
from xsdata.formats.dataclass.context import XmlContext
from xsdata.formats.dataclass.models.elements import XmlMeta, XmlVar

from cas.xmlbind.errors import Unsupported

_XSI = "{http://www.w3.org/2001/XMLSchema-instance}"


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    var: XmlVar
    is_list: bool
    clazz: type | None  # a dataclass to bind to, or None for a simple value
    tokens: bool = False  # an xs:list: the text holds the items


@dataclass(frozen=True, slots=True)
class _Plan:
    clazz: type
    attributes: dict[str, _Field]
    text: _Field | None
    children: dict[str, _Field]
    lists: tuple[str, ...]


class XmlReader:
    """Binds elements to generated dataclasses (one instance per XmlContext)."""

    def __init__(self, context: XmlContext) -> None:
        self._context = context
        self._plans: dict[type, _Plan] = {}

    def plan(self, clazz: type) -> _Plan:
        plan = self._plans.get(clazz)
        if plan is None:
            plan = self._plans[clazz] = self._compile(self._context.build(clazz))
        return plan

    def bind(self, element: etree._Element, clazz: type) -> Any:
        plan = self.plan(clazz)
        values: dict[str, Any] = {name: [] for name in plan.lists}
        for key, text in element.attrib.items():
            field = plan.attributes.get(key)
            if field is None:
                if key.startswith(_XSI):
                    raise Unsupported(f"{key} on {element.tag}")
                continue  # unknown attributes are ignored, as xsdata does
            values[field.name] = _convert(text, field.var)
        if plan.text is not None:
            values[plan.text.name] = _convert(element.text or "", plan.text.var)
        for child in element:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            field = plan.children.get(tag)
            if field is None:
                raise Unsupported(f"{tag} in {element.tag}")
            if field.clazz is not None:
                value = self.bind(child, field.clazz)
            else:
                if child.attrib and any(key.startswith(_XSI) for key in child.attrib):
                    raise Unsupported(f"xsi attribute on {tag}")
                text = child.text or ""
                if field.tokens:
                    value = [_convert(item, field.var) for item in text.split()]
                else:
                    value = _convert(text, field.var)
            if field.is_list:
                values[field.name].append(value)
            else:
                values[field.name] = value
        try:
            return plan.clazz(**values)
        except TypeError as exc:  # a required field is missing: not schema-valid input
            raise Unsupported(str(exc)) from None

    # -- compilation ----------------------------------------------------------------------

    @staticmethod
    def _compile(meta: XmlMeta) -> _Plan:
        name = meta.clazz.__name__
        attributes: dict[str, _Field] = {}
        for var in meta.get_attribute_vars():
            if not var.is_attribute or var.tokens:
                raise Unsupported(f"{name}.{var.name}: attribute wildcard or tokens")
            attributes[var.qname] = _Field(var.name, var, False, None)
        text = None
        children: dict[str, _Field] = {}
        lists: list[str] = []
        for var in meta.get_element_vars():
            if var.is_text:
                if var.tokens or var.mixed:
                    raise Unsupported(f"{name}.{var.name}: text tokens")
                text = _Field(var.name, var, False, None)
                continue
            if var.sequence is not None or var.mixed or var.wrapper_qname:
                raise Unsupported(f"{name}.{var.name}: {var}")
            if var.tokens:
                if not var.is_element or var.clazz is not None:
                    raise Unsupported(f"{name}.{var.name}: tokens")
                children[var.qname] = _Field(var.name, var, False, None, tokens=True)
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
                children[choice.qname] = _Field(var.name, choice, is_list, choice.clazz)
        return _Plan(meta.clazz, attributes, text, children, tuple(lists))


def _convert(text: str, var: XmlVar) -> Any:
    types = var.types
    if types == (str,):
        return text
    try:
        return converter.deserialize(text, types, format=var.format)
    except Exception as exc:  # ConverterError and friends: let xsdata decide
        raise Unsupported(f"{var.name}: {text!r}: {exc}") from None
