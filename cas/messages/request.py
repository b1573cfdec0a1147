"""parse_request: SOAP request bytes -> ParsedRequest, or a MessageError saying why not.

The steps, each raising its own typed error:

1. hardened XML parse with size and depth limits (xml_parsing);
2. SOAP envelope: version, Header blocks, exactly one Body child, a mes:RequestMessage (soap);
3. Header: Verb, Noun, Timestamp, MessageID present (1.5), verb known (2.9), noun known
   (2.5), verb served for that noun (2.9) (header);
4. normalization of client variations (normalize);
5. validation against the XSDs (1.8 with the xpath) and payload-noun agreement (validation);
6. binding to the generated dataclasses, straight from the lxml element (binding);
7. request rules the schema cannot say: ReplyAddress, Request/ID (1.6) and payload (1.7)
   where the verb needs them, descriptors and no results inside a request DeviceAccess.

Errors found once the Header is understood carry it (``MessageError.header``): they are
answered with a ResponseMessage (Result FAILED); earlier ones with a SOAP Fault.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping

from lxml import etree

from cas.messages.binding import BindingError, bind
from cas.messages.codes import ErrorCode
from cas.messages.errors import ErrorDetail, MessageError, SchemaError, SoapError
from cas.messages.header import HEADER_XPATH, OPERATIONS, check_header, check_reply_address
from cas.messages.model import ParsedRequest, RequestHeader, RequestParams
from cas.messages.namespaces import MES, SoapVersion
from cas.messages.normalize import PAYLOAD_NAMES, normalize_message
from cas.messages.soap import open_envelope
from cas.messages.validation import validate
from cas.messages.xml_parsing import DEFAULT_LIMITS, XmlLimits, parse_xml
from generated.device_access import CosemAccessListType, DeviceAccessType, DeviceGroupListType
from generated.message import HeaderType, RequestMessage, RequestType

_REQUEST_MESSAGE = f"{{{MES}}}RequestMessage"
_PAYLOAD = f"{{{MES}}}Payload"
_MES_PREFIX = f"{{{MES}}}"
PAYLOAD_XPATH = "/mes:RequestMessage/mes:Payload"


def parse_request(
    body: bytes,
    *,
    content_type: str | None = None,
    limits: XmlLimits = DEFAULT_LIMITS,
    operations: Mapping[str, frozenset[str]] = OPERATIONS,
) -> ParsedRequest:
    """Parse, check, validate and bind one SOAP request.

    ``content_type`` (the HTTP header) only chooses the SOAP version of an error reply when
    the envelope cannot be read. ``operations`` maps each served noun to its verbs.
    Raises a MessageError subclass; ``error.http_status`` and ``render_error(error)`` answer it.
    """
    hint = SoapVersion.from_content_type(content_type)
    root = parse_xml(body, limits, soap_version=hint)
    version, message = open_envelope(root, hint=hint)
    if message.tag != _REQUEST_MESSAGE:
        raise SoapError(
            f"the SOAP Body must hold a mes:RequestMessage, got {etree.QName(message).text}",
            soap_version=version,
        )
    _verb, noun = check_header(message, operations, version)
    normalize_message(message)
    problems = validate(message) + _payload_noun_problems(message, noun)
    if problems:
        first, *more = problems
        raise SchemaError(
            first.code,
            first.reason,
            xpath=first.xpath,
            soap_version=version,
            header=_understood_header(message, problems),
            more=more,
        )
    other_payload = _detach_other_payload(message)
    try:
        bound = bind(message, RequestMessage)
    except BindingError as exc:
        raise SchemaError(
            ErrorCode.SCHEMA_VALIDATION_FAILED,
            f"the message cannot be read: {exc}",
            soap_version=version,
        ) from None
    header = request_header(bound.header)
    check_reply_address(header, version)
    params = request_params(bound.request)
    payload = bound.payload.choice[0] if bound.payload and bound.payload.choice else None
    _check_request_rules(header, params, payload, version)
    return ParsedRequest(
        soap_version=version,
        header=header,
        request=params,
        payload=payload,
        other_payload=other_payload,
        message=bound,
    )


def request_header(header: HeaderType) -> RequestHeader:
    """Plain values of a bound (and checked) Header."""
    return RequestHeader(
        verb=header.verb.value,
        noun=header.noun,
        message_id=header.message_id or "",
        timestamp=header.timestamp.to_datetime(),
        correlation_id=header.correlation_id,
        reply_address=header.reply_address,
        async_reply_flag=bool(header.async_reply_flag),
        ack_required=bool(header.ack_required),
        source=header.source,
        revision=header.revision,
        context=header.context,
        user_id=header.user.user_id if header.user else None,
        organization=header.user.organization if header.user else None,
        comment=header.comment,
        properties=tuple((prop.name, prop.value) for prop in header.property),
    )


def request_params(request: RequestType | None) -> RequestParams:
    if request is None:
        return RequestParams()
    return RequestParams(
        start_time=request.start_time.to_datetime() if request.start_time else None,
        end_time=request.end_time.to_datetime() if request.end_time else None,
        ids=tuple(item.value for item in request.id),
        options=tuple((option.name, option.value) for option in request.option),
        with_data=request.with_data,
        last_valid_data=request.last_valid_data,
    )


def _understood_header(
    message: etree._Element, problems: list[ErrorDetail]
) -> RequestHeader | None:
    """The Header if no problem lies in it (the error is then answered with a ResponseMessage)."""
    if any(p.xpath is None or p.xpath.startswith(HEADER_XPATH) for p in problems):
        return None
    header = message.find(f"{_MES_PREFIX}Header")
    return request_header(bind(copy.deepcopy(header), HeaderType))


def _payload_noun_problems(message: etree._Element, noun: str) -> list[ErrorDetail]:
    """A CAS noun's payload, if any, is that noun's element (e.g. DeviceAccess for DeviceAccess)."""
    if noun not in PAYLOAD_NAMES:
        return []
    payload = message.find(_PAYLOAD)
    if payload is None:
        return []
    problems = []
    for element in payload:
        if element.tag in (f"{_MES_PREFIX}{noun}", f"{_MES_PREFIX}Format"):
            continue
        problems.append(
            ErrorDetail(
                ErrorCode.SCHEMA_VALIDATION_FAILED,
                f"the Payload of a {noun} request must be a {noun}, "
                f"not {etree.QName(element).localname}",
                f"{PAYLOAD_XPATH}/{_short(element)}",
            )
        )
    return problems


def _short(element: etree._Element) -> str:
    qname = etree.QName(element)
    return f"mes:{qname.localname}" if qname.namespace == MES else qname.localname


def _detach_other_payload(message: etree._Element) -> tuple[etree._Element, ...]:
    """Payload elements of other namespaces (CIM) are handed over as lxml elements, unbound."""
    payload = message.find(_PAYLOAD)
    if payload is None:
        return ()
    others = tuple(el for el in payload if not el.tag.startswith(_MES_PREFIX))
    for element in others:
        payload.remove(element)
    return others


# (noun, verb) -> (needs a resource id, needs a payload)
_NEEDS: dict[tuple[str, str], tuple[bool, bool]] = {
    ("DeviceAccess", "create"): (False, True),
    ("DeviceAccess", "change"): (True, True),
    ("DeviceAccess", "delete"): (True, False),
    ("DeviceAccess", "cancel"): (True, False),
    ("DeviceGroup", "create"): (False, True),
    ("DeviceGroup", "change"): (False, True),
    ("DeviceGroup", "delete"): (False, True),
}


def _check_request_rules(
    header: RequestHeader, params: RequestParams, payload: object, version: SoapVersion
) -> None:
    def fail(code: ErrorCode, reason: str, xpath: str) -> MessageError:
        return MessageError(code, reason, xpath=xpath, soap_version=version, header=header)

    needs_id, needs_payload = _NEEDS.get((header.noun, header.verb), (False, False))
    payload_id = payload.id if isinstance(payload, DeviceAccessType) else None
    if needs_id and not (params.id or payload_id):
        raise fail(
            ErrorCode.REQUEST_ELEMENTS_MISSING,
            f"{header.verb} {header.noun} needs the resource id in Request/ID",
            "/mes:RequestMessage/mes:Request",
        )
    if needs_payload and payload is None:
        raise fail(
            ErrorCode.PAYLOAD_ELEMENTS_MISSING,
            f"{header.verb} {header.noun} needs a {header.noun} payload",
            PAYLOAD_XPATH,
        )
    if isinstance(payload, DeviceGroupListType) and needs_payload and not payload.device_group:
        raise fail(
            ErrorCode.PAYLOAD_ELEMENTS_MISSING,
            f"{header.verb} DeviceGroup needs DeviceGroup/DeviceGroup with a GroupID",
            f"{PAYLOAD_XPATH}/mes:DeviceGroup",
        )
    if isinstance(payload, DeviceAccessType):
        _check_device_access(payload, header, fail)


_Fail = Callable[[ErrorCode, str, str], MessageError]


def _check_device_access(payload: DeviceAccessType, header: RequestHeader, fail: _Fail) -> None:
    base = f"{PAYLOAD_XPATH}/mes:DeviceAccess"
    if header.verb == "create" and not payload.accept_data_notification:
        if payload.devices_reference_list is None:
            raise fail(
                ErrorCode.PAYLOAD_ELEMENTS_MISSING,
                "create DeviceAccess needs a DevicesReferenceList",
                base,
            )
        if payload.cosem_access_list is None or not payload.cosem_access_list.cosem_access:
            raise fail(
                ErrorCode.PAYLOAD_ELEMENTS_MISSING,
                "create DeviceAccess needs a CosemAccessList with at least one CosemAccess",
                base,
            )
    _check_accesses(payload.cosem_access_list, base, fail)


def _check_accesses(access_list: CosemAccessListType | None, base: str, fail: _Fail) -> None:
    if access_list is None:
        return
    accesses = access_list.cosem_access
    for index, access in enumerate(accesses, start=1):
        position = f"[{index}]" if len(accesses) > 1 else ""
        xpath = f"{base}/dev:CosemAccessList/dev:CosemAccess{position}"
        if access.cosem_access_descriptor is None or access.cosem_access_descriptor.choice is None:
            raise fail(
                ErrorCode.PAYLOAD_ELEMENTS_MISSING,
                "a CosemAccess in a request needs a CosemAccessDescriptor",
                xpath,
            )
        if access.cosem_access_result:
            raise fail(
                ErrorCode.SCHEMA_VALIDATION_FAILED,
                "a request cannot carry CosemAccessResult",
                xpath + "/dev:CosemAccessResult",
            )
