"""Replies: ResponseMessage, EventMessage and faults are valid, complete, in the asked version."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest
from lxml import etree

from cas.messages import (
    ErrorCode,
    ErrorDetail,
    FaultCode,
    HeaderError,
    InternalError,
    MessageError,
    ResultType,
    SchemaError,
    SoapVersion,
    build_event,
    build_response,
    content_type,
    parse_request,
    parse_response,
    render_error,
    render_event,
    render_fault,
    render_response,
)
from cas.messages.namespaces import MES, SOAP11, SOAP12
from cas.messages.validation import validate
from generated import cosem
from generated import device_access as dev

from .samples import (
    CLOCK,
    GOLDEN,
    HEADER,
    canonical,
    clock_result,
    device_access,
    header_xml,
    soap_request,
)

MOMENT = datetime(2024, 5, 1, 12, 0, 1, 250000, tzinfo=UTC)
NS = {"soap": SOAP12, "soap11": SOAP11, "mes": MES}


def body_child(envelope: bytes) -> etree._Element:
    root = etree.fromstring(envelope)
    return root[-1][0]


def assert_valid(envelope: bytes) -> etree._Element:
    message = body_child(envelope)
    assert validate(message) == []
    return message


def test_golden_response_to_the_clock_request():
    request = parse_request((GOLDEN / "create_device_access_get_clock.xml").read_bytes())
    response = build_response(
        request.header,
        ids=["R-1"],
        payload=clock_result(request.payload),
        message_id="resp-1",
        timestamp=MOMENT,
    )
    rendered = render_response(response, request.soap_version)
    assert_valid(rendered)
    expected = (GOLDEN / "response_get_clock.xml").read_bytes()
    assert canonical(rendered) == canonical(expected)


def test_partial_response_with_an_error_result_per_device():
    request = parse_request(soap_request())
    payload = copy.deepcopy(request.payload)
    payload.cosem_access_list.cosem_access[0].cosem_access_result.append(
        dev.CosemAccessResultType(
            device_id="unknown-meter",
            choice=dev.ErrorResultType(code=ErrorCode.INVALID_METER.code, reason="unknown device"),
        )
    )
    errors = [ErrorDetail(ErrorCode.INVALID_METER, "unknown device: unknown-meter")]
    rendered = render_response(
        build_response(request.header, result="PARTIAL", errors=errors, payload=payload),
        SoapVersion.V11,
    )
    message = assert_valid(rendered)
    assert etree.fromstring(rendered).tag == f"{{{SOAP11}}}Envelope"
    assert message.findtext("mes:Reply/mes:Result", namespaces=NS) == "PARTIAL"
    assert message.findtext("mes:Reply/mes:Error/mes:code", namespaces=NS) == "2.4"
    assert message.findtext("mes:Header/mes:Verb", namespaces=NS) == "reply"
    assert message.findtext("mes:Header/mes:CorrelationID", namespaces=NS) == "78465521"
    assert message.findtext("mes:Header/mes:MessageID", namespaces=NS) != "78465521"


def test_response_round_trips_through_parse_response():
    request = parse_request(soap_request())
    rendered = render_response(build_response(request.header, ids=["R-9"]), SoapVersion.V12)
    parsed = parse_response(rendered)
    assert parsed.ok and parsed.correlation_id == "78465521"
    assert parsed.message.reply.id[0].value == "R-9"


def test_resource_directory_and_device_group_payloads_are_placed_as_mes_elements():
    directory = dev.ResourceDirectoryType(
        resource=[
            dev.ResourceInfoType(
                id="R-1",
                resource_type=dev.ResourceKindType.GET,
                resource_status=dev.ResourceStatusType.ITERATION_OK,
                priority=4,
                device_reference_or_group_reference=[dev.GroupReferenceType(group_id="G")],
                cosem_attribute_descriptor=[
                    cosem.CosemAttributeDescriptor(
                        class_id=8, instance_id=bytes.fromhex("0000010000FF"), attribute_id=2
                    )
                ],
                progress=dev.ProgressType(done=9990, failed=3, pending=7),
            )
        ]
    )
    groups = dev.DeviceGroupListType(
        device_group=[dev.DeviceGroupType(group_id="DG_ALL_METERS", built_in=True, member_count=2)]
    )
    for payload, name in ((directory, "ResourceDirectory"), (groups, "DeviceGroup")):
        rendered = render_response(
            build_response(None, noun=name, payload=payload), SoapVersion.V12
        )
        message = assert_valid(rendered)
        assert message.find(f"mes:Payload/mes:{name}", namespaces=NS) is not None
    text = rendered.decode()
    assert 'BuiltIn="true"' in text and 'MemberCount="2"' in text


def test_event_message_carrying_a_data_notification():
    notification = cosem.DataNotification(
        long_invoke_id_and_priority=7,
        date_time=CLOCK,
        notification_body=cosem.NotificationBody(
            data_value=cosem.DataValue(choice=cosem.DoubleLongUnsigned(value=123456))
        ),
    )
    payload = dev.DeviceAccessType(
        id="R-5",
        cosem_access_list=dev.CosemAccessListType(
            cosem_access=[
                dev.CosemAccessType(
                    cosem_access_result=[
                        dev.CosemAccessResultType(
                            device_id="4C475A0000000001",
                            choice=dev.XdlmsresultType(choice=notification),
                        )
                    ]
                )
            ]
        ),
    )
    event = build_event(payload, correlation_id="R-5", message_id="evt-1", timestamp=MOMENT)
    rendered = render_event(event)
    message = assert_valid(rendered)
    assert message.tag == f"{{{MES}}}EventMessage"
    assert message.findtext("mes:Header/mes:Verb", namespaces=NS) == "created"
    assert message.findtext("mes:Header/mes:MessageID", namespaces=NS) == "evt-1"
    assert message.findtext("mes:Header/mes:CorrelationID", namespaces=NS) == "R-5"
    value = message.xpath("string(//*[local-name()='double-long-unsigned'])")
    assert value == "123456"


def test_header_error_is_a_soap12_fault_with_a_fault_message():
    body = soap_request(header=header_xml({**HEADER, "Verb": "fetch"}))
    with pytest.raises(HeaderError) as caught:
        parse_request(body)
    error = caught.value
    assert error.http_status == 400
    fault = etree.fromstring(render_error(error))
    assert fault.xpath("string(soap:Body/soap:Fault/soap:Code/soap:Value)", namespaces=NS) == (
        "soap:Sender"
    )
    fault_message = fault.xpath("soap:Body/soap:Fault/soap:Detail/mes:FaultMessage", namespaces=NS)
    assert validate(fault_message[0]) == []
    assert fault_message[0].findtext("mes:Reply/mes:Result", namespaces=NS) == "FAILED"
    assert fault_message[0].findtext("mes:Reply/mes:Error/mes:code", namespaces=NS) == "2.9"


def test_fault_in_soap11_when_the_request_was_soap11():
    body = soap_request(header=header_xml({**HEADER, "Noun": "Toaster"})).replace(
        SOAP12.encode(), SOAP11.encode()
    )
    with pytest.raises(HeaderError) as caught:
        parse_request(body)
    error = caught.value
    assert content_type(error.soap_version) == "text/xml; charset=utf-8"
    fault = etree.fromstring(render_error(error))
    assert fault.xpath("string(soap11:Body/soap11:Fault/faultcode)", namespaces=NS) == "soap:Client"
    detail = fault.xpath("soap11:Body/soap11:Fault/detail/mes:FaultMessage", namespaces=NS)
    assert detail[0].findtext("mes:Reply/mes:Error/mes:code", namespaces=NS) == "2.5"


def test_payload_error_is_a_failed_response_message_with_the_xpath():
    body = soap_request(payload=device_access(extra="<dev:Priority>999</dev:Priority>"))
    with pytest.raises(SchemaError) as caught:
        parse_request(body)
    error = caught.value
    rendered = render_error(error)
    message = assert_valid(rendered)
    assert message.tag == f"{{{MES}}}ResponseMessage"
    assert message.findtext("mes:Reply/mes:Result", namespaces=NS) == "FAILED"
    assert message.findtext("mes:Header/mes:CorrelationID", namespaces=NS) == "78465521"
    assert message.findtext("mes:Reply/mes:Error/mes:xpath", namespaces=NS) == (
        "/mes:RequestMessage/mes:Payload/mes:DeviceAccess/dev:Priority"
    )
    assert parse_response(rendered).errors[0][0] == "1.8"


def test_not_xml_gets_a_soap12_fault_by_default():
    with pytest.raises(MessageError) as caught:
        parse_request(b"\x00\x01garbage")
    fault = etree.fromstring(render_error(caught.value))
    assert fault.tag == f"{{{SOAP12}}}Envelope"


def test_internal_error_is_a_receiver_fault_and_reasons_are_made_xml_safe():
    error = InternalError("store failed: \x00\x07 bad bytes", soap_version=SoapVersion.V12)
    assert (error.http_status, error.fault_code) == (500, FaultCode.RECEIVER)
    fault = etree.fromstring(render_fault(error))
    assert fault.xpath("string(//soap:Value)", namespaces=NS) == "soap:Receiver"
    assert "bad bytes" in fault.xpath("string(//soap:Text)", namespaces=NS)
    assert fault.xpath("string(//mes:code)", namespaces=NS) == "4.3"


def test_parse_response_reads_a_subscriber_fault_as_failed():
    error = MessageError(ErrorCode.LOCAL_PROCESSING_ERROR, "subscriber is busy")
    parsed = parse_response(render_fault(error))
    assert not parsed.ok and parsed.fault == "subscriber is busy" and parsed.message is None


def test_failed_response_requires_a_result_of_the_enumeration():
    with pytest.raises(ValueError):
        build_response(None, result="MAYBE")
    assert ResultType("FAILED") is ResultType.FAILED
