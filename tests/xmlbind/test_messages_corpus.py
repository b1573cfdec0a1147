"""The fast reader and writer give exactly what xsdata's parser and serializer give."""

from __future__ import annotations

import copy
import dataclasses
import inspect

import pytest
from lxml import etree

from cas.messages.binding import _reader, _writer, bind, to_xml, xsdata_bind, xsdata_xml
from cas.messages.normalize import normalize_message
from cas.messages.soap import open_envelope
from cas.messages.xml_parsing import parse_xml
from generated import cosem, device_access, message
from generated.message import HeaderType, RequestMessage, ResponseMessage

from .samples import GOLDEN, header_xml, soap_request

GENERATED_CLASSES = [
    clazz
    for module in (message, device_access, cosem)
    for clazz in vars(module).values()
    if inspect.isclass(clazz)
    and dataclasses.is_dataclass(clazz)
    and clazz.__module__ == module.__name__
]


@pytest.mark.parametrize("clazz", GENERATED_CLASSES, ids=lambda clazz: clazz.__qualname__)
def test_every_generated_class_has_a_reader_and_a_writer_plan(clazz):
    _reader.plan(clazz)
    _writer.plan(clazz)


GOLDEN_MESSAGES = [pytest.param(path, id=path.stem) for path in sorted(GOLDEN.glob("*.xml"))]


@pytest.mark.parametrize("path", GOLDEN_MESSAGES)
def test_reader_and_writer_agree_with_xsdata_on_golden_messages(path):
    _, element = open_envelope(parse_xml(path.read_bytes()))
    normalize_message(element)
    clazz = ResponseMessage if element.tag.endswith("ResponseMessage") else RequestMessage
    fast = _reader.bind(element, clazz)
    reference = xsdata_bind(copy.deepcopy(element), clazz)
    # compared through xsdata's serializer (NaN != NaN defeats ==)
    assert xsdata_xml(fast) == xsdata_xml(reference)
    assert to_xml(fast) == xsdata_xml(fast)


def test_xsi_type_falls_back_to_xsdata():
    xsi = "http://www.w3.org/2001/XMLSchema-instance"
    element = etree.fromstring(
        f'<mes:Header xmlns:mes="{message.__NAMESPACE__}" xmlns:xsi="{xsi}" '
        f'xsi:type="mes:HeaderType"><mes:Verb>get</mes:Verb><mes:Noun>X</mes:Noun></mes:Header>'
    )
    bound = bind(element, HeaderType)  # xsdata wraps an xsi:type root in a DerivedElement
    assert bound.value.noun == "X"


def test_header_extension_elements_fall_back_to_xsdata():
    from cas.messages import parse_request

    extension = '<x:Trace xmlns:x="urn:example:trace"><x:Id>42</x:Id></x:Trace>'
    request = parse_request(soap_request(header=header_xml(extra=extension)))
    (element,) = request.message.header.other_element
    assert element.qname == "{urn:example:trace}Trace"


def test_writer_writes_generic_elements_in_wildcards():
    from xsdata.formats.dataclass.models.generics import AnyElement

    header = HeaderType(
        verb=message.VerbType.GET,
        noun="X",
        other_element=[AnyElement(qname="{urn:x}y", text="1")],
    )

    def nodes(xml: bytes):  # prefixes may differ: compare names, text and attributes
        return [(e.tag, e.text, dict(e.attrib)) for e in etree.fromstring(xml).iter()]

    assert nodes(to_xml(header)) == nodes(xsdata_xml(header))
    assert b'xmlns:ns0="urn:x">1</ns0:y>' in to_xml(header)


def test_an_element_no_binder_accepts_is_a_binding_error():
    from cas.messages.binding import BindingError

    element = etree.fromstring(
        f'<mes:Header xmlns:mes="{message.__NAMESPACE__}"><mes:Verb>nonsense</mes:Verb>'
        "<mes:Noun>X</mes:Noun></mes:Header>"
    )
    with pytest.raises(BindingError):
        bind(element, HeaderType)
