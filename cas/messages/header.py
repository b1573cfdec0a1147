"""Header rules: what a request must name (Verb, Noun, Timestamp, MessageID) and may ask.

Checked on the lxml element before schema validation, so that a missing element gives 1.5,
an unknown verb 2.9 and an unknown noun 2.5 rather than a generic schema error (1.8).
The nouns and the verbs each supports are a table (:data:`OPERATIONS`) that a caller can
extend (the CIM adapter adds its nouns).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from lxml import etree

from cas.messages.codes import ErrorCode
from cas.messages.errors import ErrorDetail, HeaderError, MessageError
from cas.messages.model import RequestHeader
from cas.messages.namespaces import MES, SoapVersion

VERBS = frozenset(
    {
        "cancel",
        "canceled",
        "change",
        "changed",
        "create",
        "created",
        "close",
        "closed",
        "delete",
        "deleted",
        "get",
        "reply",
        "execute",
        "executed",
    }
)
"""The IEC 61968 verbs (the schema's enumeration)."""

OPERATIONS: Mapping[str, frozenset[str]] = {
    "DeviceAccess": frozenset({"create", "change", "cancel", "delete", "get"}),
    "DeviceGroup": frozenset({"get", "create", "change", "delete"}),
    "ResourceDirectory": frozenset({"get"}),
}
"""Noun -> the request verbs the CAS serves for it."""

MANDATORY = ("Verb", "Noun", "Timestamp", "MessageID")
HEADER_XPATH = "/mes:RequestMessage/mes:Header"


def _child(parent: etree._Element, name: str) -> etree._Element | None:
    return parent.find(f"{{{MES}}}{name}")


def check_header(
    message: etree._Element,
    operations: Mapping[str, frozenset[str]],
    soap_version: SoapVersion,
) -> tuple[str, str]:
    """Check the Header of a RequestMessage element; return (verb, noun).

    Verb and Noun text is stripped in place. Raises HeaderError (1.5, 2.9, 2.5).
    """
    header = _child(message, "Header")
    if header is None:
        raise HeaderError(
            ErrorCode.HEADER_ELEMENTS_MISSING,
            "the RequestMessage has no Header",
            xpath="/mes:RequestMessage",
            soap_version=soap_version,
        )
    texts: dict[str, str] = {}
    for name in MANDATORY:
        element = _child(header, name)
        text = (element.text or "").strip() if element is not None else ""
        if element is not None and name in ("Verb", "Noun"):
            element.text = text
        texts[name] = text
    missing = [name for name in MANDATORY if not texts[name]]
    if missing:
        raise HeaderError(
            ErrorCode.HEADER_ELEMENTS_MISSING,
            "mandatory Header elements missing or empty: " + ", ".join(missing),
            xpath=HEADER_XPATH,
            soap_version=soap_version,
        )
    verb, noun = texts["Verb"], texts["Noun"]
    problems: list[ErrorDetail] = []
    if verb not in VERBS:
        problems.append(
            ErrorDetail(
                ErrorCode.INVALID_VERB, f"unknown verb {verb!r}", HEADER_XPATH + "/mes:Verb"
            )
        )
    if noun not in operations:
        problems.append(
            ErrorDetail(
                ErrorCode.INVALID_NOUN,
                f"unknown noun {noun!r}; supported: {', '.join(sorted(operations))}",
                HEADER_XPATH + "/mes:Noun",
            )
        )
    elif verb in VERBS and verb not in operations[noun]:
        problems.append(
            ErrorDetail(
                ErrorCode.INVALID_VERB,
                f"verb {verb!r} is not supported for {noun}; supported: "
                + ", ".join(sorted(operations[noun])),
                HEADER_XPATH + "/mes:Verb",
            )
        )
    if problems:
        first, *more = problems
        raise HeaderError(
            first.code, first.reason, xpath=first.xpath, soap_version=soap_version, more=more
        )
    return verb, noun


def check_reply_address(header: RequestHeader, soap_version: SoapVersion) -> None:
    """An asynchronous request needs an http(s) ReplyAddress (errors 1.5 and 1.8)."""
    if header.reply_address is not None:
        parts = urlsplit(header.reply_address.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise MessageError(
                ErrorCode.SCHEMA_VALIDATION_FAILED,
                f"ReplyAddress must be an http(s) URL, got {header.reply_address!r}",
                xpath=HEADER_XPATH + "/mes:ReplyAddress",
                soap_version=soap_version,
                header=header,
            )
    elif header.async_reply_flag:
        raise MessageError(
            ErrorCode.HEADER_ELEMENTS_MISSING,
            "AsyncReplyFlag is true but the Header has no ReplyAddress",
            xpath=HEADER_XPATH,
            soap_version=soap_version,
            header=header,
        )
