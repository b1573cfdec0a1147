"""The per-field converters give what xsdata's converter gives, value for value: the same
result, or a refusal where xsdata refuses."""

from __future__ import annotations

import math
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xsdata.formats.converter import converter
from xsdata.formats.dataclass.serializers import XmlSerializer
from xsdata.models.datatype import XmlDateTime

from cas.xmlbind import CONTEXT, Unsupported
from cas.xmlbind.values import Encoders, decoder
from generated import cosem as m
from generated import message


def _var(clazz: type, name: str):
    meta = CONTEXT.build(clazz)
    for var in (*meta.get_element_vars(), *meta.get_attribute_vars()):
        if var.name == name:
            return var
    raise LookupError(name)


VARS = {
    "int": _var(m.LongUnsigned, "value"),
    "float": _var(m.Float64, "value"),
    "bool": _var(m.Boolean, "value"),
    "bool attribute": _var(m.VisibleString, "hex"),
    "base16": _var(m.OctetString, "value"),
    "str": _var(m.VisibleString, "value"),
    "enum": _var(m.Rlre, "reason"),
    "enum tokens": _var(m.InitiateRequest, "proposed_conformance"),
    "enum or int": _var(m.SetResponseNormal, "result"),
    "date-time": _var(message.HeaderType, "timestamp"),
}

_pieces = st.sampled_from(
    [
        "0", "1", "-1", "+7", "007", "1_000", "٣", "1.5", "-0.0", "1e3", "1E-2", ".5", "INF",
        "-INF", "inf", "NaN", "nan", "infinity", "true", "false", "True", "0x1F", "0A", "ff",
        "0a1B", "F", "normal", "not-finished", "get", "set", "success", "2024-05-01T12:00:00Z",
        " ", "\t", "\n", "\u00a0", "\u2003", "", "é", "\x00",
    ]
)  # fmt: skip
texts = st.one_of(
    st.lists(_pieces, max_size=4).map("".join),
    st.text(alphabet=string.hexdigits + string.whitespace, max_size=12),
    st.text(max_size=8),
)


def _xsdata_decode(text: str, var):
    try:
        if var.tokens:
            return ("ok", [converter.deserialize(item, var.types) for item in text.split()])
        return ("ok", converter.deserialize(text, var.types, format=var.format))
    except Exception:
        return ("refused", None)


def _fast_decode(text: str, var):
    decode = decoder(var)
    try:
        if var.tokens:
            return ("ok", [decode(item) for item in text.split()])
        return ("ok", decode(text))
    except Unsupported:
        return ("refused", None)


@pytest.mark.parametrize("kind", list(VARS))
def test_decoders_agree_with_xsdata(kind):
    var = VARS[kind]

    @settings(max_examples=300, deadline=None)
    @given(texts)
    def check(text):
        assert repr(_fast_decode(text, var)) == repr(_xsdata_decode(text, var))

    check()


def test_the_texts_reach_both_outcomes():
    assert _fast_decode(" 7 ", VARS["int"]) == ("ok", 7)
    assert _fast_decode("7.5", VARS["int"])[0] == "refused"
    assert _fast_decode(" 0a 1B\n", VARS["base16"]) == ("ok", b"\x0a\x1b")
    assert _fast_decode("0a1", VARS["base16"])[0] == "refused"
    assert _fast_decode(" 1 ", VARS["bool"]) == ("ok", True)
    assert _fast_decode("get set", VARS["enum tokens"])[1] == [
        m.ConformanceBit.GET,
        m.ConformanceBit.SET,
    ]


def test_enumeration_texts_are_remembered_only_up_to_a_limit():
    decode = decoder(VARS["enum"])
    for spaces in range(1000):  # the input decides the texts: memory must stay bounded
        assert decode(" " * spaces + "normal") is m.ReleaseResponseReason.NORMAL
    assert len(decode.memo) == 256


values = st.one_of(
    st.integers(),
    st.booleans(),
    st.floats(),
    st.floats(width=32),
    st.binary(max_size=12),
    st.text(max_size=8),
    st.sampled_from(list(m.DataAccessResult)),
    st.sampled_from(list(m.ConformanceBit)),
)


@pytest.mark.parametrize("kind", list(VARS))
def test_encoders_agree_with_xsdata(kind):
    var = VARS[kind]
    encoders = Encoders(var)

    @settings(max_examples=200, deadline=None)
    @given(values)
    def check(value):
        if isinstance(value, bytes) and var.format is None:
            return  # xsdata refuses bytes without a format; so do the writers
        assert encoders.text(value) == XmlSerializer.encode_primitive(value, var)

    check()


def test_floats_keep_xsdata_spelling():
    encoders = Encoders(VARS["float"])
    assert [encoders.text(v) for v in (math.nan, math.inf, -math.inf, 1e22, -0.0, 0.1)] == [
        "NaN",
        "INF",
        "-INF",
        "1E22",
        "-0.0",
        "0.1",
    ]


_date_times = st.builds(
    "{}-{}-{}T{}:{}:{}{}{}".format,
    st.sampled_from(["2026", "0000", "0001", "9999", "1970", "2024", "20260", "-2026"]),
    st.sampled_from(["01", "02", "12", "13", "00", "1"]),
    st.sampled_from(["01", "28", "29", "30", "31", "32", "00"]),
    st.sampled_from(["00", "23", "24", "25", "7"]),
    st.sampled_from(["00", "59", "60"]),
    st.sampled_from(["00", "59", "60", "61"]),
    st.sampled_from(["", ".5", ".123", ".123456", ".1234567", ".", ".x"]),
    st.sampled_from(
        [
            "",
            "Z",
            "+00:00",
            "-00:00",
            "+01:30",
            "-05:00",
            "+14:00",
            "+14:59",
            "-14:59",
            "+15:00",
            "+09:60",
            "+1:00",
            "z",
            " ",
        ]
    ),
)


@settings(max_examples=2000, deadline=None)
@given(_date_times)
def test_date_times_decode_as_xsdata_decodes_them(text):
    var = VARS["date-time"]
    assert repr(_fast_decode(text, var)) == repr(_xsdata_decode(text, var))


def test_plain_date_times_take_the_fast_form():
    decode = decoder(VARS["date-time"])
    value = decode("2026-11-22T06:38:38.25+01:30")
    assert repr(value) == "XmlDateTime(2026, 11, 22, 6, 38, 38, 250000000, 90)"
    assert decode("2024-02-29T23:59:59") == XmlDateTime(2024, 2, 29, 23, 59, 59, 0, None)
