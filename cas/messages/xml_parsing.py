"""Hardened XML parsing: bytes -> lxml element, or a typed refusal.

No DTD is loaded, no entity is expanded, nothing is fetched from the network, huge_tree is
off, comments and processing instructions are dropped. A DOCTYPE anywhere is refused (it is
the only way to declare entities, so billion-laughs and external entities never reach the
parser's entity code), the body size is bounded before parsing and the element depth after.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from cas.messages.errors import ForbiddenXml, MessageTooLarge, NotWellFormed, TooDeep
from cas.messages.namespaces import SoapVersion
from cas.xmlbind.hardened import hardened_parser

DEFAULT_MAX_BYTES = 1024 * 1024
DEFAULT_MAX_DEPTH = 64


@dataclass(frozen=True, slots=True)
class XmlLimits:
    """Bounds on what a request may be: body size in bytes and element nesting depth."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_depth: int = DEFAULT_MAX_DEPTH


DEFAULT_LIMITS = XmlLimits()

_depth_checks: dict[int, etree.XPath] = {}


def _too_deep(root: etree._Element, max_depth: int) -> bool:
    check = _depth_checks.get(max_depth)
    if check is None:  # "is there an element at depth max_depth + 1?"
        check = etree.XPath("boolean(/*" + "/*" * max_depth + ")")
        _depth_checks[max_depth] = check
    return bool(check(root))


def parse_xml(
    body: bytes,
    limits: XmlLimits = DEFAULT_LIMITS,
    *,
    soap_version: SoapVersion | None = None,
) -> etree._Element:
    """Parse ``body`` into its root element, refusing anything unsafe.

    ``soap_version`` only labels the errors (the version to answer in, if known yet).
    Raises MessageTooLarge, ForbiddenXml, NotWellFormed or TooDeep.
    """
    if len(body) > limits.max_bytes:
        raise MessageTooLarge(len(body), limits.max_bytes, soap_version=soap_version)
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise ForbiddenXml(
            "a DOCTYPE or entity declaration is not allowed", soap_version=soap_version
        )
    try:
        root = etree.fromstring(body, hardened_parser())
    except etree.XMLSyntaxError as exc:
        if "depth" in str(exc.msg).lower():  # libxml2's own limit (256) hit first
            raise TooDeep(
                f"elements are nested deeper than {limits.max_depth} levels",
                soap_version=soap_version,
            ) from None
        raise NotWellFormed(f"not well-formed XML: {exc.msg}", soap_version=soap_version) from None
    except ValueError as exc:  # e.g. a str with an encoding declaration
        raise NotWellFormed(f"not XML: {exc}", soap_version=soap_version) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        # the byte check above misses a DOCTYPE in UTF-16 or another encoding
        raise ForbiddenXml("a DOCTYPE is not allowed", soap_version=soap_version)
    if _too_deep(root, limits.max_depth):
        raise TooDeep(
            f"elements are nested deeper than {limits.max_depth} levels", soap_version=soap_version
        )
    return root
