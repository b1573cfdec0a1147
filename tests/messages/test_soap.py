"""SOAP envelopes: version detection, Body rules, and the shape of faults in 1.2 and 1.1."""

from __future__ import annotations

import pytest
from lxml import etree

from cas.messages.errors import FaultCode, SoapError
from cas.messages.namespaces import SOAP11, SOAP12, SoapVersion
from cas.messages.soap import fault_envelope, open_envelope, wrap_envelope
from cas.messages.xml_parsing import parse_xml


def open_bytes(body: bytes):
    return open_envelope(parse_xml(body))


@pytest.mark.parametrize(
    ("namespace", "version"), [(SOAP12, SoapVersion.V12), (SOAP11, SoapVersion.V11)]
)
def test_version_is_told_by_the_envelope_namespace(namespace, version):
    body = f'<s:Envelope xmlns:s="{namespace}"><s:Body><x/></s:Body></s:Envelope>'.encode()
    found, element = open_bytes(body)
    assert found is version
    assert element.tag == "x"


def test_soap_header_blocks_without_must_understand_are_ignored():
    body = (
        f'<s:Envelope xmlns:s="{SOAP12}"><s:Header><h xmlns="urn:x"/></s:Header>'
        "<s:Body><x/></s:Body></s:Envelope>"
    ).encode()
    assert open_bytes(body)[0] is SoapVersion.V12


@pytest.mark.parametrize(
    ("namespace", "value", "role_attribute", "role"),
    [
        (SOAP12, "true", None, None),
        (SOAP12, "1", "role", f"{SOAP12}/role/ultimateReceiver"),
        (SOAP11, "1", None, None),
    ],
)
def test_must_understand_header_block_is_refused(namespace, value, role_attribute, role):
    role_xml = f' s:{role_attribute}="{role}"' if role_attribute else ""
    body = (
        f'<s:Envelope xmlns:s="{namespace}"><s:Header>'
        f'<h xmlns="urn:x" s:mustUnderstand="{value}"{role_xml}/></s:Header>'
        "<s:Body><x/></s:Body></s:Envelope>"
    ).encode()
    with pytest.raises(SoapError) as caught:
        open_bytes(body)
    assert caught.value.fault_code is FaultCode.MUST_UNDERSTAND


def test_must_understand_for_another_role_is_not_ours():
    body = (
        f'<s:Envelope xmlns:s="{SOAP12}"><s:Header>'
        f'<h xmlns="urn:x" s:mustUnderstand="true" s:role="urn:someone-else"/></s:Header>'
        "<s:Body><x/></s:Body></s:Envelope>"
    ).encode()
    assert open_bytes(body)[1].tag == "x"


def test_wrong_soap_version_is_a_version_mismatch():
    body = b'<s:Envelope xmlns:s="urn:not-soap"><s:Body><x/></s:Body></s:Envelope>'
    with pytest.raises(SoapError) as caught:
        open_bytes(body)
    assert caught.value.fault_code is FaultCode.VERSION_MISMATCH
    assert caught.value.soap_version is SoapVersion.V12


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (f'<s:Envelope xmlns:s="{SOAP12}"/>', "no Body"),
        (f'<s:Envelope xmlns:s="{SOAP12}"><s:Header/></s:Envelope>', "no Body"),
        (f'<s:Envelope xmlns:s="{SOAP12}"><s:Body/></s:Envelope>', "is empty"),
        (f'<s:Envelope xmlns:s="{SOAP12}"><s:Body><a/><b/></s:Body></s:Envelope>', "has 2"),
        (f'<s:Envelope xmlns:s="{SOAP12}"><s:Body><a/></s:Body><s:Body/></s:Envelope>', "Body"),
        (f'<s:Envelope xmlns:s="{SOAP12}"><s:Body><a/></s:Body><s:Header/></s:Envelope>', "Header"),
        ("<RequestMessage/>", "expected a SOAP Envelope"),
    ],
)
def test_bad_envelopes_are_refused(body, message):
    with pytest.raises(SoapError, match=message) as caught:
        open_bytes(body.encode())
    assert caught.value.code.code == "1.8"
    assert caught.value.fault_code is FaultCode.SENDER


def test_wrap_envelope_round_trips():
    wrapped = wrap_envelope(SoapVersion.V11, b"<x>1</x>")
    version, element = open_bytes(wrapped)
    assert version is SoapVersion.V11
    assert element.text == "1"


def test_soap12_fault_shape():
    detail = etree.Element("{urn:x}detail-content")
    fault = etree.fromstring(
        fault_envelope(SoapVersion.V12, FaultCode.SENDER, "bad <input>", detail)
    )
    ns = {"s": SOAP12}
    assert fault.xpath("string(s:Body/s:Fault/s:Code/s:Value)", namespaces=ns) == "soap:Sender"
    assert fault.xpath("string(s:Body/s:Fault/s:Reason/s:Text)", namespaces=ns) == "bad <input>"
    text = fault.xpath("s:Body/s:Fault/s:Reason/s:Text", namespaces=ns)[0]
    assert text.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert fault.xpath("s:Body/s:Fault/s:Detail/*", namespaces=ns)[0].tag == "{urn:x}detail-content"
    # the code value is a QName whose prefix is declared
    assert fault.nsmap["soap"] == SOAP12


def test_soap11_fault_shape():
    fault = etree.fromstring(fault_envelope(SoapVersion.V11, FaultCode.RECEIVER, "boom"))
    ns = {"s": SOAP11}
    assert fault.xpath("string(s:Body/s:Fault/faultcode)", namespaces=ns) == "soap:Server"
    assert fault.xpath("string(s:Body/s:Fault/faultstring)", namespaces=ns) == "boom"


def test_version_mismatch_fault_names_the_supported_envelopes():
    fault = etree.fromstring(fault_envelope(SoapVersion.V12, FaultCode.VERSION_MISMATCH, "v"))
    supported = fault.findall(
        f"{{{SOAP12}}}Header/{{{SOAP12}}}Upgrade/{{{SOAP12}}}SupportedEnvelope"
    )
    names = {
        etree.QName(element.nsmap[element.get("qname").split(":")[0]], "Envelope").text
        for element in supported
    }
    assert names == {f"{{{SOAP12}}}Envelope", f"{{{SOAP11}}}Envelope"}
