"""Sample messages for the message-layer tests: envelopes, typical requests, results."""

from __future__ import annotations

import copy
from pathlib import Path

from lxml import etree

from cas.messages.namespaces import COS, DEV, MES, SOAP12
from generated import cosem
from generated import device_access as dev

GOLDEN = Path(__file__).parent / "golden"

NSDECL = f'xmlns:mes="{MES}" xmlns:dev="{DEV}" xmlns:cos="{COS}"'

HEADER = {
    "Verb": "create",
    "Noun": "DeviceAccess",
    "Timestamp": "2024-05-01T12:00:00Z",
    "MessageID": "78465521",
}

GET_CLOCK = (
    "<cos:get-request><cos:get-request-normal>"
    "<cos:invoke-id-and-priority>193</cos:invoke-id-and-priority>"
    "<cos:cosem-attribute-descriptor><cos:class-id>8</cos:class-id>"
    "<cos:instance-id>0000010000FF</cos:instance-id><cos:attribute-id>2</cos:attribute-id>"
    "</cos:cosem-attribute-descriptor></cos:get-request-normal></cos:get-request>"
)

METER = "4C475A0000000001"


def device_access(
    body: str | None = None,
    *,
    element: str = "mes:DeviceAccess",
    descriptor: str = "CosemXDLMSDescriptor",
    extra: str = "",
) -> str:
    """A DeviceAccess payload reading the clock of METER (or with ``body`` as its content)."""
    if body is None:
        body = (
            f'<dev:DevicesReferenceList><dev:DeviceReference DeviceID="{METER}"/>'
            "</dev:DevicesReferenceList><dev:CosemAccessList><dev:CosemAccess>"
            f"<dev:CosemAccessDescriptor><dev:{descriptor}>{GET_CLOCK}</dev:{descriptor}>"
            "</dev:CosemAccessDescriptor></dev:CosemAccess></dev:CosemAccessList>"
        )
    return f"<{element}>{body}{extra}</{element}>"


def header_xml(
    fields: dict[str, str] | None = None, order: list[str] | None = None, extra=""
) -> str:
    fields = HEADER if fields is None else fields
    names = order or list(fields)
    children = "".join(f"<mes:{name}>{fields[name]}</mes:{name}>" for name in names)
    return f"<mes:Header>{children}{extra}</mes:Header>"


def request_message(header: str | None = None, payload: str | None = "", request: str = "") -> str:
    header = header_xml() if header is None else header
    if payload == "":
        payload = device_access()
    payload_xml = f"<mes:Payload>{payload}</mes:Payload>" if payload is not None else ""
    request_xml = f"<mes:Request>{request}</mes:Request>" if request else ""
    return f"<mes:RequestMessage {NSDECL}>{header}{request_xml}{payload_xml}</mes:RequestMessage>"


def envelope(inner: str, *, soap: str = SOAP12, header: str = "") -> bytes:
    soap_header = f"<soap:Header>{header}</soap:Header>" if header else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="{soap}">'
        f"{soap_header}<soap:Body>{inner}</soap:Body></soap:Envelope>"
    ).encode()


def soap_request(soap: str = SOAP12, **kwargs) -> bytes:
    return envelope(request_message(**kwargs), soap=soap)


def canonical(xml: bytes) -> str:
    """C14N with whitespace-only text dropped, for comparing documents."""
    return etree.canonicalize(etree.fromstring(xml), strip_text=True)


CLOCK = bytes.fromhex("07E80501030C0001000000FF")


def clock_result(payload: dev.DeviceAccessType, *, clock: bytes = CLOCK) -> dev.DeviceAccessType:
    """What the access layer answers to the clock request: the access plus one result."""
    payload = copy.deepcopy(payload)
    payload.id = "R-1"
    normal = cosem.GetResponseNormal(
        invoke_id_and_priority=64,
        result=cosem.GetDataResult(
            data_or_data_access_result=cosem.DataValue(choice=cosem.DateTime(value=clock))
        ),
    )
    payload.cosem_access_list.cosem_access[0].cosem_access_result.append(
        dev.CosemAccessResultType(
            device_id=METER,
            activated=None,
            choice=dev.XdlmsresultType(choice=cosem.GetResponse(choice=normal)),
        )
    )
    return payload


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>"""
