"""Helpers for the message-layer tests: envelopes and typical requests as bytes."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from cas.messages.namespaces import COS, DEV, MES, SOAP11, SOAP12

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
    return etree.canonicalize(xml_data=xml, strip_text=True)


@pytest.fixture
def soap11() -> str:
    return SOAP11
