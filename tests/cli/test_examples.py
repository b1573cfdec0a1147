"""The request files the README points at stay valid requests."""

from __future__ import annotations

from pathlib import Path

import pytest

from cas.demo import example_request
from cas.messages import parse_request

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.xml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_is_a_valid_request(path):
    request = parse_request(path.read_bytes())
    assert request.header.verb in ("create", "get", "cancel", "change", "delete")


def test_there_are_examples_and_the_demo_request_is_valid():
    assert len(EXAMPLES) >= 3
    parsed = parse_request(example_request(["53494D00000F4241"]).encode())
    assert parsed.payload.devices_reference_list is not None


def test_the_readme_request_and_response_are_whole_and_agree():
    from lxml import etree

    from cas.xmlbind.hardened import hardened_parser

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("### One request and its response", 1)[1].split("\n### ", 1)[0]
    request_xml, response_xml = [
        block.split("```", 1)[0].encode() for block in section.split("```xml\n")[1:3]
    ]
    request = parse_request(request_xml)
    assert request.header.verb == "create" and request.header.noun == "DeviceAccess"
    response = etree.fromstring(response_xml, hardened_parser())
    ns = {
        "mes": "http://iec.ch/TC57/2011/schema/message",
        "dev": "http://iec.ch/TC13/2014/schema/DeviceAccess",
        "cos": "http://www.dlms.com/COSEMpdu",
    }
    assert response.findtext(".//mes:Reply/mes:Result", namespaces=ns) == "OK"
    assert response.findtext(".//mes:CorrelationID", namespaces=ns) == request.header.message_id
    # the response echoes the request's descriptor, element for element
    asked = etree.fromstring(request_xml, hardened_parser()).find(".//cos:get-request", ns)
    echoed = response.find(".//dev:CosemAccessDescriptor//cos:get-request", ns)
    assert echoed is not None
    assert [(e.tag, (e.text or "").strip()) for e in echoed.iter()] == [
        (e.tag, (e.text or "").strip()) for e in asked.iter()
    ]
    assert response.findtext(".//dev:XDLMSResult//cos:double-long-unsigned", namespaces=ns)
