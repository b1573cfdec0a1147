"""Validation of a message element against the project's XSDs (lxml XMLSchema, loaded once).

Errors come back as :class:`~cas.messages.errors.ErrorDetail` with code 1.8, a readable
reason (namespace URIs shown as the mes/dev/cos prefixes) and the xpath of the element in
error written with those prefixes, e.g. ``/mes:RequestMessage/mes:Payload/mes:DeviceAccess/
dev:Priority``, whatever prefixes the client used.
"""

from __future__ import annotations

import re
import threading

from lxml import etree

from cas.messages.codes import ErrorCode
from cas.messages.errors import ErrorDetail
from cas.messages.namespaces import PREFIXES
from cas.messages.schema_files import MESSAGE_XSD, schema_path

MAX_REPORTED_ERRORS = 10

_PREFIX_OF = {uri: prefix for prefix, uri in PREFIXES.items()}
_CLARK = re.compile(r"\{([^}]*)\}")
_STEP = re.compile(r"^(?:(?P<prefix>[^:\[\]]+):)?(?P<name>[^\[\]]+)(?:\[(?P<index>\d+)\])?$")

_local = threading.local()  # an XMLSchema keeps its error log: one per thread


def _load_schema() -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.parse(str(schema_path(MESSAGE_XSD)), parser))


def message_schema() -> etree.XMLSchema:
    """The schema of mes:* messages (imports DeviceAccess and COSEM), loaded once per thread."""
    schema = getattr(_local, "schema", None)
    if schema is None:
        schema = _local.schema = _load_schema()
    return schema


def validate(element: etree._Element) -> list[ErrorDetail]:
    """Validate ``element`` (a RequestMessage, ResponseMessage, ...); [] when valid."""
    schema = message_schema()
    if schema.validate(element):
        return []
    details = []
    for entry in list(schema.error_log)[:MAX_REPORTED_ERRORS]:
        target = _element_at(element, entry.path)
        xpath = canonical_xpath(target, element) if target is not None else entry.path
        details.append(
            ErrorDetail(ErrorCode.SCHEMA_VALIDATION_FAILED, readable(entry.message), xpath)
        )
    return details


def readable(message: str) -> str:
    """A libxml2 message with ``{uri}name`` written ``prefix:name``."""

    def prefixed(match: re.Match[str]) -> str:
        prefix = _PREFIX_OF.get(match.group(1))
        return f"{prefix}:" if prefix else match.group(0)

    return _CLARK.sub(prefixed, message)


def canonical_xpath(target: etree._Element, root: etree._Element) -> str:
    """The path of ``target`` from ``root`` with the mes/dev/cos prefixes and [n] positions."""
    steps = []
    node: etree._Element | None = target
    while node is not None:
        qname = etree.QName(node)
        prefix = _PREFIX_OF.get(qname.namespace or "")
        if prefix:
            step = f"{prefix}:{qname.localname}"
        elif qname.namespace:
            step = f"*[local-name()='{qname.localname}' and namespace-uri()='{qname.namespace}']"
        else:
            step = qname.localname
        parent = node.getparent()
        if parent is not None and node is not root:
            same = [sibling for sibling in parent if sibling.tag == node.tag]
            if len(same) > 1:
                step += f"[{same.index(node) + 1}]"
        steps.append(step)
        if node is root:
            break
        node = parent
    return "/" + "/".join(reversed(steps))


def _element_at(root: etree._Element, path: str | None) -> etree._Element | None:
    """Follow a libxml2 node path (relative to the validated element) back to the element.

    libxml2 writes ``prefix:name[n]`` counting siblings of that name and prefix, and ``*[n]``
    (counting every element sibling) for an element in a default namespace.
    """
    if not path or not path.startswith("/"):
        return None
    steps = path[1:].split("/")
    node = root
    for depth, step in enumerate(steps):
        match = _STEP.match(step)
        if match is None:
            return None
        if depth == 0:
            continue  # the validated element itself
        prefix, name, index = match.group("prefix"), match.group("name"), match.group("index")
        if name == "*" and prefix is None:
            candidates = [child for child in node if isinstance(child.tag, str)]
        else:
            candidates = [
                child
                for child in node
                if isinstance(child.tag, str)
                and etree.QName(child).localname == name
                and child.prefix == prefix
            ]
        position = int(index) - 1 if index else 0
        if position >= len(candidates):
            return None
        node = candidates[position]
    return node
