"""parse_response: what a subscriber (or a CAS) answers -> ParsedResponse.

Used by the delivery outbox: an EventMessage or asynchronous reply counts as delivered only
when the answer is a ResponseMessage with Reply/Result OK. A SOAP Fault is returned as a
FAILED response with the fault's reason; anything unreadable raises a MessageError.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from cas.messages.binding import BindingError, bind
from cas.messages.codes import ErrorCode
from cas.messages.errors import SchemaError, SoapError
from cas.messages.namespaces import MES, SoapVersion
from cas.messages.normalize import normalize_message
from cas.messages.soap import open_envelope
from cas.messages.validation import validate
from cas.messages.xml_parsing import DEFAULT_LIMITS, XmlLimits, parse_xml
from generated.message import ResponseMessage

_RESPONSE_MESSAGE = f"{{{MES}}}ResponseMessage"


@dataclass(frozen=True, slots=True)
class ParsedResponse:
    soap_version: SoapVersion
    result: str
    """OK, PARTIAL or FAILED."""
    correlation_id: str | None = None
    message_id: str | None = None
    errors: tuple[tuple[str, str | None], ...] = ()
    """(code, reason) of each Reply/Error."""
    fault: str | None = None
    """The reason of a SOAP Fault (then result is FAILED and message None)."""
    message: ResponseMessage | None = None

    @property
    def ok(self) -> bool:
        return self.result == "OK"


def parse_response(body: bytes, *, limits: XmlLimits = DEFAULT_LIMITS) -> ParsedResponse:
    """Parse a SOAP answer holding a mes:ResponseMessage or a SOAP Fault."""
    version, element = open_envelope(parse_xml(body, limits))
    if element.tag == f"{{{version.namespace}}}Fault":
        return ParsedResponse(version, "FAILED", fault=_fault_reason(element, version))
    if element.tag != _RESPONSE_MESSAGE:
        raise SoapError(
            f"expected a mes:ResponseMessage, got {etree.QName(element).text}",
            soap_version=version,
        )
    normalize_message(element)
    problems = validate(element)
    if problems:
        first, *more = problems
        raise SchemaError(
            first.code, first.reason, xpath=first.xpath, soap_version=version, more=more
        )
    try:
        message = bind(element, ResponseMessage)
    except BindingError as exc:
        raise SchemaError(
            ErrorCode.SCHEMA_VALIDATION_FAILED,
            f"the message cannot be read: {exc}",
            soap_version=version,
        ) from None
    return ParsedResponse(
        soap_version=version,
        result=message.reply.result.value,
        correlation_id=message.header.correlation_id,
        message_id=message.header.message_id,
        errors=tuple((error.code, error.reason) for error in message.reply.error),
        message=message,
    )


def _fault_reason(fault: etree._Element, version: SoapVersion) -> str:
    if version is SoapVersion.V12:
        texts = fault.findall(f"{{{version.namespace}}}Reason/{{{version.namespace}}}Text")
        return " ".join((text.text or "").strip() for text in texts) or "SOAP Fault"
    return (fault.findtext("faultstring") or "SOAP Fault").strip()
