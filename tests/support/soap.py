"""Building CAS SOAP requests and reading the replies, the way a client would (plain XML)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lxml import etree

SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
MES = "http://iec.ch/TC57/2011/schema/message"
DEV = "http://iec.ch/TC13/2014/schema/DeviceAccess"
COS = "http://www.dlms.com/COSEMpdu"
NS = {"soap": SOAP12, "s11": SOAP11, "mes": MES, "dev": DEV, "cos": COS}


def envelope(
    verb: str,
    noun: str,
    payload: str = "",
    *,
    request: str = "",
    header_extra: str = "",
    soap: str = SOAP12,
    message_id: str | None = None,
) -> bytes:
    message_id = message_id or str(uuid.uuid4())
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = (
        f'<soap:Envelope xmlns:soap="{soap}" xmlns:mes="{MES}" xmlns:dev="{DEV}"'
        f' xmlns:cos="{COS}"><soap:Body><mes:RequestMessage><mes:Header>'
        f"<mes:Verb>{verb}</mes:Verb><mes:Noun>{noun}</mes:Noun>"
        f"<mes:Timestamp>{stamp}</mes:Timestamp>{header_extra}"
        f"<mes:MessageID>{message_id}</mes:MessageID></mes:Header>"
        + (f"<mes:Request>{request}</mes:Request>" if request else "")
        + (f"<mes:Payload>{payload}</mes:Payload>" if payload else "")
        + "</mes:RequestMessage></soap:Body></soap:Envelope>"
    )
    return body.encode()


def obis_hex(obis: str) -> str:
    return bytes(int(part) for part in obis.split(".")).hex().upper()


def attribute_xml(class_id: int, obis: str, attribute: int) -> str:
    return (
        f"<cos:class-id>{class_id}</cos:class-id><cos:instance-id>{obis_hex(obis)}</cos:instance-id>"
        f"<cos:attribute-id>{attribute}</cos:attribute-id>"
    )


def get_xml(
    class_id: int, obis: str, attribute: int, selection: str = "", invoke: int = 193
) -> str:
    return (
        "<cos:get-request><cos:get-request-normal>"
        f"<cos:invoke-id-and-priority>{invoke}</cos:invoke-id-and-priority>"
        f"<cos:cosem-attribute-descriptor>{attribute_xml(class_id, obis, attribute)}"
        f"</cos:cosem-attribute-descriptor>{selection}</cos:get-request-normal></cos:get-request>"
    )


def date_time_hex(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return (
        (
            moment.year.to_bytes(2, "big")
            + bytes(
                (
                    moment.month,
                    moment.day,
                    moment.isoweekday(),
                    moment.hour,
                    moment.minute,
                    moment.second,
                    0,
                )
            )
            + b"\x00\x00\x00"
        )
        .hex()
        .upper()
    )


def range_selection(start: datetime, end: datetime) -> str:
    """Selective access by range on a profile's clock column (all columns)."""
    return (
        "<cos:access-selection><cos:access-selector>1</cos:access-selector>"
        "<cos:access-parameters><cos:structure>"
        "<cos:structure><cos:long-unsigned>8</cos:long-unsigned>"
        "<cos:octet-string>0000010000FF</cos:octet-string><cos:integer>2</cos:integer>"
        "<cos:long-unsigned>0</cos:long-unsigned></cos:structure>"
        f"<cos:octet-string>{date_time_hex(start)}</cos:octet-string>"
        f"<cos:octet-string>{date_time_hex(end)}</cos:octet-string>"
        "<cos:array/></cos:structure></cos:access-parameters></cos:access-selection>"
    )


def action_xml(
    class_id: int, obis: str, method: int, parameter: str = "<cos:integer>0</cos:integer>"
) -> str:
    return (
        "<cos:action-request><cos:action-request-normal>"
        "<cos:invoke-id-and-priority>193</cos:invoke-id-and-priority>"
        f"<cos:cosem-method-descriptor><cos:class-id>{class_id}</cos:class-id>"
        f"<cos:instance-id>{obis_hex(obis)}</cos:instance-id><cos:method-id>{method}</cos:method-id>"
        "</cos:cosem-method-descriptor>"
        f"<cos:method-invocation-parameters>{parameter}</cos:method-invocation-parameters>"
        "</cos:action-request-normal></cos:action-request>"
    )


def time_sync_xml(min_diff: int | None = None, max_diff: int | None = None) -> str:
    limits = ""
    if min_diff is not None:
        limits += f"<dev:min-time-diff>{min_diff}</dev:min-time-diff>"
    if max_diff is not None:
        limits += f"<dev:max-time-diff>{max_diff}</dev:max-time-diff>"
    return (
        "<dev:CosemTimeSync><dev:cosem-object>"
        f"{attribute_xml(8, '0.0.1.0.0.255', 2)}</dev:cosem-object>{limits}</dev:CosemTimeSync>"
    )


def device_access(devices: list[str], accesses: list[str], extra: str = "") -> str:
    """A DeviceAccess payload; each access is a cos request APDU or a dev descriptor."""
    references = "".join(f'<dev:DeviceReference DeviceID="{d}"/>' for d in devices)
    items = "".join(
        "<dev:CosemAccess><dev:CosemAccessDescriptor>"
        + (
            access
            if access.startswith("<dev:")
            else f"<dev:CosemXDLMSDescriptor>{access}</dev:CosemXDLMSDescriptor>"
        )
        + "</dev:CosemAccessDescriptor></dev:CosemAccess>"
        for access in accesses
    )
    return (
        f"<mes:DeviceAccess><dev:DevicesReferenceList>{references}</dev:DevicesReferenceList>"
        f"<dev:CosemAccessList>{items}</dev:CosemAccessList>{extra}</mes:DeviceAccess>"
    )


@dataclass
class Result:
    device_id: str
    kind: str  # XDLMSResult | ACSEResult | errorResult
    element: etree._Element  # the child of the kind element (cos APDU) or errorResult itself

    @property
    def code(self) -> str | None:
        return (
            self.element.findtext("dev:code", namespaces=NS) if self.kind == "errorResult" else None
        )

    @property
    def reason(self) -> str | None:
        return self.element.findtext("dev:reason", namespaces=NS)

    def value(self, path: str) -> str | None:
        """Text at an XPath below the result (cos/dev prefixes)."""
        found = self.element.xpath(path, namespaces=NS)
        return found[0].text if found else None


@dataclass
class Reply:
    status: int
    root: etree._Element
    result: str | None
    error_codes: list[str]
    ids: list[str]
    accesses: list[list[Result]] = field(default_factory=list)

    def results(self, access: int = 0) -> list[Result]:
        return self.accesses[access]


def read_reply(status: int, body: bytes) -> Reply:
    root = etree.fromstring(body)
    message = root.find(".//mes:ResponseMessage", NS)
    if message is None:
        message = root.find(".//mes:FaultMessage", NS)
    result = (
        message.findtext("mes:Reply/mes:Result", namespaces=NS) if message is not None else None
    )
    codes = [e.text for e in root.iterfind(".//mes:Reply/mes:Error/mes:code", NS)]
    ids = [e.text for e in root.iterfind(".//mes:Reply/mes:ID", NS)]
    accesses = []
    for access in root.iterfind(".//dev:CosemAccessList/dev:CosemAccess", NS):
        results = []
        for item in access.iterfind("dev:CosemAccessResult", NS):
            kind_element = item[0]
            kind = etree.QName(kind_element).localname
            element = kind_element if kind == "errorResult" else kind_element[0]
            results.append(Result(item.get("DeviceID"), kind, element))
        accesses.append(results)
    return Reply(status, root, result, codes, ids, accesses)
