"""On every golden CAS message (SOAP payloads carrying COSEM XML) the fast reader and writer
give exactly what xsdata's parser and serializers give; what they do not cover goes to
xsdata with the same result."""

from __future__ import annotations

import pytest
from lxml import etree
from xsdata.formats.dataclass.models.generics import AnyElement

from cas import xmlbind
from cas.messages.namespaces import PREFIXES
from cas.messages.normalize import normalize_message
from cas.messages.soap import open_envelope
from cas.messages.xml_parsing import parse_xml
from generated import message
from generated.message import HeaderType, RequestMessage, ResponseMessage
from tests.messages.samples import GOLDEN, header_xml, soap_request

from .equivalence import assert_reads_alike, assert_round_trips_alike, assert_writes_alike

GOLDEN_MESSAGES = [pytest.param(path, id=path.stem) for path in sorted(GOLDEN.glob("*.xml"))]


def _payload(path) -> tuple[etree._Element, type]:
    _, element = open_envelope(parse_xml(path.read_bytes()))
    normalize_message(element)
    clazz = ResponseMessage if element.tag.endswith("ResponseMessage") else RequestMessage
    return element, clazz


@pytest.mark.parametrize("path", GOLDEN_MESSAGES)
def test_golden_messages_read_and_write_alike(path):
    element, clazz = _payload(path)
    bound = assert_reads_alike(element, clazz)
    assert_writes_alike(bound, PREFIXES)
    assert_round_trips_alike(bound, PREFIXES)


def test_the_corpus_is_there():
    assert len(GOLDEN_MESSAGES) >= 10


def test_xsi_type_falls_back_to_xsdata():
    xsi = "http://www.w3.org/2001/XMLSchema-instance"
    element = etree.fromstring(
        f'<mes:Header xmlns:mes="{message.__NAMESPACE__}" xmlns:xsi="{xsi}" '
        f'xsi:type="mes:HeaderType"><mes:Verb>get</mes:Verb><mes:Noun>X</mes:Noun></mes:Header>'
    )
    with pytest.raises(xmlbind.Unsupported):
        xmlbind.binding.READER.bind(element, HeaderType)
    bound = xmlbind.bind(element, HeaderType)  # xsdata wraps an xsi:type root
    assert bound.value.noun == "X"


def test_header_extension_elements_fall_back_to_xsdata_and_keep_the_document():
    from cas.messages import parse_request

    extension = '<x:Trace xmlns:x="urn:example:trace"><x:Id>42</x:Id></x:Trace>'
    request = parse_request(soap_request(header=header_xml(extra=extension)))
    (element,) = request.message.header.other_element
    assert element.qname == "{urn:example:trace}Trace"
    assert element.children[0].text == "42"

    header = etree.fromstring(
        f'<mes:Header xmlns:mes="{message.__NAMESPACE__}"><mes:Verb>get</mes:Verb>'
        f"<mes:Noun>X</mes:Noun>{extension}</mes:Header>"
    )
    before = etree.tostring(header)
    assert xmlbind.bind(header, HeaderType).other_element[0].qname.endswith("Trace")
    assert etree.tostring(header) == before  # the fallback does not clear what it read


def test_writer_writes_generic_elements_in_wildcards():
    header = HeaderType(
        verb=message.VerbType.GET,
        noun="X",
        other_element=[AnyElement(qname="{urn:x}y", text="1")],
    )

    def nodes(element):  # xsdata numbers the new prefix differently: compare the rest
        return [(e.tag, e.text, dict(e.attrib)) for e in element.iter()]

    element = xmlbind.to_element(header, PREFIXES)
    assert nodes(element) == nodes(xmlbind.xsdata_element(header, PREFIXES))
    assert b'xmlns:ns0="urn:x">1</ns0:y>' in etree.tostring(element)


def test_an_element_no_binder_accepts_is_a_binding_error():
    element = etree.fromstring(
        f'<mes:Header xmlns:mes="{message.__NAMESPACE__}"><mes:Verb>nonsense</mes:Verb>'
        "<mes:Noun>X</mes:Noun></mes:Header>"
    )
    with pytest.raises(xmlbind.BindingError):
        xmlbind.bind(element, HeaderType)
