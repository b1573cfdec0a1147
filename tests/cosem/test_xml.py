"""COSEM XML: the forms written, reading subtrees of bigger documents, and refusals with the
path of the offending element."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml import etree

from cas import cosem
from cas.cosem import xml as cosem_xml
from generated import cosem as m

NS = cosem.COSEM_NS


def _doc(body: str, root: str = "get-request") -> str:
    return f'<{root} xmlns="{NS}">{body}</{root}>'


GET_NORMAL = _doc(
    "<get-request-normal><invoke-id-and-priority>193</invoke-id-and-priority>"
    "<cosem-attribute-descriptor><class-id>{class_id}</class-id>"
    "<instance-id>{instance}</instance-id><attribute-id>2</attribute-id>"
    "</cosem-attribute-descriptor></get-request-normal>"
)


def _get(class_id: str = "8", instance: str = "0000010000FF") -> str:
    return GET_NORMAL.format(class_id=class_id, instance=instance)


def test_get_request_with_range_access_reads_like_the_standard_xml():
    request = cosem.get_request(
        7,
        "1.0.99.1.0.255",
        2,
        access=cosem.range_access(
            datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 2, tzinfo=UTC)
        ),
    )
    xml = cosem.apdu_to_xml(request, pretty=True)
    assert xml.splitlines()[:12] == [
        f'<get-request xmlns="{NS}">',
        "  <get-request-normal>",
        "    <invoke-id-and-priority>193</invoke-id-and-priority>",
        "    <cosem-attribute-descriptor>",
        "      <class-id>7</class-id>",
        "      <instance-id>0100630100FF</instance-id>",
        "      <attribute-id>2</attribute-id>",
        "    </cosem-attribute-descriptor>",
        "    <access-selection>",
        "      <access-selector>1</access-selector>",
        "      <access-parameters>",
        "        <structure>",
    ]
    assert "<octet-string>07E801010100000000000000</octet-string>" in xml
    assert cosem.apdu_from_xml(xml) == request


def test_hex_is_read_in_any_case_and_written_in_upper_case():
    apdu = cosem.apdu_from_xml(_get(instance="0000010000ff"))
    assert apdu.choice.cosem_attribute_descriptor.instance_id == bytes.fromhex("0000010000FF")
    assert "<instance-id>0000010000FF</instance-id>" in cosem.apdu_to_xml(apdu)


def test_reads_a_subtree_of_a_bigger_document_without_changing_it():
    envelope = (
        '<Envelope xmlns="urn:soap" xmlns:cos="http://www.dlms.com/COSEMpdu"><Body>'
        "<cos:get-request><cos:get-request-normal>"
        "<cos:invoke-id-and-priority>193</cos:invoke-id-and-priority>"
        "<!-- the clock -->"
        "<cos:cosem-attribute-descriptor><cos:class-id>8</cos:class-id>"
        "<cos:instance-id>0000010000FF</cos:instance-id><cos:attribute-id>2</cos:attribute-id>"
        "</cos:cosem-attribute-descriptor></cos:get-request-normal></cos:get-request>"
        "</Body></Envelope>"
    )
    root = etree.fromstring(envelope)
    before = etree.tostring(root)
    subtree = root[0][0]
    apdu = cosem.apdu_from_element(subtree)
    assert cosem.encode_apdu(apdu) == bytes.fromhex("C001C100080000010000FF0200")
    assert etree.tostring(root) == before


def test_element_output_uses_the_cos_prefix_and_can_be_embedded():
    element = cosem.apdu_to_element(cosem.get_request(8, "0.0.1.0.0.255", 2))
    assert element.tag == f"{{{NS}}}get-request"
    assert element.prefix == "cos"
    parent = etree.Element("XDLMSResult")
    parent.append(element)
    assert cosem.apdu_from_element(parent[0]) == cosem.get_request(8, "0.0.1.0.0.255", 2)


def test_bare_data_element():
    xml = f'<data xmlns="{NS}"><structure><enum>3</enum><boolean>true</boolean></structure></data>'
    value = cosem.apdu_from_xml(xml)
    assert value == m.Data(choice=m.Structure(choice=[m.EnumValue(value=3), m.Boolean(value=True)]))
    assert cosem.encode_data(value) == bytes.fromhex("0202160303 01".replace(" ", ""))
    assert cosem.apdu_to_xml(value) == xml


def test_data_notification_without_time_leaves_date_time_out_and_accepts_it_empty():
    apdu = cosem.decode_apdu(bytes.fromhex("0F0000000100120005"))
    xml = cosem.apdu_to_xml(apdu)
    assert "date-time" not in xml
    empty = xml.replace("<notification-body>", "<date-time/><notification-body>")
    assert cosem.encode_apdu(cosem.apdu_from_xml(empty)) == bytes.fromhex("0F0000000100120005")


# -- Refusals --------------------------------------------------------------------------------


def _refusal(text: str) -> cosem.CosemXmlError:
    with pytest.raises(cosem.CosemXmlError) as caught:
        cosem.apdu_from_xml(text)
    return caught.value


@pytest.mark.parametrize(
    ("xml", "path", "reason"),
    [
        (
            _get(class_id="70000"),
            "/get-request/get-request-normal/cosem-attribute-descriptor/class-id",
            "'70000' is not a valid value of the atomic type 'xs:unsignedShort'",
        ),
        (
            _get(class_id="-1"),
            "/get-request/get-request-normal/cosem-attribute-descriptor/class-id",
            "xs:unsignedShort",
        ),
        (
            _get(instance="0000010000"),
            "/get-request/get-request-normal/cosem-attribute-descriptor/instance-id",
            "length of '5'",
        ),
        (
            _get(instance="00000100ZZFF"),
            "/get-request/get-request-normal/cosem-attribute-descriptor/instance-id",
            "'00000100ZZFF' is not a valid value",
        ),
        (
            _doc(
                "<get-request-normal><invoke-id-and-priority>256</invoke-id-and-priority>"
                "</get-request-normal>"
            ),
            "/get-request/get-request-normal/invoke-id-and-priority",
            "256",
        ),
        (
            _doc(
                "<get-request-normal><invoke-id-and-priority>1</invoke-id-and-priority>"
                "</get-request-normal>"
            ),
            "/get-request/get-request-normal",
            "Missing child element",
        ),
        (
            _get().replace("<attribute-id>2</attribute-id>", "<attribute-id>2</attribute-id><x/>"),
            "/get-request/get-request-normal/cosem-attribute-descriptor/x",
            "not expected",
        ),
        (
            f'<data xmlns="{NS}"><structure><long-unsigned>1</long-unsigned>'
            "<long-unsigned>65536</long-unsigned></structure></data>",
            "/data/structure/long-unsigned[2]",
            "65536",
        ),
        (
            f'<data xmlns="{NS}"><array><float32>1</float32><float32>1e39</float32></array></data>',
            "/data/array/float32[2]",
            "out of range for float32",
        ),
        (
            f'<data xmlns="{NS}"><visible-string>caf\u00e9</visible-string></data>',
            "/data/visible-string",
            "printable ASCII",
        ),
        (
            f'<data xmlns="{NS}"><visible-string hex="true">4G</visible-string></data>',
            "/data/visible-string",
            "hex text",
        ),
        (
            f'<data xmlns="{NS}"><float32 bits="7FC00001">1.5</float32></data>',
            "/data/float32",
            "only for NaN",
        ),
        (
            f'<data xmlns="{NS}"><date-time>07E4</date-time></data>',
            "/data/date-time",
            "length",
        ),
        (
            f'<data xmlns="{NS}"><bit-string>0120</bit-string></data>',
            "/data/bit-string",
            "pattern",
        ),
        (
            f'<exception-response xmlns="{NS}"><state-error>service-unknown</state-error>'
            "<service-error>invocation-counter-error</service-error></exception-response>",
            "/exception-response/invocation-counter",
            "required",
        ),
        (
            f'<data-notification xmlns="{NS}"><long-invoke-id-and-priority>1'
            "</long-invoke-id-and-priority><date-time>07E4010101</date-time>"
            "<notification-body><data-value><null-data/></data-value></notification-body>"
            "</data-notification>",
            "/data-notification/date-time",
            "12 octets",
        ),
        (
            f'<aarq xmlns="{NS}"><application-context-name>2.16.{"9" * 30}'
            "</application-context-name></aarq>",
            "/aarq/application-context-name",
            "pattern",
        ),
        (
            f'<aarq xmlns="{NS}"><application-context-name>2.9999999999999999999'
            "</application-context-name></aarq>",
            "/aarq/application-context-name",
            "arcs below 2**63",
        ),
        (
            f'<set-response xmlns="{NS}"><set-response-normal>'
            "<invoke-id-and-priority>1</invoke-id-and-priority><result>no-such-result</result>"
            "</set-response-normal></set-response>",
            "/set-response/set-response-normal/result",
            "no-such-result",
        ),
    ],
)
def test_bad_values_are_refused_with_the_element_path(xml, path, reason):
    error = _refusal(xml)
    assert error.path == path
    assert reason in error.reason


def test_nesting_deeper_than_the_limit_is_refused():
    depth = cosem.MAX_DEPTH + 1
    xml = f'<data xmlns="{NS}">' + "<array>" * depth + "</array>" * depth + "</data>"
    error = _refusal(xml)
    assert error.path.startswith("/data/array/array")
    assert "deeper" in error.reason
    ok = f'<data xmlns="{NS}">' + "<array>" * cosem.MAX_DEPTH + "</array>" * cosem.MAX_DEPTH
    assert cosem.apdu_from_xml(ok + "</data>")


@pytest.mark.parametrize(
    "xml",
    [
        '<?xml version="1.0"?><!DOCTYPE data [<!ENTITY x "y">]>'
        f'<data xmlns="{NS}"><visible-string>&x;</visible-string></data>',
        f'<!DOCTYPE data SYSTEM "http://example.invalid/evil.dtd"><data xmlns="{NS}"/>',
        '<?xml version="1.0" encoding="UTF-16"?>'.encode("utf-16")
        + f'<!DOCTYPE data [<!ENTITY x "y">]><data xmlns="{NS}"><null-data/></data>'.encode(
            "utf-16-le"
        ),
    ],
)
def test_dtd_and_entities_are_refused(xml):
    error = _refusal(xml)
    assert "DOCTYPE" in error.reason or "malformed" in error.reason


def test_billion_laughs_is_refused_instantly():
    laughs = (
        '<!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{"&lol" + str(i - 1) + ";" if i > 1 else "&lol;"}' * 10 + '">'
            for i in range(1, 10)
        )
        + f']><data xmlns="{NS}"><visible-string>&lol9;</visible-string></data>'
    )
    assert "DOCTYPE" in _refusal(laughs).reason


@pytest.mark.parametrize(
    ("xml", "reason"),
    [
        ("<data", "malformed XML"),
        (f'<data xmlns="{NS}"><null-data></data>', "malformed XML"),
        ("", "malformed XML"),
        (b"\xff\xfe\x00", "malformed XML"),
    ],
)
def test_malformed_xml_is_refused(xml, reason):
    assert reason in _refusal(xml).reason


def test_unknown_root_and_wrong_namespace():
    assert _refusal(f'<read-request xmlns="{NS}"/>').path == "/read-request"
    error = _refusal('<get-request xmlns="urn:other"/>')
    assert (error.path, "namespace" in error.reason) == ("/get-request", True)


def test_comment_inside_a_value_is_refused_when_reading_an_element():
    root = etree.fromstring(
        f'<data xmlns="{NS}"><long-unsigned>1<!-- x -->2</long-unsigned></data>'
    )
    with pytest.raises(cosem.CosemXmlError) as caught:
        cosem.apdu_from_element(root)
    assert caught.value.path == "/data/long-unsigned"


def test_objects_out_of_range_are_not_serialized():
    request = cosem.get_request(70000, "0.0.1.0.0.255", 2)
    with pytest.raises(cosem.CosemEncodeError) as caught:
        cosem.apdu_to_xml(request)
    assert (
        caught.value.path == "/get-request/get-request-normal/cosem-attribute-descriptor/class-id"
    )
    with pytest.raises(cosem.CosemEncodeError):
        cosem.encode_apdu(request)


def test_schema_is_the_one_in_schemas():
    assert cosem_xml.schema_path().name == "cosem.xsd"
    assert cosem_xml.schema_path().exists()
