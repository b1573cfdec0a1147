"""The SOAP layer: open a request envelope, wrap a reply, build a SOAP Fault.

SOAP 1.2 and 1.1 are told apart by the envelope namespace; a reply is written in the
version of the request. Faults follow each version's shape (1.2: Code/Value, Reason/Text,
Detail; 1.1: faultcode, faultstring, detail). An envelope of an unknown version gets a SOAP
1.2 VersionMismatch fault with an Upgrade header naming both supported envelopes.
"""

from __future__ import annotations

from lxml import etree

from cas.messages.errors import FaultCode, SoapError
from cas.messages.namespaces import SOAP11, SOAP12, XML, SoapVersion

_SOAP11_FAULT_CODES = {
    FaultCode.SENDER: "Client",
    FaultCode.RECEIVER: "Server",
    FaultCode.VERSION_MISMATCH: "VersionMismatch",
    FaultCode.MUST_UNDERSTAND: "MustUnderstand",
}
_ROLES_FOR_US = {  # header blocks targeted at the ultimate receiver
    SoapVersion.V12: (None, SOAP12 + "/role/next", SOAP12 + "/role/ultimateReceiver"),
    SoapVersion.V11: (None, "http://schemas.xmlsoap.org/soap/actor/next"),
}


def open_envelope(
    root: etree._Element, *, hint: SoapVersion | None = None
) -> tuple[SoapVersion, etree._Element]:
    """Check a SOAP envelope; return its version and the single element in its Body.

    Raises SoapError: not an Envelope, unknown version (VersionMismatch), an unexpected child,
    no Body, a Header block with mustUnderstand, an empty Body or several Body children.
    """
    qname = etree.QName(root)
    if qname.localname != "Envelope":
        raise SoapError(f"expected a SOAP Envelope, got {qname.localname!r}", soap_version=hint)
    version = SoapVersion.from_namespace(qname.namespace)
    if version is None:
        raise SoapError(
            f"unsupported SOAP envelope namespace {qname.namespace!r}: use SOAP 1.2 ({SOAP12})"
            f" or SOAP 1.1 ({SOAP11})",
            soap_version=SoapVersion.V12,
            fault_code=FaultCode.VERSION_MISMATCH,
        )
    ns = version.namespace
    header = body = None
    for child in root:
        if child.tag == f"{{{ns}}}Header" and header is None and body is None:
            header = child
        elif child.tag == f"{{{ns}}}Body" and body is None:
            body = child
        else:
            raise SoapError(
                f"unexpected {etree.QName(child).localname!r} in the SOAP Envelope",
                soap_version=version,
            )
    if body is None:
        raise SoapError("the SOAP Envelope has no Body", soap_version=version)
    if header is not None:
        _check_must_understand(header, version)
    children = list(body)
    if len(children) != 1:
        what = "is empty" if not children else f"has {len(children)} elements"
        raise SoapError(
            f"the SOAP Body {what}: it must hold exactly one RequestMessage", soap_version=version
        )
    return version, children[0]


def _check_must_understand(header: etree._Element, version: SoapVersion) -> None:
    ns = version.namespace
    role_attribute = f"{{{ns}}}role" if version is SoapVersion.V12 else f"{{{ns}}}actor"
    for block in header:
        if block.get(f"{{{ns}}}mustUnderstand") not in ("1", "true"):
            continue
        if block.get(role_attribute) not in _ROLES_FOR_US[version]:
            continue
        raise SoapError(
            f"SOAP header block {etree.QName(block).text} is not understood",
            soap_version=version,
            fault_code=FaultCode.MUST_UNDERSTAND,
        )


_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def wrap_envelope(version: SoapVersion, body_xml: bytes) -> bytes:
    """A SOAP envelope around one serialized element (UTF-8, no XML declaration)."""
    ns = version.namespace.encode()
    return b"".join(
        (
            _XML_DECLARATION,
            b'<soap:Envelope xmlns:soap="',
            ns,
            b'"><soap:Body>',
            body_xml,
            b"</soap:Body></soap:Envelope>",
        )
    )


def fault_envelope(
    version: SoapVersion,
    fault_code: FaultCode,
    reason: str,
    detail: etree._Element | None = None,
) -> bytes:
    """A SOAP Fault in ``version``, with ``detail`` (e.g. a mes:FaultMessage) in its Detail."""
    ns = version.namespace
    envelope = etree.Element(f"{{{ns}}}Envelope", nsmap={"soap": ns})
    if version is SoapVersion.V12 and fault_code is FaultCode.VERSION_MISMATCH:
        soap_header = etree.SubElement(envelope, f"{{{ns}}}Header")
        upgrade = etree.SubElement(soap_header, f"{{{ns}}}Upgrade")
        for prefix, supported in (("soap12", SOAP12), ("soap11", SOAP11)):
            element = etree.SubElement(
                upgrade, f"{{{ns}}}SupportedEnvelope", nsmap={prefix: supported}
            )
            element.set("qname", f"{prefix}:Envelope")
    fault = etree.SubElement(etree.SubElement(envelope, f"{{{ns}}}Body"), f"{{{ns}}}Fault")
    if version is SoapVersion.V12:
        code = etree.SubElement(fault, f"{{{ns}}}Code")
        etree.SubElement(code, f"{{{ns}}}Value").text = f"soap:{fault_code.value}"
        text = etree.SubElement(etree.SubElement(fault, f"{{{ns}}}Reason"), f"{{{ns}}}Text")
        text.set(f"{{{XML}}}lang", "en")
        text.text = reason
        if detail is not None:
            etree.SubElement(fault, f"{{{ns}}}Detail").append(detail)
    else:
        etree.SubElement(fault, "faultcode").text = f"soap:{_SOAP11_FAULT_CODES[fault_code]}"
        etree.SubElement(fault, "faultstring").text = reason
        if detail is not None:
            etree.SubElement(fault, "detail").append(detail)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")
