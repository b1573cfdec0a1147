"""XML text straight from the generated dataclasses, without an lxml tree.

:class:`~cas.xmlbind.writer.XmlWriter` builds a tree (a SubElement call per element) that
is then serialized; the gateway keeps a CosemAccessResult per meter and access as bytes and
never needs the tree. This writer walks the same plans (and picks choices the same way) and
writes the text ``etree.tostring`` gives for the writer's tree, byte for byte:

- the root declares the nsmap's prefixes as lxml does (taken from lxml, once per root name
  and nsmap); every other element has the prefix nsmap gives its namespace;
- an element with neither text nor children is ``<a/>``;
- libxml2's escaping: & < > and CR in text, those and " TAB LF in attribute values
  (tests/xmlbind compares every code point); in ASCII, characters beyond it as decimal
  character references (done by the caller's ``encode``).

Whatever would make lxml write something else raises Unsupported and the caller builds the
tree instead: a namespace nsmap has no prefix for (lxml invents one), one namespace under
two prefixes, an attribute in a namespace, generic elements (AnyElement, DerivedElement), a
character XML does not allow (lxml raises on it: so does the tree path then).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

from lxml import etree
from xsdata.formats.dataclass.models.elements import XmlVar
from xsdata.formats.dataclass.models.generics import AnyElement, DerivedElement

from cas.xmlbind.errors import Unsupported
from cas.xmlbind.values import Encode, Encoders
from cas.xmlbind.writer import Child, Plan, XmlWriter, target

Emit = Callable[[list[str], Any], None]  # appends the markup of a value's element to out
Write = Callable[[list[str], Any], None]  # appends the markup of part of an object's element

_XML_NS = "http://www.w3.org/XML/1998/namespace"
_ABOVE_ASCII = "\x7f-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff"  # XML 1.0 Char from U+007F
_INVALID_CHAR = re.compile(f"[^\t\n\r\x20-\x7e{_ABOVE_ASCII}]")
# What needs escaping or is not allowed; one class each (an alternation is slower).
_TEXT_SPECIAL = re.compile(f"[^\t\n\x20-\x25\x27-\x3b\x3d\x3f-\x7e{_ABOVE_ASCII}]")
_ATTRIBUTE_SPECIAL = re.compile(f"[^\x20\x21\x23-\x25\x27-\x3b\x3d\x3f-\x7e{_ABOVE_ASCII}]")
_PLAIN_NAME = re.compile(r"[\x21-\x7e]*")  # a namespace written as is, in any encoding
_DOCUMENT_LIMIT = 64  # nsmaps whose emit functions are kept


def escape_text(text: str) -> str:
    """Text content as libxml2 writes it."""
    if _TEXT_SPECIAL.search(text) is None:
        return text
    _check_chars(text)
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def escape_attribute(text: str) -> str:
    """An attribute value (without its quotes) as libxml2 writes it."""
    if _ATTRIBUTE_SPECIAL.search(text) is None:
        return text
    _check_chars(text)
    for char, reference in _ATTRIBUTE_REFERENCES:
        text = text.replace(char, reference)
    return text


_ATTRIBUTE_REFERENCES = (  # & first
    ("&", "&amp;"),
    ("<", "&lt;"),
    (">", "&gt;"),
    ('"', "&quot;"),
    ("\t", "&#9;"),
    ("\n", "&#10;"),
    ("\r", "&#13;"),
)


def _check_chars(text: str) -> None:
    if _INVALID_CHAR.search(text) is not None:
        raise Unsupported("a character XML does not allow")  # lxml raises its own error


class XmlMarkup:
    """Writes generated dataclass instances as XML text (one instance per XmlWriter)."""

    def __init__(self, writer: XmlWriter) -> None:
        self._writer = writer
        self._documents: dict[tuple[tuple[str | None, str], ...], _Document] = {}

    def text(
        self, obj: Any, nsmap: dict[str | None, str] | None = None, tag: str | None = None
    ) -> str:
        """What ``etree.tostring(writer.element(obj, nsmap), encoding="unicode")`` gives,
        the root renamed to ``tag`` (a qualified name) if given."""
        key = tuple(nsmap.items()) if nsmap else ()
        document = self._documents.get(key)
        if document is None:
            document = _Document(self._writer, dict(key))
            if len(self._documents) < _DOCUMENT_LIMIT:  # callers decide the nsmaps
                self._documents[key] = document
        return document.text(obj, tag)

    def element(self, obj: Any, nsmap: dict[str | None, str] | None = None) -> etree._Element:
        """The tree ``writer.element(obj, nsmap)`` builds, parsed from the text: libxml2
        parses several times faster than lxml builds elements one call at a time."""
        return etree.fromstring(self.text(obj, nsmap).encode(), _own_parser())


_local = threading.local()


def _own_parser() -> etree.XMLParser:
    """A parser for the text this writer wrote (never for input: cas.xmlbind.hardened is),
    without the limits on depth and size that are for input."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=True,
            collect_ids=False,
        )
    return parser


class _Names:
    """Element names as lxml writes them below a root declaring ``nsmap``."""

    def __init__(self, nsmap: dict[str | None, str]) -> None:
        self._prefixes: dict[str, str | None] = {}
        for prefix, uri in nsmap.items():
            if uri in self._prefixes or uri == _XML_NS or not _PLAIN_NAME.fullmatch(uri):
                raise Unsupported(f"namespace {uri!r} in the nsmap")
            self._prefixes[uri] = prefix
        self._default = None in nsmap

    def element(self, qname: str) -> str:
        if not qname.isascii():
            raise Unsupported(f"{qname}: not an ASCII name")  # the same text in any encoding
        if qname.startswith("{"):
            uri, local = qname[1:].split("}", 1)
            if uri not in self._prefixes:
                raise Unsupported(f"no prefix for {uri!r}")
            prefix = self._prefixes[uri]
            return local if prefix is None else f"{prefix}:{local}"
        if self._default:
            raise Unsupported(f"{qname} in no namespace below a default namespace")
        return qname


class _Document:
    """The emit functions of one nsmap: per element name and class, compiled on first
    sight (the plans of XmlWriter, the names of this nsmap)."""

    def __init__(self, writer: XmlWriter, nsmap: dict[str | None, str]) -> None:
        self._writer = writer
        self._nsmap = nsmap
        self._names = _Names(nsmap)
        self._roots: dict[tuple[str | None, type], Emit] = {}
        self._emits: dict[tuple[str, type], Emit] = {}
        self._bodies: dict[type, tuple[Write | None, Write | None]] = {}
        self._escaped: dict[tuple[int, bool], _Escaped] = {}
        self._routes: dict[int, tuple[dict[type, Emit], Callable[[Any], Emit]]] = {}

    def text(self, obj: Any, tag: str | None) -> str:
        emit = self._roots.get((tag, type(obj))) or self._root(type(obj), tag)
        out: list[str] = []
        emit(out, obj)
        return "".join(out)

    def _root(self, clazz: type, tag: str | None) -> Emit:
        plan = self._writer.plan(clazz)
        qname = tag or plan.qname
        name = self._names.element(qname)
        probe = etree.tostring(etree.Element(qname, nsmap=self._nsmap), encoding="unicode")
        if not (probe.startswith(f"<{name}") and probe.endswith("/>")):
            raise Unsupported(f"lxml writes the root {qname} as {probe}")
        emit = self._roots[(tag, clazz)] = self._emitter(clazz, plan, name, probe[:-2])
        return emit

    # -- elements -------------------------------------------------------------------------

    def _class_emitter(self, qname: str, clazz: type) -> Emit:
        emit = self._emits.get((qname, clazz))
        if emit is None:
            name = self._names.element(qname)
            plan = self._writer.plan(clazz)
            emit = self._emits[(qname, clazz)] = self._emitter(clazz, plan, name, f"<{name}")
        return emit

    def _emitter(self, clazz: type, plan: Plan, name: str, start: str) -> Emit:
        """``start``: the start tag up to its attributes."""
        end = f"</{name}>"
        if plan.simple:
            assert plan.text is not None
            encoders = self._escape(plan.text[1], attribute=False)
            return _simple_emitter(start, end, plan.text[0], encoders)
        if _one_child(plan):
            emits, resolve = self._route(plan.children[0])
            return _one_child_emitter(start, end, plan.children[0].name, emits, resolve)
        attributes, content = self._body(clazz, plan)
        if attributes is None:
            return _element_emitter(start, end, content)
        return _attributes_emitter(start, end, attributes, content)

    def _body(self, clazz: type, plan: Plan) -> tuple[Write | None, Write | None]:
        """What writes an object's attributes and what writes its content (None: none)."""
        body = self._bodies.get(clazz)
        if body is None:
            body = self._bodies[clazz] = (self._attributes(plan), self._content(plan))
        return body

    def _attributes(self, plan: Plan) -> Write | None:
        if not plan.attributes:
            return None
        attributes = []
        for field, qname, encoders in plan.attributes:
            if qname.startswith("{") or not qname.isascii():
                raise Unsupported(f"attribute {qname}: in a namespace or not ASCII")
            attributes.append((field, f' {qname}="', self._escape(encoders, attribute=True)))
        return _attributes_writer(tuple(attributes))

    def _content(self, plan: Plan) -> Write | None:
        writes = [self._child_writer(child) for child in plan.children]
        if plan.text is not None:
            encoders = self._escape(plan.text[1], attribute=False)
            writes.insert(0, _text_writer(plan.text[0], encoders))
        if len(writes) <= 1:
            return writes[0] if writes else None
        return _sequence_writer(tuple(writes))

    def _escape(self, encoders: Encoders, attribute: bool) -> _Escaped:
        key = (id(encoders), attribute)  # the writer keeps its encoders for ever
        escaped = self._escaped.get(key)
        if escaped is None:
            escape = escape_attribute if attribute else escape_text
            escaped = self._escaped[key] = _Escaped(encoders, escape)
        return escaped

    # -- children -------------------------------------------------------------------------

    def _child_writer(self, child: Child) -> Write:
        if child.tokens:
            name = self._names.element(child.var.qname)
            return _tokens_writer(child.name, f"<{name}>", f"</{name}>", child.encoders)
        emits, resolve = self._route(child)
        return _child_writer(child.name, emits, resolve)

    def _route(self, child: Child) -> tuple[dict[type, Emit], Callable[[Any], Emit]]:
        """How the values of a child field are written: the emit functions remembered per
        type, and what finds one (and remembers it when the type decides it)."""
        route = self._routes.get(id(child))  # plans (and their children) live for ever
        if route is None:
            emits: dict[type, Emit] = {}

            def resolve(value: Any) -> Emit:
                var, remember = target(child, value)
                emit = self._wildcard if var is None else self._value_emitter(value, var)
                if remember:
                    emits[type(value)] = emit
                return emit

            route = self._routes[id(child)] = (emits, resolve)
        return route

    def _value_emitter(self, value: Any, var: XmlVar) -> Emit:
        """As XmlWriter._value_put decides it."""
        if hasattr(value, "__dataclass_fields__"):
            if type(value) not in var.types:
                raise Unsupported(f"{type(value).__name__} in {var.name} needs xsi:type")
            return self._class_emitter(var.qname, type(value))
        if isinstance(value, (AnyElement, DerivedElement)):
            raise Unsupported(f"generic element in {var.name}")
        name = self._names.element(var.qname)
        encoders = self._escape(self._writer.encoders_of(var), attribute=False)
        return _value_emitter(f"<{name}>", f"</{name}>", f"<{name}/>", encoders)

    def _wildcard(self, out: list[str], value: Any) -> None:
        """A class in a wildcard is named by its class; generic elements are not here."""
        if isinstance(value, (AnyElement, DerivedElement)):
            raise Unsupported("generic element in a wildcard")
        if not hasattr(value, "__dataclass_fields__"):
            raise Unsupported(f"{type(value).__name__} in a wildcard")
        clazz = type(value)
        self._class_emitter(self._writer.plan(clazz).qname, clazz)(out, value)


class _Escaped(dict[type, Encode]):
    """Per field: the type of a value -> its text, escaped (plain texts as they are)."""

    def __init__(self, encoders: Encoders, escape: Callable[[str], str]) -> None:
        super().__init__()
        self._encoders = encoders
        self._escape_text = escape

    def __missing__(self, kind: type) -> Encode:
        encode = self._encoders[kind]
        if not self._encoders.plain(kind):
            encode = _escaping(encode, self._escape_text)
        self[kind] = encode
        return encode


def _escaping(encode: Encode, escape: Callable[[str], str]) -> Encode:
    return lambda value: escape(encode(value))


# -- Emit and write functions --------------------------------------------------------------
# Each appends to ``out``; an element whose content appended nothing becomes ``<a/>``.


def _simple_emitter(start: str, end: str, field: str, encoders: _Escaped) -> Emit:
    """A class with simple content (``<cos:long-unsigned>5</cos:long-unsigned>``)."""
    opened, empty = start + ">", start + "/>"

    def emit(out: list[str], obj: Any) -> None:
        value = getattr(obj, field)
        text = "" if value is None else encoders[type(value)](value)
        out.append(opened + text + end if text else empty)

    return emit


def _value_emitter(opened: str, end: str, empty: str, encoders: _Escaped) -> Emit:
    """A primitive value as an element of its own."""

    def emit(out: list[str], value: Any) -> None:
        text = encoders[type(value)](value)
        out.append(opened + text + end if text else empty)

    return emit


def _one_child(plan: Plan) -> bool:
    """Content of one child field only (a choice wrapper, an array): most elements."""
    return (
        plan.text is None
        and not plan.attributes
        and len(plan.children) == 1
        and not plan.children[0].tokens
    )


def _one_child_emitter(
    start: str, end: str, field: str, emits: dict[type, Emit], resolve: Callable[[Any], Emit]
) -> Emit:
    """An element of one child field: ``_element_emitter`` and ``_child_writer`` in one (an
    emit function always appends something)."""
    opened, empty = start + ">", start + "/>"

    def emit(out: list[str], obj: Any) -> None:
        value = getattr(obj, field)
        if value is None:
            out.append(empty)
        elif isinstance(value, list):
            if not value:
                out.append(empty)
                return
            out.append(opened)
            for item in value:
                (emits.get(type(item)) or resolve(item))(out, item)
            out.append(end)
        else:
            out.append(opened)
            (emits.get(type(value)) or resolve(value))(out, value)
            out.append(end)

    return emit


def _element_emitter(start: str, end: str, content: Write | None) -> Emit:
    """An element without attributes."""
    empty = start + "/>"
    if content is None:
        return lambda out, obj: out.append(empty)
    opened = start + ">"

    def emit(out: list[str], obj: Any) -> None:
        mark = len(out)
        out.append(opened)
        content(out, obj)
        if len(out) > mark + 1:
            out.append(end)
        else:
            out[mark] = empty

    return emit


def _attributes_emitter(start: str, end: str, attributes: Write, content: Write | None) -> Emit:
    def emit(out: list[str], obj: Any) -> None:
        out.append(start)
        attributes(out, obj)
        mark = len(out)
        out.append(">")
        if content is not None:
            content(out, obj)
        if len(out) > mark + 1:
            out.append(end)
        else:
            out[mark] = "/>"

    return emit


def _attributes_writer(attributes: tuple[tuple[str, str, _Escaped], ...]) -> Write:
    """``attributes``: field, ``' name="'``, encoders; set in plan order, as XmlWriter does."""

    def write(out: list[str], obj: Any) -> None:
        for field, opened, encoders in attributes:
            value = getattr(obj, field)
            if value is None or value == []:
                continue
            out.append(opened + encoders[type(value)](value) + '"')

    return write


def _text_writer(field: str, encoders: _Escaped) -> Write:
    def write(out: list[str], obj: Any) -> None:
        value = getattr(obj, field)
        if value is not None:
            text = encoders[type(value)](value)
            if text:
                out.append(text)

    return write


def _sequence_writer(writes: tuple[Write, ...]) -> Write:
    def write(out: list[str], obj: Any) -> None:
        for each in writes:
            each(out, obj)

    return write


def _child_writer(field: str, emits: dict[type, Emit], resolve: Callable[[Any], Emit]) -> Write:
    """One child field: a value or a list of them, each written as its type says."""

    def write(out: list[str], obj: Any) -> None:
        value = getattr(obj, field)
        if value is None:
            return
        if isinstance(value, list):
            for item in value:
                (emits.get(type(item)) or resolve(item))(out, item)
        else:
            (emits.get(type(value)) or resolve(value))(out, value)

    return write


def _tokens_writer(field: str, opened: str, end: str, encoders: Encoders) -> Write:
    """An xs:list: one element, its items' texts joined by spaces."""

    def write(out: list[str], obj: Any) -> None:
        value = getattr(obj, field)
        if value:
            items = " ".join(encoders[type(item)](item) for item in value)
            if not items:  # lxml writes the text "" as <a></a>, which parses back as <a/>
                raise Unsupported(f"empty tokens in {field}")
            out.append(opened + escape_text(items) + end)

    return write
