"""The message layer: IEC 61968-100 envelopes over SOAP, for the COSEM Access Service.

No HTTP and no DLMS here: pure functions from bytes to typed values and back.

Requests (what ``POST /cas`` does with its body)::

    try:
        request = parse_request(body, content_type=headers.get("content-type"))
    except MessageError as error:
        return (error.http_status, content_type(error.soap_version), render_error(error))
    ...  # request.header.verb / .noun, request.request.id, request.payload (a DeviceAccess...)
    response = build_response(request.header, result="OK", ids=[resource_id], payload=...)
    body = render_response(response, request.soap_version)
    return (200, content_type(request.soap_version), body)

- :func:`parse_request` runs the hardened parse (size and depth limits, no DTD/entities),
  the SOAP checks, the Header rules (1.5 / 2.9 / 2.5), normalization of client variations,
  schema validation (1.8 with the xpath) and the binding to ``generated`` dataclasses.
- :class:`MessageError` and its subclasses say why a request is refused; ``http_status``
  and :func:`render_error` turn one into the HTTP answer (SOAP Fault with a FaultMessage when
  the Header was not understood, else a ResponseMessage with Result FAILED).
- :func:`build_response`, :func:`build_event`, :func:`render_response`, :func:`render_event`
  build and serialize replies and notifications; :func:`parse_response` reads what a
  subscriber answers to an EventMessage.
- :class:`ErrorCode` is the 61968-9 code table plus the CAS's own codes (see ``codes``).
- :func:`render_wsdl` / :func:`render_schema` serve the WSDL and XSDs for an endpoint URL.
"""

from cas.messages.codes import ErrorCode
from cas.messages.errors import (
    AuthenticationFailed,
    ErrorDetail,
    ErrorLevel,
    FaultCode,
    ForbiddenXml,
    HeaderError,
    InternalError,
    MessageError,
    MessageTooLarge,
    NotWellFormed,
    SchemaError,
    SoapError,
    TooDeep,
    XmlRejected,
)
from cas.messages.header import OPERATIONS, VERBS
from cas.messages.model import (
    BYPASS_RETRY,
    DEFAULT_PRIORITY,
    ParsedRequest,
    RequestHeader,
    RequestParams,
)
from cas.messages.namespaces import COS, DEV, MES, SoapVersion
from cas.messages.reply import (
    ResultType,
    build_event,
    build_response,
    render_error,
    render_event,
    render_fault,
    render_response,
)
from cas.messages.request import parse_request
from cas.messages.response import ParsedResponse, parse_response
from cas.messages.wsdl import render_schema, render_wsdl, served_schemas
from cas.messages.xml_parsing import DEFAULT_LIMITS, XmlLimits


def content_type(soap_version: SoapVersion | None) -> str:
    """HTTP Content-Type for a reply in ``soap_version`` (SOAP 1.2 when unknown)."""
    return (soap_version or SoapVersion.V12).content_type


__all__ = [
    "BYPASS_RETRY",
    "COS",
    "DEFAULT_LIMITS",
    "DEFAULT_PRIORITY",
    "DEV",
    "MES",
    "OPERATIONS",
    "VERBS",
    "AuthenticationFailed",
    "ErrorCode",
    "ErrorDetail",
    "ErrorLevel",
    "FaultCode",
    "ForbiddenXml",
    "HeaderError",
    "InternalError",
    "MessageError",
    "MessageTooLarge",
    "NotWellFormed",
    "ParsedRequest",
    "ParsedResponse",
    "RequestHeader",
    "RequestParams",
    "ResultType",
    "SchemaError",
    "SoapError",
    "SoapVersion",
    "TooDeep",
    "XmlLimits",
    "XmlRejected",
    "build_event",
    "build_response",
    "content_type",
    "parse_request",
    "parse_response",
    "render_error",
    "render_event",
    "render_fault",
    "render_response",
    "render_schema",
    "render_wsdl",
    "served_schemas",
]
