"""The WSDL and XSDs as the gateway serves them: ``GET <endpoint>?wsdl`` and ``?xsd=<file>``.

``schemas/cas.wsdl`` holds a placeholder service address (``http://cas.invalid/cas``) and
relative schemaLocation values. ``render_wsdl(endpoint)`` puts the endpoint in every CAS
port address and turns every schemaLocation into ``<endpoint>?xsd=<file>``; ``render_schema``
does the same for the imports inside an XSD. Only the files reachable from the WSDL are
served (``served_schemas()``); anything else is a KeyError (HTTP 404).
"""

from __future__ import annotations

import functools
from urllib.parse import quote

from lxml import etree

from cas.messages.schema_files import WSDL_NAME, schema_path

PLACEHOLDER_ADDRESS = "http://cas.invalid/cas"
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
_ADDRESS_NAMESPACES = (
    "http://schemas.xmlsoap.org/wsdl/soap/",
    "http://schemas.xmlsoap.org/wsdl/soap12/",
)
_LOCATION_ATTRIBUTES = (
    (f"{{{XSD_NS}}}import", "schemaLocation"),
    (f"{{{XSD_NS}}}include", "schemaLocation"),
    (f"{{{XSD_NS}}}redefine", "schemaLocation"),
    (f"{{{WSDL_NS}}}import", "location"),
)


def _load(name: str) -> etree._ElementTree:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.parse(str(schema_path(name)), parser)


def _locations(tree: etree._ElementTree) -> list[tuple[etree._Element, str]]:
    found = []
    for tag, attribute in _LOCATION_ATTRIBUTES:
        for element in tree.iter(tag):
            if element.get(attribute):
                found.append((element, attribute))
    return found


@functools.cache
def served_schemas() -> frozenset[str]:
    """The XSD file names reachable from cas.wsdl (the only ones served)."""
    seen: set[str] = set()
    pending = [WSDL_NAME]
    while pending:
        tree = _load(pending.pop())
        for element, attribute in _locations(tree):
            name = element.get(attribute)
            if "/" in name or "\\" in name or ":" in name:
                raise ValueError(f"schema location {name!r} must be a file next to the WSDL")
            if name not in seen:
                seen.add(name)
                pending.append(name)
    return frozenset(seen)


def schema_url(endpoint: str, name: str) -> str:
    return f"{endpoint}?xsd={quote(name)}"


def _rewrite_locations(tree: etree._ElementTree, endpoint: str) -> None:
    for element, attribute in _locations(tree):
        element.set(attribute, schema_url(endpoint, element.get(attribute)))


@functools.lru_cache(maxsize=16)
def render_wsdl(endpoint: str) -> bytes:
    """cas.wsdl with ``endpoint`` (e.g. ``http://host:8080/cas``) as the CAS address."""
    tree = _load(WSDL_NAME)
    for namespace in _ADDRESS_NAMESPACES:
        for address in tree.iter(f"{{{namespace}}}address"):
            if address.get("location") == PLACEHOLDER_ADDRESS:
                address.set("location", endpoint)
    _rewrite_locations(tree, endpoint)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


@functools.lru_cache(maxsize=64)
def render_schema(name: str, endpoint: str) -> bytes:
    """The XSD ``name`` with its imports pointing at ``<endpoint>?xsd=...``; KeyError if
    ``name`` is not one of :func:`served_schemas`."""
    if name not in served_schemas():
        raise KeyError(name)
    tree = _load(name)
    _rewrite_locations(tree, endpoint)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
