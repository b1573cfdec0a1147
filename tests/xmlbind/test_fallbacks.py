"""What the fast paths leave to xsdata, and what they must do on their own: read elements
without changing them, refuse what they cannot bind, make plans safely from many threads."""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
from lxml import etree
from xsdata.formats.dataclass.context import XmlContext

from cas import cosem, xmlbind
from cas.xmlbind.binding import READER, WRITER
from cas.xmlbind.reader import XmlReader
from cas.xmlbind.writer import XmlWriter
from generated import cosem as m

from .equivalence import assert_reads_alike, same_objects

NS = cosem.COSEM_NS
XSI = "http://www.w3.org/2001/XMLSchema-instance"


def _data(body: str) -> etree._Element:
    return etree.fromstring(f'<data xmlns="{NS}" xmlns:xsi="{XSI}">{body}</data>')


@pytest.mark.parametrize(
    "body",
    [
        "<array><!-- a comment --><unsigned>1</unsigned><?pi?><unsigned>2</unsigned></array>",
        '<array><unsigned other="x">1</unsigned></array>',  # unknown attribute: ignored
        "<structure><null-data><!-- c --></null-data><long>-1</long></structure>",
        '<array><visible-string hex="true">00FF</visible-string><float32 bits="7FC00001">'
        "NaN</float32></array>",
        "<array>  \n  <boolean>true</boolean>\n  </array>",
    ],
)
def test_uncommon_but_valid_forms_take_the_general_path_to_the_same_object(body):
    assert_reads_alike(_data(body), m.Data)


@pytest.mark.parametrize(
    "body",
    [
        '<array><unsigned xsi:type="x">1</unsigned></array>',
        '<array xsi:nil="false"><unsigned>1</unsigned></array>',
        "<array><unsigned>1</unsigned><no-such-kind>1</no-such-kind></array>",
        "<structure><null-data><unexpected/></null-data></structure>",
        "<array><boolean>maybe</boolean></array>",
        "<array><octet-string>ABC</octet-string></array>",
    ],
)
def test_what_the_reader_cannot_bind_goes_to_xsdata(body):
    element = _data(body)
    before = etree.tostring(element)
    with pytest.raises(xmlbind.Unsupported):
        READER.bind(element, m.Data)
    try:
        expected = ("bound", xmlbind.xsdata_bind(copy.deepcopy(element), m.Data))
    except Exception as error:  # what xsdata refuses, bind refuses as a BindingError
        expected = ("refused", type(error).__name__)
    try:
        outcome = ("bound", xmlbind.bind(element, m.Data))
    except xmlbind.BindingError as error:
        outcome = ("refused", type(error.__cause__).__name__)
    assert repr(outcome) == repr(expected)
    assert etree.tostring(element) == before


# -- A class without a plan, inside one that has a plan ------------------------------------


@dataclass
class Loose:
    """Any attribute at all: the plans do not cover attribute wildcards."""

    class Meta:
        name = "loose"
        namespace = "urn:test"

    attributes: dict[str, str] = field(default_factory=dict, metadata={"type": "Attributes"})


@dataclass
class Holder:
    class Meta:
        name = "holder"
        namespace = "urn:test"

    number: int | None = field(default=None, metadata={"type": "Element"})
    loose: Loose | None = field(default=None, metadata={"type": "Element"})


def test_a_class_without_a_plan_is_left_to_xsdata_only_where_it_occurs():
    with pytest.raises(xmlbind.Unsupported):
        READER.plan(Loose)
    READER.plan(Holder)  # the holder still has its plan
    plain = etree.fromstring('<holder xmlns="urn:test"><number>3</number></holder>')
    assert READER.bind(plain, Holder) == Holder(number=3)
    loose = etree.fromstring('<holder xmlns="urn:test"><number>3</number><loose a="1"/></holder>')
    with pytest.raises(xmlbind.Unsupported):
        READER.bind(loose, Holder)
    bound = xmlbind.bind(loose, Holder)
    assert bound == Holder(number=3, loose=Loose(attributes={"a": "1"}))

    with pytest.raises(xmlbind.Unsupported):
        WRITER.element(bound)
    nsmap = {None: "urn:test"}
    assert etree.tostring(xmlbind.to_element(bound, nsmap)) == etree.tostring(
        xmlbind.xsdata_element(bound, nsmap)
    )
    assert etree.tostring(WRITER.element(Holder(number=3), nsmap)) == etree.tostring(
        xmlbind.xsdata_element(Holder(number=3), nsmap)
    )


def test_a_subclass_needs_xsi_type_and_goes_to_xsdata():
    @dataclass(slots=True, kw_only=True)
    class Special(m.LongUnsigned):
        pass

    data = m.Data(choice=m.Array(choice=[Special(value=1)]))
    with pytest.raises(xmlbind.Unsupported):
        WRITER.element(data, {None: NS})
    assert etree.tostring(xmlbind.to_element(data, {None: NS})) == etree.tostring(
        xmlbind.xsdata_element(data, {None: NS})
    )


# -- Threads ---------------------------------------------------------------------------------


def test_plans_made_by_many_threads_at_once_agree():
    rows = [
        m.Structure(choice=[m.OctetString(value=bytes([i % 256]) * 12), m.Long64(value=-i)])
        for i in range(200)
    ]
    data = m.Data(choice=m.Array(choice=rows))
    text = xmlbind.xsdata_text(data, {None: NS})
    context = XmlContext()  # fresh plans: every thread races to make them
    reader, writer = XmlReader(context), XmlWriter(context)

    def work(_: int) -> tuple[object, bytes]:
        return reader.bind(etree.fromstring(text), m.Data), etree.tostring(
            writer.element(data, {None: NS}), encoding="unicode"
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(16)))
    for bound, written in results:
        assert same_objects(bound, data)
        assert written == text
