"""Builders for ResponseMessage, EventMessage and FaultMessage, and their SOAP rendering.

``build_response`` / ``build_event`` make the generated dataclasses (Header with Verb,
Noun, Timestamp, MessageID and, for a reply, CorrelationID = the request's MessageID);
``render_response`` / ``render_event`` serialize them into a SOAP envelope; ``render_fault``
and ``render_error`` answer a MessageError.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import UTC, datetime

from xsdata.models.datatype import XmlDateTime

from cas.messages.binding import to_element, to_xml
from cas.messages.errors import ErrorDetail, MessageError
from cas.messages.model import RequestHeader
from cas.messages.namespaces import SoapVersion
from cas.messages.soap import fault_envelope, wrap_envelope
from generated import message as mes
from generated.device_access import DeviceAccessType, DeviceGroupListType, ResourceDirectoryType

ResultType = mes.ResultType

_PAYLOAD_ELEMENTS: tuple[tuple[type, type], ...] = (
    (DeviceAccessType, mes.DeviceAccess),
    (DeviceGroupListType, mes.DeviceGroup),
    (ResourceDirectoryType, mes.ResourceDirectory),
)


_NOT_XML_CHARS = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str | None) -> str | None:
    """``text`` without the characters XML 1.0 cannot carry (reasons may quote anything)."""
    return _NOT_XML_CHARS.sub("\ufffd", text) if text else text


def new_message_id() -> str:
    return str(uuid.uuid4())


def xml_timestamp(moment: datetime | None = None) -> XmlDateTime:
    """An xs:dateTime for a Header Timestamp: ``moment`` or now, UTC, to the millisecond."""
    moment = moment or datetime.now(UTC)
    return XmlDateTime.from_datetime(moment.replace(microsecond=moment.microsecond // 1000 * 1000))


def build_response(
    request: RequestHeader | None,
    *,
    result: ResultType | str = ResultType.OK,
    errors: Iterable[ErrorDetail] = (),
    ids: Sequence[str] = (),
    payload: object | None = None,
    noun: str | None = None,
    message_id: str | None = None,
    correlation_id: str | None = None,
    timestamp: datetime | None = None,
    properties: Sequence[tuple[str, str | None]] = (),
) -> mes.ResponseMessage:
    """A ResponseMessage answering ``request`` (Verb reply, the request's Noun, CorrelationID
    = its MessageID). ``payload`` is a DeviceAccess / DeviceGroup list / ResourceDirectory
    (any of the generated types, placed as mes:DeviceAccess etc.) or another dataclass;
    ``properties``: Header Properties (name, value)."""
    header = mes.HeaderType(
        verb=mes.VerbType.REPLY,
        noun=noun or (request.noun if request else "") or "",
        timestamp=xml_timestamp(timestamp),
        message_id=message_id or new_message_id(),
        correlation_id=correlation_id or (request.message_id if request else None),
        property=[mes.MessagePropertyType(name=name, value=value) for name, value in properties],
    )
    reply = mes.ReplyType(
        result=ResultType(result),
        error=[error_type(detail) for detail in errors],
        id=[mes.IdType(value=value) for value in ids],
    )
    return mes.ResponseMessage(header=header, reply=reply, payload=payload_type(payload))


def build_event(
    payload: object | None,
    *,
    verb: str = "created",
    noun: str = "DeviceAccess",
    correlation_id: str | None = None,
    message_id: str | None = None,
    timestamp: datetime | None = None,
    properties: Sequence[tuple[str, str | None]] = (),
) -> mes.EventMessage:
    """An EventMessage (data notification, scheduled results): CorrelationID = resource id.

    Give a stable ``message_id`` when the message may be sent again (the outbox), so that a
    receiver can drop duplicates."""
    header = mes.HeaderType(
        verb=mes.VerbType(verb),
        noun=noun,
        timestamp=xml_timestamp(timestamp),
        message_id=message_id or new_message_id(),
        correlation_id=correlation_id,
        property=[mes.MessagePropertyType(name=name, value=value) for name, value in properties],
    )
    return mes.EventMessage(header=header, payload=payload_type(payload))


def error_type(detail: ErrorDetail) -> mes.ErrorType:
    return mes.ErrorType(
        code=detail.code.code,
        level=mes.ErrorLevelType(detail.level.value) if detail.level else None,
        reason=xml_safe(detail.reason),
        details=xml_safe(detail.details),
        xpath=xml_safe(detail.xpath),
    )


def payload_type(payload: object | None) -> mes.PayloadType | None:
    """Wrap a payload object in a Payload, as the mes element of its kind."""
    if payload is None:
        return None
    if isinstance(payload, mes.PayloadType):
        return payload
    return mes.PayloadType(choice=[as_payload_element(payload)])


def as_payload_element(payload: object) -> object:
    """A DeviceAccessType (or group list, directory) as mes:DeviceAccess (etc.); others as is."""
    for base, element_class in _PAYLOAD_ELEMENTS:
        if isinstance(payload, element_class):
            return payload
        if isinstance(payload, base):
            return element_class(**{f.name: getattr(payload, f.name) for f in fields(base)})
    return payload


def render_response(response: mes.ResponseMessage, soap_version: SoapVersion) -> bytes:
    """The SOAP envelope (bytes, UTF-8) carrying a ResponseMessage."""
    return wrap_envelope(soap_version, to_xml(response))


def render_event(event: mes.EventMessage, soap_version: SoapVersion = SoapVersion.V12) -> bytes:
    """The SOAP envelope carrying an EventMessage (what the CAS POSTs to a ReplyAddress)."""
    return wrap_envelope(soap_version, to_xml(event))


def fault_message(errors: Iterable[ErrorDetail]) -> mes.FaultMessage:
    return mes.FaultMessage(
        reply=mes.ReplyType(
            result=ResultType.FAILED, error=[error_type(detail) for detail in errors]
        )
    )


def render_fault(error: MessageError, soap_version: SoapVersion | None = None) -> bytes:
    """A SOAP Fault for ``error`` with a mes:FaultMessage (Reply/Error) in its Detail.

    The version is ``soap_version``, else the error's, else SOAP 1.2."""
    version = soap_version or error.soap_version or SoapVersion.V12
    detail = to_element(fault_message(error.errors))
    return fault_envelope(version, error.fault_code, xml_safe(error.reason) or "", detail)


def render_error(error: MessageError) -> bytes:
    """The answer to a refused request: a ResponseMessage with Result FAILED when the Header
    was understood (HTTP 200), else a SOAP Fault; send it with ``error.http_status`` and
    ``(error.soap_version or SoapVersion.V12).content_type``."""
    if error.answered_with_fault:
        return render_fault(error)
    response = build_response(error.header, result=ResultType.FAILED, errors=error.errors)
    return render_response(response, error.soap_version or SoapVersion.V12)
