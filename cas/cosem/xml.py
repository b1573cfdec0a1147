"""COSEM XML <-> generated classes, through :mod:`cas.xmlbind`.

Reading: a hardened lxml parse (no DTD, no entities, no network, no huge trees, DOCTYPE
refused), then validation against schemas/cosem.xsd (unknown/missing elements, lexical
forms, ranges, lengths), then binding (xmlbind's fast reader, xsdata's parser as its
fallback), then an encoding check (what XSD 1.0 cannot say: float32 range, NaN bits,
visible-string text, nesting depth, ...). Every failure is a CosemXmlError with the path of
the offending element.

Writing: the object is encode-checked first (so no XML is produced that could not become
bytes), then written by xmlbind's fast writer (xsdata's serializer as its fallback; same
XML either way).

Elements handed in by the SOAP layer are read without being modified.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import Any

from lxml import etree

from cas.cosem import apdu as apdu_codec
from cas.cosem import data
from cas.cosem.errors import CosemEncodeError, CosemXmlError
from cas.xmlbind import BindingError, bind, to_element
from cas.xmlbind.hardened import hardened_parser
from generated import cosem as m

COSEM_NS = "http://www.dlms.com/COSEMpdu"
MAX_XML_BYTES = 16 * 1024 * 1024

XML_CLASSES: tuple[type, ...] = (*apdu_codec.APDU_CLASSES, m.Data)
_CLASS_BY_TAG = {f"{{{COSEM_NS}}}{cls.Meta.name}": cls for cls in XML_CLASSES}


def schema_path() -> Path:
    """schemas/cosem.xsd of the source tree, or of $CAS_SCHEMA_DIR when set."""
    configured = os.environ.get("CAS_SCHEMA_DIR")
    folder = Path(configured) if configured else Path(__file__).resolve().parents[2] / "schemas"
    return folder / "cosem.xsd"


# -- Per-thread lxml machinery (lxml parsers/validators are not shared) --------------------

_local = threading.local()


def _schema() -> etree.XMLSchema:
    schema = getattr(_local, "schema", None)
    if schema is None:
        document = etree.parse(str(schema_path()), hardened_parser())
        schema = _local.schema = etree.XMLSchema(document)
    return schema


# -- Paths ---------------------------------------------------------------------------------


def element_path(element: etree._Element, root: etree._Element) -> str:
    """``/get-request/get-request-normal/...`` from ``root`` down to ``element``, with an
    XPath position where siblings share the element's name."""
    steps = []
    node = element
    while node is not None:
        name = etree.QName(node).localname
        parent = node.getparent()
        if parent is not None and node is not root:
            same = [child for child in parent if child.tag == node.tag]
            if len(same) > 1:
                name += f"[{same.index(node) + 1}]"
        steps.append(name)
        if node is root:
            break
        node = parent
    return "/" + "/".join(reversed(steps))


_STEP = re.compile(r"(?:[^:/\[\]]+:)?([^:/\[\]]+)(?:\[(\d+)\])?\Z")


def _resolve_libxml_path(root: etree._Element, path: str | None) -> etree._Element | None:
    """Find the element libxml2 names by ``path`` (``/*/*[2]/*`` or ``/cos:a/cos:b``), read
    from the subtree ``root`` (libxml2 sees the subtree as its document)."""
    if not path or not path.startswith("/"):
        return None
    steps = path[1:].split("/")
    node = root
    for step in steps[1:]:
        match = _STEP.match(step)
        if match is None:
            return None
        name, index = match.group(1), int(match.group(2) or 1)
        children = [
            child
            for child in node
            if isinstance(child.tag, str) and (name == "*" or etree.QName(child).localname == name)
        ]
        if len(children) < index:
            return None
        node = children[index - 1]
    return node


_NS_IN_MESSAGE = re.compile(r"\{[^}]*\}")


def _schema_error(root: etree._Element, errors: Any) -> CosemXmlError:
    entry = errors[0]
    target = _resolve_libxml_path(root, entry.path)
    path = element_path(target, root) if target is not None else entry.path or ""
    reason = _NS_IN_MESSAGE.sub("", entry.message).removeprefix("Element ")
    return CosemXmlError(reason, path)


# -- Reading -------------------------------------------------------------------------------


def _leaf_comment(element: etree._Element) -> etree._Element | None:
    found = element.xpath(
        "(descendant-or-self::*[comment() or processing-instruction()][not(*)])[1]"
    )
    return found[0] if found else None


def apdu_from_element(element: etree._Element) -> Any:
    """Bind a COSEM XML element (a whole document's root or a subtree of one) to its
    generated class. The element is not modified."""
    if not isinstance(element.tag, str):
        raise CosemXmlError("an element is required")
    cls = _CLASS_BY_TAG.get(element.tag)
    if cls is None:
        name = etree.QName(element)
        where = f"/{name.localname}"
        if name.namespace != COSEM_NS:
            raise CosemXmlError(f"element not in the {COSEM_NS} namespace", where)
        raise CosemXmlError("not a COSEM APDU element", where)
    schema = _schema()
    if not schema.validate(element):
        raise _schema_error(element, schema.error_log)
    commented = _leaf_comment(element)
    if commented is not None:
        raise CosemXmlError(
            "a comment or processing instruction inside a value", element_path(commented, element)
        )
    try:
        value = bind(element, cls)
    except BindingError as error:  # not expected after validation; kept typed
        raise CosemXmlError(f"cannot bind: {error}", f"/{cls.Meta.name}") from None
    try:
        _encode(value)
    except CosemEncodeError as error:
        raise CosemXmlError(error.reason, error.path) from None
    return value


def apdu_from_xml(text: str | bytes) -> Any:
    """Parse (hardened) and bind a COSEM XML document whose root is an APDU or ``data``."""
    body = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    if len(body) > MAX_XML_BYTES:
        raise CosemXmlError(f"document of {len(body)} bytes exceeds {MAX_XML_BYTES}")
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise CosemXmlError("a DOCTYPE or entity declaration is not allowed")
    try:
        root = etree.fromstring(body, hardened_parser())
    except etree.XMLSyntaxError as error:
        raise CosemXmlError(f"malformed XML: {error.msg}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise CosemXmlError("a DOCTYPE is not allowed")
    return apdu_from_element(root)


# -- Writing -------------------------------------------------------------------------------


def _encode(value: Any) -> bytes:
    if type(value) is m.Data:
        try:
            return data.encode_data(value)
        except CosemEncodeError as error:
            raise error.within("data") from None
    return apdu_codec.encode_apdu(value)


def apdu_to_element(apdu: Any, *, prefix: str | None = "cos") -> etree._Element:
    """Serialize an APDU (or ``Data``) object to an lxml element in the COSEM namespace,
    with ``prefix`` (None: default namespace). Raises CosemEncodeError for objects that
    could not be encoded as bytes either."""
    if type(apdu) not in XML_CLASSES:
        raise CosemEncodeError(f"not a COSEM APDU or Data element: {type(apdu).__name__}")
    _encode(apdu)
    return to_element(apdu, {prefix: COSEM_NS})


def apdu_to_xml(apdu: Any, *, pretty: bool = False, prefix: str | None = None) -> str:
    """Serialize an APDU (or ``Data``) object to an XML string (no declaration)."""
    element = apdu_to_element(apdu, prefix=prefix)
    return etree.tostring(element, encoding="unicode", pretty_print=pretty)
