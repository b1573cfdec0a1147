"""Every bad input of issue 3 at the message layer: a typed error with the right code."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cas.messages import (
    ErrorCode,
    FaultCode,
    ForbiddenXml,
    HeaderError,
    MessageError,
    MessageTooLarge,
    NotWellFormed,
    SchemaError,
    SoapError,
    SoapVersion,
    TooDeep,
    XmlLimits,
    parse_request,
)
from cas.messages.namespaces import SOAP11

from .samples import (
    BILLION_LAUGHS,
    GET_CLOCK,
    HEADER,
    METER,
    device_access,
    envelope,
    header_xml,
    request_message,
    soap_request,
)

DA = "/mes:RequestMessage/mes:Payload/mes:DeviceAccess"


def refused(body: bytes, error_type=MessageError, **kwargs) -> MessageError:
    with pytest.raises(error_type) as caught:
        parse_request(body, **kwargs)
    return caught.value


def test_a_typical_request_passes():
    assert parse_request(soap_request()).header.message_id == "78465521"


# -- XML and SOAP ------------------------------------------------------------------------


def test_not_xml():
    error = refused(b"hello", NotWellFormed, content_type="text/xml")
    assert error.code is ErrorCode.SCHEMA_VALIDATION_FAILED
    assert error.soap_version is SoapVersion.V11  # from the content type: answer in 1.1
    assert error.answered_with_fault and error.http_status == 400


def test_dtd_billion_laughs_and_external_entity():
    refused(BILLION_LAUGHS, ForbiddenXml)
    xxe = b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + soap_request()[39:]
    refused(xxe, ForbiddenXml)


def test_over_the_size_limit():
    body = soap_request()
    error = refused(body, MessageTooLarge, limits=XmlLimits(max_bytes=len(body) - 1))
    assert error.http_status == 413
    assert error.code is ErrorCode.TOO_MANY_ITEMS


def test_too_deep():
    deep = "<x>" * 70 + "</x>" * 70
    body = soap_request(payload=device_access(extra="")).replace(
        b"<cos:invoke-id-and-priority>", deep.encode() + b"<cos:invoke-id-and-priority>"
    )
    refused(body, TooDeep)


def test_wrong_soap_version():
    body = envelope(request_message(), soap="http://example.com/not-soap")
    error = refused(body, SoapError)
    assert error.fault_code is FaultCode.VERSION_MISMATCH


def test_no_body_and_several_body_children():
    no_body = b'<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"/>'
    refused(no_body, SoapError)
    two = envelope(request_message() + request_message())
    assert "has 2" in refused(two, SoapError).reason


def test_body_child_that_is_not_a_request_message():
    error = refused(envelope("<mes:ResponseMessage xmlns:mes='urn:x'/>"), SoapError)
    assert "RequestMessage" in error.reason


# -- Header (1.5, 2.9, 2.5): answered with a SOAP Fault ------------------------------------


@pytest.mark.parametrize("missing", ["Verb", "Noun", "Timestamp", "MessageID"])
def test_missing_mandatory_header_element(missing):
    fields = {name: value for name, value in HEADER.items() if name != missing}
    error = refused(soap_request(header=header_xml(fields)), HeaderError)
    assert error.code is ErrorCode.HEADER_ELEMENTS_MISSING
    assert missing in error.reason
    assert error.xpath == "/mes:RequestMessage/mes:Header"
    assert error.answered_with_fault


def test_empty_mandatory_header_element():
    error = refused(soap_request(header=header_xml({**HEADER, "MessageID": "  "})), HeaderError)
    assert error.code.code == "1.5"


def test_missing_header():
    body = envelope(f"<mes:RequestMessage xmlns:mes='{HEADER_NS}'/>")
    assert refused(body, HeaderError).code.code == "1.5"


HEADER_NS = "http://iec.ch/TC57/2011/schema/message"


def test_unknown_verb():
    error = refused(soap_request(header=header_xml({**HEADER, "Verb": "fetch"})), HeaderError)
    assert (error.code.code, error.xpath) == ("2.9", "/mes:RequestMessage/mes:Header/mes:Verb")


def test_verb_the_noun_does_not_serve():
    fields = {**HEADER, "Verb": "cancel", "Noun": "ResourceDirectory"}
    error = refused(soap_request(header=header_xml(fields), payload=None), HeaderError)
    assert error.code.code == "2.9"
    assert "ResourceDirectory" in error.reason


def test_unknown_noun():
    error = refused(soap_request(header=header_xml({**HEADER, "Noun": "Toaster"})), HeaderError)
    assert error.code.code == "2.5"


def test_unknown_verb_and_noun_report_both():
    fields = {**HEADER, "Verb": "fetch", "Noun": "Toaster"}
    error = refused(soap_request(header=header_xml(fields)), HeaderError)
    assert [e.code.code for e in error.errors] == ["2.9", "2.5"]


def test_an_extended_operations_table_serves_a_new_noun():
    operations = {"MeterReadings": frozenset({"get"})}
    fields = {**HEADER, "Verb": "get", "Noun": "MeterReadings"}
    cim = '<m:GetMeterReadings xmlns:m="http://iec.ch/TC57/2011/GetMeterReadings#"><m:x/></m:GetMeterReadings>'
    request = parse_request(
        soap_request(header=header_xml(fields), payload=cim), operations=operations
    )
    assert request.payload is None
    (element,) = request.other_payload
    assert element.tag == "{http://iec.ch/TC57/2011/GetMeterReadings#}GetMeterReadings"
    assert len(element) == 1  # handed over intact, not consumed by the binding


def test_header_failing_the_schema_is_a_fault():
    fields = {**HEADER, "Timestamp": "yesterday"}
    error = refused(soap_request(header=header_xml(fields)), SchemaError)
    assert error.xpath == "/mes:RequestMessage/mes:Header/mes:Timestamp"
    assert error.answered_with_fault


# -- Payload (1.8 with the xpath): answered with a FAILED ResponseMessage ----------------


def test_payload_failing_the_schema_carries_the_xpath_and_the_header():
    payload = device_access(extra="<dev:Unexpected/>")
    error = refused(soap_request(payload=payload), SchemaError)
    assert error.code.code == "1.8"
    assert error.xpath == f"{DA}/dev:Unexpected"
    assert "dev:Unexpected" in error.reason and "{" not in error.reason
    assert error.header is not None and error.header.message_id == "78465521"
    assert not error.answered_with_fault and error.http_status == 200


def test_xpath_uses_canonical_prefixes_whatever_the_client_used():
    body = (
        soap_request(payload=device_access(extra="<dev:Priority>300</dev:Priority>"))
        .replace(b"dev:", b"d:")
        .replace(b"xmlns:dev=", b"xmlns:d=")
    )
    error = refused(body, SchemaError)
    assert error.xpath == f"{DA}/dev:Priority"


def test_xpath_in_default_namespaces_and_positions():
    accesses = "".join(
        "<CosemAccess xmlns='http://iec.ch/TC13/2014/schema/DeviceAccess'>"
        f"<CosemAccessDescriptor><CosemXDLMSDescriptor>{GET_CLOCK}</CosemXDLMSDescriptor>"
        "</CosemAccessDescriptor></CosemAccess>"
        for _ in range(2)
    ).replace("<cos:class-id>8</cos:class-id>", "<cos:class-id>x</cos:class-id>", 1)
    body = f"""<dev:DevicesReferenceList><dev:DeviceReference DeviceID="{METER}"/>
        </dev:DevicesReferenceList><dev:CosemAccessList>{accesses}</dev:CosemAccessList>"""
    error = refused(soap_request(payload=device_access(body)), SchemaError)
    assert error.xpath == (
        f"{DA}/dev:CosemAccessList/dev:CosemAccess[1]/dev:CosemAccessDescriptor/"
        "dev:CosemXDLMSDescriptor/cos:get-request/cos:get-request-normal/"
        "cos:cosem-attribute-descriptor/cos:class-id"
    )


@pytest.mark.parametrize("priority", ["256", "-1", "high"])
def test_priority_out_of_range(priority):
    payload = device_access(extra=f"<dev:Priority>{priority}</dev:Priority>")
    error = refused(soap_request(payload=payload), SchemaError)
    assert error.xpath == f"{DA}/dev:Priority"


@pytest.mark.parametrize("interval", ["15 minutes", "PT", "P1Y2", "PT30S", "-PT5M"])
def test_repeating_interval_not_an_xs_duration_or_under_a_minute(interval):
    payload = device_access(extra=f"<dev:RepeatingInterval>{interval}</dev:RepeatingInterval>")
    error = refused(soap_request(payload=payload), SchemaError)
    assert error.xpath == f"{DA}/dev:RepeatingInterval"


def test_payload_of_another_noun():
    fields = {**HEADER, "Noun": "DeviceGroup"}
    error = refused(soap_request(header=header_xml(fields)), SchemaError)
    assert error.xpath == "/mes:RequestMessage/mes:Payload/mes:DeviceAccess"
    assert "must be a DeviceGroup" in error.reason


def test_several_errors_are_all_reported():
    extra = "<dev:Priority>300</dev:Priority><dev:Duration>soon</dev:Duration>"
    error = refused(soap_request(payload=device_access(extra=extra)), SchemaError)
    assert {e.xpath for e in error.errors} == {f"{DA}/dev:Priority", f"{DA}/dev:Duration"}


# -- request rules (1.5, 1.6, 1.7, 1.8) -----------------------------------------------------


def test_create_without_payload():
    error = refused(soap_request(payload=None))
    assert (error.code.code, error.xpath) == ("1.7", "/mes:RequestMessage/mes:Payload")
    assert error.header is not None


def test_create_without_devices_or_accesses():
    refs = (
        f'<dev:DevicesReferenceList><dev:DeviceReference DeviceID="{METER}"/>'
        "</dev:DevicesReferenceList>"
    )
    assert refused(soap_request(payload=device_access(refs))).code.code == "1.7"
    access_only = device_access().replace(refs, "")
    assert refused(soap_request(payload=access_only)).code.code == "1.7"


def test_data_notification_resource_needs_no_accesses():
    payload = device_access("<dev:AcceptDataNotification>true</dev:AcceptDataNotification>")
    header = header_xml(extra="<mes:ReplyAddress>https://mdm.example/notify</mes:ReplyAddress>")
    request = parse_request(soap_request(header=header, payload=payload))
    assert request.payload.accept_data_notification is True


def test_cosem_access_without_descriptor():
    body = (
        f'<dev:DevicesReferenceList><dev:DeviceReference DeviceID="{METER}"/>'
        "</dev:DevicesReferenceList><dev:CosemAccessList><dev:CosemAccess/><dev:CosemAccess/>"
        "</dev:CosemAccessList>"
    )
    error = refused(soap_request(payload=device_access(body)))
    assert error.code.code == "1.7"
    assert error.xpath == f"{DA}/dev:CosemAccessList/dev:CosemAccess[1]"


def test_results_inside_a_request():
    result = (
        '<dev:CosemAccessResult DeviceID="x"><dev:errorResult><dev:code>2.4</dev:code>'
        "</dev:errorResult></dev:CosemAccessResult>"
    )
    payload = device_access().replace(
        "</dev:CosemAccessDescriptor>", "</dev:CosemAccessDescriptor>" + result
    )
    assert refused(soap_request(payload=payload)).code.code == "1.8"


@pytest.mark.parametrize("verb", ["change", "delete", "cancel"])
def test_change_delete_cancel_without_resource_id(verb):
    fields = {**HEADER, "Verb": verb}
    payload = device_access("<dev:Priority>5</dev:Priority>")
    error = refused(soap_request(header=header_xml(fields), payload=payload))
    assert (error.code.code, error.xpath) == ("1.6", "/mes:RequestMessage/mes:Request")


def test_device_group_change_without_group():
    fields = {**HEADER, "Verb": "change", "Noun": "DeviceGroup"}
    payload = "<mes:DeviceGroup/>"
    assert refused(soap_request(header=header_xml(fields), payload=payload)).code.code == "1.7"


@pytest.mark.parametrize("address", ["ftp://x/y", "not a url", "http://", "mailto:a@b"])
def test_reply_address_must_be_http(address):
    header = header_xml(extra=f"<mes:ReplyAddress>{address}</mes:ReplyAddress>")
    error = refused(soap_request(header=header))
    assert (error.code.code, error.xpath) == (
        "1.8",
        "/mes:RequestMessage/mes:Header/mes:ReplyAddress",
    )
    assert error.header is not None


def test_async_without_reply_address():
    header = header_xml(extra="<mes:AsyncReplyFlag>true</mes:AsyncReplyFlag>")
    assert refused(soap_request(header=header)).code.code == "1.5"


# -- normalization --------------------------------------------------------------------------


ALL_HEADER_FIELDS = {
    **HEADER,
    "Revision": "1",
    "Context": "TESTING",
    "Source": "hypothesis",
    "AsyncReplyFlag": "false",
    "ReplyAddress": "http://127.0.0.1:1/x",
    "AckRequired": "true",
    "CorrelationID": "c-1",
    "Comment": "any order",
}


@settings(max_examples=40, deadline=None)
@given(
    st.permutations(list(ALL_HEADER_FIELDS)),
    st.sampled_from(["mes:DeviceAccess", "dev:DeviceAccess"]),
    st.booleans(),
)
def test_header_in_any_order_and_device_access_in_either_namespace(order, element, soap11):
    header = header_xml(ALL_HEADER_FIELDS, order=order)
    body = soap_request(header=header, payload=device_access(element=element))
    if soap11:
        body = body.replace(b"http://www.w3.org/2003/05/soap-envelope", SOAP11.encode())
    request = parse_request(body)
    assert request.soap_version is (SoapVersion.V11 if soap11 else SoapVersion.V12)
    assert (request.header.source, request.header.comment, request.header.revision) == (
        "hypothesis",
        "any order",
        "1",
    )
    assert request.header.ack_required and request.header.correlation_id == "c-1"
    assert request.payload.cosem_access_list.cosem_access[0].cosem_access_descriptor.choice


@pytest.mark.parametrize("alias", ["XDLMSDescriptor", "CosemXDLMSDescriptor"])
def test_xdlms_descriptor_alias(alias):
    request = parse_request(soap_request(payload=device_access(descriptor=alias)))
    descriptor = request.payload.cosem_access_list.cosem_access[0].cosem_access_descriptor
    assert descriptor.choice.choice is not None


# -- robustness: client input never escapes as anything but a MessageError ----------------

VALID = soap_request()


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, len(VALID) - 1),
    st.integers(0, 40),
    st.binary(max_size=12),
)
def test_mangled_requests_give_a_parsed_request_or_a_message_error(start, length, replacement):
    body = VALID[:start] + replacement + VALID[start + length :]
    try:
        parse_request(body)
    except MessageError as error:
        assert error.code.code in {"1.5", "1.8", "2.5", "2.9", "1.6", "1.7", "3.1"}


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30))
def test_any_text_in_any_payload_value_gives_a_parsed_request_or_a_message_error(text):
    from xml.sax.saxutils import escape

    value = escape(text)
    for extra in (
        f"<dev:Priority>{value}</dev:Priority>",
        f"<dev:Activates>{value}</dev:Activates>",
        f"<dev:RepeatingInterval>{value}</dev:RepeatingInterval>",
    ):
        try:
            request = parse_request(soap_request(payload=device_access(extra=extra)))
        except MessageError as error:
            assert error.code.code == "1.8"
        else:
            assert request.payload is not None
