"""Hostile and malformed requests over HTTP: a clear SOAP answer, never a 500."""

from __future__ import annotations

import base64

import pytest

from cas.api.auth import ClientAuth
from cas.simulator import MeterFleet
from tests.support.gateway import running_gateway
from tests.support.soap import NS, SOAP11, Reply, device_access, envelope, get_xml

CLOCK = (8, "0.0.1.0.0.255", 2)


@pytest.fixture
async def gateway():
    async with MeterFleet(count=1) as fleet, running_gateway(fleet.meters) as gateway:
        gateway.title = fleet.meters[0].system_title
        yield gateway


def fault_code(reply) -> str | None:
    return reply.root.findtext(".//mes:FaultMessage/mes:Reply/mes:Error/mes:code", namespaces=NS)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>&lol3;</soap:Body>
</soap:Envelope>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>&x;</soap:Body>
</soap:Envelope>"""


@pytest.mark.parametrize(
    "body",
    [b"this is not xml", b"<unclosed>", BILLION_LAUGHS, EXTERNAL_ENTITY, b""],
    ids=["text", "unclosed", "billion-laughs", "external-entity", "empty"],
)
async def test_not_acceptable_xml_is_a_sender_fault(gateway, body):
    reply = await gateway.post(body)
    assert reply.status == 400
    assert fault_code(reply) == "1.8"
    assert b"root:" not in reply.root.xpath("string(.)").encode()  # /etc/passwd never read


async def test_body_over_the_limit_is_413(gateway):
    filler = "<!-- " + "x" * (2 * 1024 * 1024) + " -->"
    reply = await gateway.post(envelope("get", "DeviceAccess") + filler.encode())
    assert reply.status == 413
    assert fault_code(reply) == "3.1"


async def test_wrong_soap_version_and_missing_body(gateway):
    wrong = b'<e:Envelope xmlns:e="urn:not-soap"><e:Body/></e:Envelope>'
    reply = await gateway.post(wrong)
    assert reply.status == 400 and fault_code(reply) == "1.8"
    no_body = f'<soap:Envelope xmlns:soap="{NS["soap"]}"><soap:Header/></soap:Envelope>'
    reply = await gateway.post(no_body.encode())
    assert reply.status == 400 and fault_code(reply) == "1.8"


def header_fault(reply: Reply) -> list[tuple[str, str, str]]:
    """The (code, reason, xpath) of each Reply/Error of a SOAP 1.2 Sender fault, after
    checking the reply is exactly that: HTTP 400, soap:Fault, a FaultMessage, no
    ResponseMessage."""
    assert reply.status == 400
    assert reply.root.tag == f"{{{NS['soap']}}}Envelope"
    assert reply.root.find(".//mes:ResponseMessage", NS) is None
    (fault,) = reply.root.findall("soap:Body/soap:Fault", NS)
    assert fault.findtext("soap:Code/soap:Value", namespaces=NS) == "soap:Sender"
    (message,) = fault.findall("soap:Detail/mes:FaultMessage", NS)
    assert message.findtext("mes:Reply/mes:Result", namespaces=NS) == "FAILED"
    errors = [
        (
            error.findtext("mes:code", namespaces=NS),
            error.findtext("mes:reason", namespaces=NS),
            error.findtext("mes:xpath", namespaces=NS),
        )
        for error in message.iterfind("mes:Reply/mes:Error", NS)
    ]
    assert fault.findtext("soap:Reason/soap:Text", namespaces=NS) == errors[0][1]
    return errors


@pytest.mark.parametrize("missing", ["Verb", "Noun", "Timestamp", "MessageID"])
async def test_missing_header_element_is_a_1_5_fault(gateway, missing):
    body = envelope("create", "DeviceAccess", device_access([gateway.title], [get_xml(*CLOCK)]))
    start = body.index(f"<mes:{missing}>".encode())
    end = body.index(f"</mes:{missing}>".encode()) + len(f"</mes:{missing}>")
    reply = await gateway.post(body[:start] + body[end:])
    assert header_fault(reply) == [
        (
            "1.5",
            f"mandatory Header elements missing or empty: {missing}",
            "/mes:RequestMessage/mes:Header",
        )
    ]


async def test_empty_header_elements_are_named_in_one_1_5_fault(gateway):
    body = envelope(
        "create", "DeviceAccess", device_access([gateway.title], [get_xml(*CLOCK)]), message_id=" "
    ).replace(b"<mes:Noun>DeviceAccess</mes:Noun>", b"<mes:Noun></mes:Noun>")
    reply = await gateway.post(body)
    assert header_fault(reply) == [
        (
            "1.5",
            "mandatory Header elements missing or empty: Noun, MessageID",
            "/mes:RequestMessage/mes:Header",
        )
    ]


VERB_XPATH = "/mes:RequestMessage/mes:Header/mes:Verb"
NOUN_XPATH = "/mes:RequestMessage/mes:Header/mes:Noun"
NOUNS = "DeviceAccess, DeviceGroup, ResourceDirectory"


@pytest.mark.parametrize(
    ("verb", "noun", "errors"),
    [
        ("explode", "DeviceAccess", [("2.9", "unknown verb 'explode'", VERB_XPATH)]),
        (
            "get",
            "Spaceship",
            [("2.5", f"unknown noun 'Spaceship'; supported: {NOUNS}", NOUN_XPATH)],
        ),
        (
            "explode",
            "Spaceship",
            [
                ("2.9", "unknown verb 'explode'", VERB_XPATH),
                ("2.5", f"unknown noun 'Spaceship'; supported: {NOUNS}", NOUN_XPATH),
            ],
        ),
        (
            "execute",
            "DeviceAccess",
            [
                (
                    "2.9",
                    "verb 'execute' is not supported for DeviceAccess; supported:"
                    " cancel, change, create, delete, get",
                    VERB_XPATH,
                )
            ],
        ),
    ],
    ids=["unknown-verb", "unknown-noun", "both", "verb-not-for-noun"],
)
async def test_unknown_verb_or_noun_is_a_fault(gateway, verb, noun, errors):
    reply = await gateway.post(envelope(verb, noun))
    assert header_fault(reply) == errors


async def test_schema_failure_names_the_element(gateway):
    bad = get_xml(*CLOCK).replace(
        "<cos:class-id>8</cos:class-id>", "<cos:class-id>70000</cos:class-id>"
    )
    reply = await gateway.post(
        envelope("create", "DeviceAccess", device_access([gateway.title], [bad]))
    )
    assert reply.result == "FAILED"
    assert reply.error_codes == ["1.8"]
    xpath = reply.root.findtext(".//mes:Reply/mes:Error/mes:xpath", namespaces=NS)
    assert xpath and "class-id" in xpath


async def test_soap_11_is_answered_in_soap_11(gateway):
    body = envelope(
        "create", "DeviceAccess", device_access([gateway.title], [get_xml(*CLOCK)]), soap=SOAP11
    )
    reply = await gateway.post(body, **{"content-type": "text/xml; charset=utf-8"})
    assert reply.result == "OK"
    assert reply.root.tag == f"{{{SOAP11}}}Envelope"


async def test_unsupported_operation_is_a_failed_reply_not_an_error(gateway):
    reply = await gateway.post(envelope("delete", "DeviceAccess", request="<mes:ID>R-1</mes:ID>"))
    assert reply.status == 200
    assert reply.result == "FAILED"


async def test_credentials_are_checked():
    auth = ClientAuth.build({"mdm": "s3cret"}, ["key-1"])
    async with MeterFleet(count=1) as fleet:
        title = fleet.meters[0].system_title
        body = envelope("create", "DeviceAccess", device_access([title], [get_xml(*CLOCK)]))
        async with running_gateway(fleet.meters, auth=auth) as gateway:
            anonymous = await gateway.post(body)
            wrong = await gateway.post(
                body, authorization="Basic " + base64.b64encode(b"mdm:guess").decode()
            )
            basic = await gateway.post(
                body, authorization="Basic " + base64.b64encode(b"mdm:s3cret").decode()
            )
            key = await gateway.post(body, **{"x-api-key": "key-1"})
            bad_key = await gateway.post(body, **{"x-api-key": "key-2"})
    assert anonymous.status == 401 and fault_code(anonymous) == "7.2"
    assert wrong.status == 401 and fault_code(wrong) == "7.4"
    assert bad_key.status == 401
    assert basic.result == "OK" and key.result == "OK"
