"""The markup writer writes the bytes ``etree.tostring`` gives for the tree writer's element
(every character, every APDU kind as a stored result, every golden message), falls back to
the tree for what it does not cover, and what it writes reads back to the same object."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from xsdata.formats.dataclass.models.generics import AnyElement
from xsdata.formats.dataclass.serializers import XmlSerializer
from xsdata.models.datatype import XmlDateTime

from cas import cosem, xmlbind
from cas.access.outcomes import error_result, xdlms_result
from cas.access.stored import result_bytes, result_from_bytes
from cas.messages import ErrorCode
from cas.messages.namespaces import DEV, PREFIXES
from cas.xmlbind.binding import MARKUP, WRITER
from cas.xmlbind.values import Encoders
from generated import cosem as m
from generated import device_access as dev
from generated import message
from tests.cosem.strategies import ALL_APDUS, data_values
from tests.messages.samples import GOLDEN

from .equivalence import same_objects
from .test_messages_corpus import _payload
from .test_values import VARS

NS = cosem.COSEM_NS
NSMAPS = [PREFIXES, {None: NS}, {"cos": NS}]
RESULT_TAG = f"{{{DEV}}}CosemAccessResult"
ENCODINGS = ["ASCII", "UTF-8"]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def tree_bytes(obj, nsmap, encoding="UTF-8", tag=None) -> bytes:
    """The reference: the tree writer's element, serialized by lxml."""
    element = WRITER.element(obj, nsmap=nsmap)
    if tag is not None:
        element.tag = tag
    return etree.tostring(element, encoding=encoding)


def assert_markup_alike(obj, nsmap, tag=None) -> None:
    """Written as text (no fallback), as bytes and as a parsed tree, exactly as the tree."""
    MARKUP.text(obj, nsmap, tag)  # raises Unsupported if the markup writer falls back
    for encoding in ENCODINGS:
        expected = tree_bytes(obj, nsmap, encoding, tag)
        assert xmlbind.to_bytes(obj, nsmap, tag=tag, encoding=encoding) == expected
    if tag is None:
        parsed = etree.tostring(xmlbind.to_element(obj, nsmap), encoding="UTF-8")
        assert parsed == tree_bytes(obj, nsmap)


def _result(device: str, reason: str, code: ErrorCode) -> dev.CosemAccessResultType:
    return error_result(device, code, reason, datetime(2024, 3, 15, 16, 45, 30, 123456, UTC))


# -- Characters -------------------------------------------------------------------------------

CODE_POINTS = [
    *range(0x2100),
    *(0xD7FF, 0xD800, 0xDBFF, 0xDC00, 0xDFFF, 0xE000, 0xFDD0, 0xFEFF),
    *(0xFFFD, 0xFFFE, 0xFFFF, 0x10000, 0x1F600, 0x10FFFF),
]


def _outcome(write, obj, encoding):
    try:
        return write(obj, PREFIXES, encoding=encoding)
    except Exception as error:  # a character lxml refuses: the same error either way
        return type(error)


def test_every_character_is_escaped_or_refused_as_lxml_does():
    for code_point in CODE_POINTS:
        char = chr(code_point)
        result = _result(f"m{char}", f"a{char}{char}b", ErrorCode.DEVICE_UNREACHABLE)
        for encoding in ENCODINGS:
            expected = _outcome(tree_bytes, result, encoding)
            assert _outcome(xmlbind.to_bytes, result, encoding) == expected, hex(code_point)


@SETTINGS
@given(st.text(), st.text(alphabet="<>&\"' \t\n\r]\x00\x85\u2028\ud800\ufffe\U0001f600"))
def test_texts_are_written_as_lxml_writes_them(device, reason):
    result = _result(device, reason, ErrorCode.TRANSACTION_FAILED)
    for encoding in ENCODINGS:
        expected = _outcome(tree_bytes, result, encoding)
        assert _outcome(xmlbind.to_bytes, result, encoding) == expected


# -- Stored results ---------------------------------------------------------------------------

RESPONSES = ["get-response", "set-response", "action-response", "data-notification"]
RESPONSES += ["exception-response", "confirmed-service-error"]
xml_text = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\ufffe\uffff"))
xml_text = xml_text.filter(lambda text: all(c >= " " or c in "\t\n\r" for c in text))
moments = st.datetimes(datetime(1, 1, 2), datetime(9999, 12, 30), timezones=st.just(UTC))


@pytest.mark.parametrize("name", RESPONSES)
def test_stored_results_are_the_tree_bytes_and_read_back(name):
    @SETTINGS
    @given(ALL_APDUS[name], xml_text.filter(bool), moments)
    def check(apdu, device, moment):
        result = xdlms_result(device, cosem.decode_apdu(cosem.encode_apdu(apdu)), moment)
        assert_markup_alike(result, PREFIXES, RESULT_TAG)
        written = result_bytes(result)
        assert written == tree_bytes(result, PREFIXES, "ASCII", RESULT_TAG)
        assert same_objects(result_from_bytes(written), result)

    check()


@SETTINGS
@given(ALL_APDUS["aare"], xml_text.filter(bool))
def test_acse_results_are_the_tree_bytes_and_read_back(aare, device):
    aare = cosem.decode_apdu(cosem.encode_apdu(aare))
    result = dev.CosemAccessResultType(
        device_id=device, choice=dev.AcseresultType(aare_or_rlre=aare)
    )
    assert_markup_alike(result, PREFIXES, RESULT_TAG)
    assert same_objects(result_from_bytes(result_bytes(result)), result)


@SETTINGS
@given(xml_text.filter(bool), xml_text, st.sampled_from(list(ErrorCode)), moments)
def test_error_results_are_the_tree_bytes_and_read_back(device, reason, code, moment):
    result = error_result(device, code, reason, moment)
    assert_markup_alike(result, PREFIXES, RESULT_TAG)
    assert same_objects(result_from_bytes(result_bytes(result)), result)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data_values, st.sampled_from(NSMAPS))
def test_data_values_are_the_tree_bytes(kind, nsmap):
    assert_markup_alike(m.Data(choice=kind), nsmap)


# -- Messages ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*.xml")), ids=lambda path: path.stem)
def test_golden_messages_are_the_tree_bytes(path):
    element, clazz = _payload(path)
    bound = xmlbind.bind(element, clazz)
    assert_markup_alike(bound, PREFIXES)


# -- What goes to the tree --------------------------------------------------------------------


def test_what_the_markup_writer_leaves_to_the_tree_comes_out_the_same():
    header = message.HeaderType(
        verb=message.VerbType.GET,
        noun="X",
        other_element=[AnyElement(qname="{urn:x}y", text="1")],
    )
    data = m.Data(choice=m.LongUnsigned(value=5))
    initiate = m.InitiateRequest(
        proposed_dlms_version_number=6, proposed_conformance=[""], client_max_receive_pdu_size=1
    )
    cases = [
        (header, PREFIXES),  # a generic element
        (data, {}),  # no prefix for the namespace: lxml makes one up
        (data, {"a": NS, "b": NS}),  # two prefixes for one namespace
        (initiate, {None: NS}),  # an empty token list
    ]
    for obj, nsmap in cases:
        with pytest.raises(xmlbind.Unsupported):
            MARKUP.text(obj, nsmap)
        for encoding in ENCODINGS:
            assert xmlbind.to_bytes(obj, nsmap, encoding=encoding) == tree_bytes(
                obj, nsmap, encoding
            )
        assert etree.tostring(xmlbind.to_element(obj, nsmap)) == tree_bytes(obj, nsmap, "ASCII")


def test_other_encodings_are_lxmls():
    data = m.Data(choice=m.VisibleString(value="Grüße"))
    assert xmlbind.to_bytes(data, {None: NS}, encoding="ISO-8859-1") == etree.tostring(
        WRITER.element(data, {None: NS}), encoding="ISO-8859-1"
    )


# -- Date-times -------------------------------------------------------------------------------

date_times = st.builds(
    XmlDateTime,
    st.integers(-9999, 9999).filter(bool),
    st.integers(1, 12),
    st.integers(1, 28),
    st.integers(0, 23),
    st.integers(0, 59),
    st.integers(0, 59),
    st.sampled_from([0, 5, 120_000_000, 123_400_000, 123_456_000, 123_456_789, 999_999_999])
    | st.integers(0, 999_999_999),
    st.none() | st.integers(-14 * 60, 14 * 60),
)


@settings(max_examples=500, deadline=None)
@given(date_times)
def test_date_times_are_written_as_xsdata_writes_them(value):
    encoders = Encoders(VARS["date-time"])
    assert encoders.text(value) == str(value)
    assert encoders.text(value) == XmlSerializer.encode_primitive(value, VARS["date-time"])
    assert encoders.plain(XmlDateTime)


def test_date_times_with_other_fields_fail_as_xsdata_fails():
    encoders = Encoders(VARS["date-time"])
    with pytest.raises(ValueError, match="format code"):
        str(XmlDateTime(2024, 3, 15, 16, 45, 30.5))
    with pytest.raises(ValueError, match="format code"):
        encoders.text(XmlDateTime(2024, 3, 15, 16, 45, 30.5))
