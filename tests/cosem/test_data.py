"""Data values (A-XDR): every kind survives bytes -> object -> XML -> object -> bytes, and
the value forms chosen for XML hold (shortest float text, NaN bits, hex strings, ...)."""

from __future__ import annotations

import math
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cas import cosem
from cas.cosem import data
from generated import cosem as m

from .roundtrip import data_round_trip
from .strategies import data_bytes, data_values


@settings(max_examples=300, deadline=None)
@given(data_values)
def test_every_data_value_survives_bytes_xml_bytes(value):
    encoded = cosem.encode_data(value)
    assert data_round_trip(encoded) == encoded


@settings(max_examples=300, deadline=None)
@given(data_bytes)
def test_random_valid_encodings_survive_unchanged(encoded):
    assert cosem.encode_data(cosem.decode_data(encoded)) == encoded
    assert data_round_trip(encoded) == encoded


@pytest.mark.parametrize(
    ("hex_bytes", "expected"),
    [
        ("00", m.NullData()),
        ("FF", m.DontCare()),
        ("0301", m.Boolean(value=True)),
        ("0300", m.Boolean(value=False)),
        ("0405B0", m.BitString(value="10110")),
        ("05FFFFFFFB", m.DoubleLong(value=-5)),
        ("0600000100", m.DoubleLongUnsigned(value=256)),
        ("0906000001 0000FF", m.OctetString(value=bytes.fromhex("0000010000FF"))),
        ("0A03414243", m.VisibleString(value="ABC")),
        ("0C02C3A9", m.Utf8String(value="é")),
        ("0D12", m.Bcd(value=0x12)),
        ("0FFD", m.Integer(value=-3)),
        ("10FED4", m.Long(value=-300)),
        ("11FF", m.Unsigned(value=255)),
        ("12FFFF", m.LongUnsigned(value=65535)),
        ("14FFFFFF0000000000", m.Long64(value=-(2**40))),
        ("158000000000000000", m.Long64Unsigned(value=2**63)),
        ("1603", m.EnumValue(value=3)),
        (
            "19 07E2060F050E1E00FFFFC400",
            m.DateTime(value=bytes.fromhex("07E2060F050E1E00FFFFC400")),
        ),
        ("1A 07E2060F05", m.Date(value=bytes.fromhex("07E2060F05"))),
        ("1B 0E1E0000", m.Time(value=bytes.fromhex("0E1E0000"))),
        ("0102 1200011200 02", m.Array(choice=[m.LongUnsigned(value=1), m.LongUnsigned(value=2)])),
        ("0200", m.Structure(choice=[])),
    ],
)
def test_each_kind_decodes_to_its_class(hex_bytes, expected):
    raw = bytes.fromhex(hex_bytes.replace(" ", ""))
    assert cosem.decode_data(raw) == expected
    assert cosem.encode_data(expected) == raw


def test_long_unsigned_stays_long_unsigned_through_xml():
    raw = bytes.fromhex("120005")
    xml = cosem.apdu_to_xml(m.Data(choice=cosem.decode_data(raw)))
    assert (
        xml == '<data xmlns="http://www.dlms.com/COSEMpdu"><long-unsigned>5</long-unsigned></data>'
    )
    assert cosem.encode_data(cosem.apdu_from_xml(xml)) == raw


def _xml_text(kind) -> str:
    xml = cosem.apdu_to_xml(m.Data(choice=kind))
    return xml.split(">", 2)[2].rsplit("</", 2)[0]


@pytest.mark.parametrize(
    ("octets", "text"),
    [
        ("3DCCCCCD", "0.1"),
        ("3F800000", "1.0"),
        ("80000000", "-0.0"),
        ("7F800000", "INF"),
        ("FF800000", "-INF"),
        ("7FC00000", "NaN"),
        ("00000001", "1E-45"),
        ("7F7FFFFF", "3.4028235E38"),
        ("4B189680", "10000000.0"),
    ],
)
def test_float32_is_written_as_the_shortest_text_that_keeps_its_bits(octets, text):
    raw = bytes.fromhex("17" + octets)
    value = cosem.decode_data(raw)
    assert _xml_text(value) == text
    assert data_round_trip(raw) == raw


@settings(max_examples=500, deadline=None)
@given(st.binary(min_size=4, max_size=4))
def test_float32_text_is_shortest_and_exact(octets):
    value = data.float32_value(octets)
    assert cosem.encode_data(value)[1:] == octets
    (exact,) = struct.unpack(">f", octets)
    if not math.isnan(exact) and not math.isinf(exact):
        text = repr(value.value)
        digits = len(text.lstrip("-").split("e")[0].replace(".", "").lstrip("0").rstrip("0"))
        # one digit fewer would not give the same float32 back
        if digits > 1:
            shorter = float(f"{exact:.{digits - 1}g}")
            assert struct.pack(">f", shorter) != octets


def test_nan_payloads_keep_their_octets_in_the_bits_attribute():
    raw32 = bytes.fromhex("177FC00001")
    xml = cosem.apdu_to_xml(m.Data(choice=cosem.decode_data(raw32)))
    assert xml.endswith('<float32 bits="7FC00001">NaN</float32></data>')
    raw64 = bytes.fromhex("18FFF8000000000000")
    assert 'bits="FFF8000000000000"' in cosem.apdu_to_xml(m.Data(choice=cosem.decode_data(raw64)))
    assert data_round_trip(raw32) == raw32
    assert data_round_trip(raw64) == raw64


def test_strings_xml_cannot_carry_become_hex():
    padded = bytes.fromhex("0A06") + b"CMNET\x00"
    assert _xml_text(cosem.decode_data(padded)) == "434D4E455400"
    assert 'hex="true"' in cosem.apdu_to_xml(m.Data(choice=cosem.decode_data(padded)))
    assert data_round_trip(padded) == padded
    bad_utf8 = bytes.fromhex("0C02C328")
    assert cosem.decode_data(bad_utf8) == m.Utf8String(value="C328", hex=True)
    assert data_round_trip(bad_utf8) == bad_utf8
    with_tab = b"\x0a\x03a\tb"
    assert cosem.decode_data(with_tab) == m.VisibleString(value="a\tb")
    assert data_round_trip(with_tab) == with_tab


def test_whitespace_and_carriage_returns_survive_xml():
    raw = b"\x0a\x06 a\r\nb "
    assert data_round_trip(raw) == raw


def test_compact_array_round_trip():
    # structure {long-unsigned, octet-string}, contents of two rows
    raw = bytes.fromhex("13 02 02 12 09 0A 0001 02 3400 0002 02 3500".replace(" ", ""))
    value = cosem.decode_data(raw)
    assert value.contents_description.choice == m.StructureType(
        choice=[m.LongUnsignedType(), m.OctetStringType()]
    )
    assert value.array_contents == bytes.fromhex("0001023400000202 3500".replace(" ", ""))
    xml = cosem.apdu_to_xml(m.Data(choice=value))
    assert "<contents-description><structure><long-unsigned/><octet-string/></structure>" in xml
    assert data_round_trip(raw) == raw


def test_nested_type_description_array():
    raw = bytes.fromhex("13 01 0003 12 06 000100020003".replace(" ", ""))
    value = cosem.decode_data(raw)
    assert value.contents_description.choice.number_of_elements == 3
    assert data_round_trip(raw) == raw


def test_non_canonical_boolean_octet_reads_as_true():
    assert cosem.decode_data(b"\x03\xff") == m.Boolean(value=True)
    assert cosem.encode_data(m.Boolean(value=True)) == b"\x03\x01"


def test_long_lengths_are_written_minimally():
    value = m.OctetString(value=bytes(200))
    assert cosem.encode_data(value)[:3] == b"\x09\x81\xc8"
    value = m.OctetString(value=bytes(300))
    assert cosem.encode_data(value)[:4] == b"\x09\x82\x01\x2c"
    assert cosem.decode_data(b"\x09\x81\x02ab") == m.OctetString(value=b"ab")


def test_data_value_wrapper_and_data_element_encode_like_the_kind():
    kind = m.LongUnsigned(value=5)
    assert cosem.encode_data(m.DataValue(choice=kind)) == b"\x12\x00\x05"
    assert cosem.encode_data(m.Data(choice=kind)) == b"\x12\x00\x05"
