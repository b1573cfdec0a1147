"""Hostile and broken bytes: every failure is a CosemDecodeError with the offset, decoding
is bounded (nothing is allocated from a length field before it is checked, nesting is
limited), and arbitrary input never raises anything else."""

from __future__ import annotations

import contextlib
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cas import cosem
from generated import cosem as m

from .strategies import ALL_APDUS, data_bytes


def _hex(text: str) -> bytes:
    return bytes.fromhex(" ".join(text.split()))


VALID = [
    _hex("C0 01 C1 00 08 00 00 01 00 00 FF 02 00"),
    _hex("C4 01 C1 00 01 02 02 02 09 02 12 34 06 00 00 00 01 02 02 09 00 06 00 00 00 02"),
    _hex("C4 03 C1 02 00 09 02 12 34 01 04"),
    _hex("C1 01 C1 00 08 00 00 01 00 00 FF 02 00 12 00 05"),
    _hex("0F 00 00 00 01 0C 07 E4 01 01 FF 00 00 00 00 80 00 00 02 02 12 00 05 11 03"),
    _hex("D8 01 06 00 00 01 00"),
    _hex(
        """61 29 A1 09 06 07 60 85 74 05 08 01 01 A2 03 02 01 00 A3 05 A1 03 02 01 00 BE 10 04 0E
        08 00 06 5F 1F 04 00 00 18 1D 00 C8 00 07"""
    ),
]


@pytest.mark.parametrize("raw", VALID, ids=lambda raw: raw[:2].hex())
def test_every_truncation_is_a_decode_error(raw):
    assert cosem.encode_apdu(cosem.decode_apdu(raw)) == raw
    for end in range(len(raw)):
        with pytest.raises(cosem.CosemDecodeError) as caught:
            cosem.decode_apdu(raw[:end])
        assert 0 <= caught.value.offset <= end


@pytest.mark.parametrize("raw", VALID, ids=lambda raw: raw[:2].hex())
def test_trailing_octets_are_refused_at_their_offset(raw):
    with pytest.raises(cosem.CosemDecodeError) as caught:
        cosem.decode_apdu(raw + b"\x00")
    assert caught.value.offset == len(raw)


@pytest.mark.parametrize(
    ("raw", "offset", "reason"),
    [
        (_hex("DB 08 00 00 00 00 00 00 00 01 05 30 00 00 00 01"), 0, "general-glo-ciphering"),
        (_hex("C8 05 30 00 00 00 01"), 0, "glo-get-request"),
        (_hex("42"), 0, "unknown APDU tag 0x42"),
        (b"", 0, "truncated"),
        (_hex("C0 04 C1"), 1, "unknown get-request type 4"),
        (_hex("C4 01 C1 02 00"), 3, "unknown Get-Data-Result choice 2"),
        (_hex("C4 01 C1 00 07"), 4, "unknown Data tag 0x07"),
        (_hex("C4 01 C1 00 01 84 FF FF FF FF 00"), 4, "cannot fit"),
        (_hex("C4 01 C1 00 09 84 FF FF FF FF 00"), 5, "exceeds"),
        (_hex("C4 01 C1 00 09 85 00 00 00 00 00 01"), 5, "length-of-length"),
        (_hex("C4 01 C1 00 04 84 FF FF FF FF"), 4, "exceeds"),
        (_hex("C0 01 C1 00 08 00 00 01 00 00 FF 02 02"), 12, "presence flag"),
        (_hex("0F 00 00 00 01 05 07 E4 01 01 FF 00"), 5, "date-time of 5 octets"),
        (_hex("0E 14 06 01"), 1, "unknown ConfirmedServiceError choice 20"),
        (_hex("0E 01 06 09"), 3, "unknown Initiate 9"),
        (_hex("61 03 80 01 00"), 2, "application-context-name is missing"),
        (_hex("61 80 00 00"), 1, "indefinite"),
        (_hex("61 05 BF 1F 02 00 00"), 2, "multi-octet"),
        (_hex("61 0D A1 09 06 07 60 85 74 05 08 01 01 A1 00"), 13, "out of order or repeated"),
        (_hex("62 06 80 01 00 80 01 00"), 5, "out of order or repeated"),
        (_hex("62 03 81 01 00"), 2, "unknown rlrq component 0x81"),
        (_hex("62 05 80 01 00"), 0, "exceeds"),
        (_hex("60 0E A1 0C 06 0A 81 81 81 81 81 81 81 81 81 01"), 6, "arc too long"),
    ],
)
def test_bad_encodings_name_the_offset(raw, offset, reason):
    with pytest.raises(cosem.CosemDecodeError) as caught:
        cosem.decode_apdu(raw)
    assert caught.value.offset == offset, caught.value
    if reason:
        assert reason in caught.value.reason


def test_nesting_is_limited():
    ok = b"\x01\x01" * (cosem.MAX_DEPTH - 1) + b"\x01\x00"
    assert cosem.decode_data(ok)
    deep = b"\x01\x01" * cosem.MAX_DEPTH + b"\x01\x00"
    with pytest.raises(cosem.CosemDecodeError) as caught:
        cosem.decode_data(deep)
    assert "deeper than" in caught.value.reason
    very_deep = b"\x02\x01" * 100_000 + b"\x00"
    with pytest.raises(cosem.CosemDecodeError):
        cosem.decode_data(very_deep)
    nested_types = b"\x13" + b"\x02\x01" * 200 + b"\x12" + b"\x00"
    with pytest.raises(cosem.CosemDecodeError):
        cosem.decode_data(nested_types)


@pytest.mark.parametrize(
    "raw",
    [
        # 15 octets each: huge counts and lengths that a careless decoder would allocate
        _hex("C4 01 C1 00 01 84 FF FF FF FF 01 84 FF FF FF"),
        _hex("C4 01 C1 00 09 84 FF FF FF FF 09 84 FF FF FF"),
        _hex("C4 03 C1 84 FF FF FF FF 00 01 84 FF FF FF FF"),
        _hex("C4 01 C1 00 13 01 FF FF 01 FF FF 01 FF FF 12"),
        _hex("C4 01 C1 00 04 84 FF FF FF FF 00 00 00 00 00"),
        _hex("DB 08 00 00 00 00 00 00 00 00 84 FF FF FF FF"),
        _hex("61 84 7F FF FF FF A1 84 7F FF FF FF 06 01 00"),
    ],
)
def test_a_15_octet_hostile_input_is_refused_instantly(raw):
    assert len(raw) == 15
    started = time.perf_counter()
    with pytest.raises(cosem.CosemDecodeError):
        cosem.decode_apdu(raw)
    assert time.perf_counter() - started < 0.05


def test_long_flat_arrays_decode_in_linear_time():
    count = 100_000
    raw = b"\x01\x83" + count.to_bytes(3, "big") + b"\x11\x01" * count
    started = time.perf_counter()
    assert len(cosem.decode_data(raw).choice) == count
    assert time.perf_counter() - started < 2.0


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=64))
def test_arbitrary_bytes_only_ever_raise_decode_errors(raw):
    for decode in (cosem.decode_apdu, cosem.decode_data):
        try:
            value = decode(raw)
        except cosem.CosemDecodeError:
            continue
        again = (cosem.encode_apdu if decode is cosem.decode_apdu else cosem.encode_data)(value)
        assert decode(again) == value or "nan" in repr(value)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(list(ALL_APDUS.values())).flatmap(lambda s: s), st.data())
def test_corrupted_apdus_only_ever_raise_decode_errors(apdu, data):
    raw = bytearray(cosem.encode_apdu(apdu))
    position = data.draw(st.integers(0, len(raw) - 1))
    raw[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(raw)))
    for candidate in (bytes(raw), bytes(raw[:cut])):
        with contextlib.suppress(cosem.CosemDecodeError):
            cosem.decode_apdu(candidate)


@settings(max_examples=150, deadline=None)
@given(data_bytes, st.data())
def test_corrupted_data_only_ever_raises_decode_errors(raw, data):
    raw = bytearray(raw)
    raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    with contextlib.suppress(cosem.CosemDecodeError):
        cosem.decode_data(bytes(raw))


# -- Objects that cannot be encoded ----------------------------------------------------------


@pytest.mark.parametrize(
    ("apdu", "path", "reason"),
    [
        (
            cosem.get_request(8, "0.0.1.0.0.255", 128),
            "/get-request/get-request-normal/cosem-attribute-descriptor/attribute-id",
            "out of range",
        ),
        (
            m.GetRequest(
                choice=m.GetRequestNormal(
                    invoke_id_and_priority=1,
                    cosem_attribute_descriptor=m.CosemAttributeDescriptor(
                        class_id=8, instance_id=b"\x00" * 5, attribute_id=2
                    ),
                )
            ),
            "/get-request/get-request-normal/cosem-attribute-descriptor/instance-id",
            "6 octets",
        ),
        (m.GetRequest(), "/get-request", "no variant chosen"),
        (
            cosem.set_request(1, "0.0.96.1.0.255", 2, m.Long(value=40000)),
            "/set-request/set-request-normal/value/long",
            "out of range for long",
        ),
        (
            cosem.set_request(1, "0.0.96.1.0.255", 2, m.LongUnsigned(value=1.5)),
            "/set-request/set-request-normal/value/long-unsigned",
            "out of range",
        ),
        (
            m.SetRequest(
                choice=m.SetRequestNormal(
                    invoke_id_and_priority=1,
                    cosem_attribute_descriptor=m.CosemAttributeDescriptor(
                        class_id=1, instance_id=bytes(6), attribute_id=2
                    ),
                    value=m.Data(choice=m.NullData()),
                )
            ),
            "/set-request/set-request-normal/value",
            "DataValue",
        ),
        (
            m.SetResponse(choice=m.SetResponseNormal(invoke_id_and_priority=1, result="success")),
            "/set-response/set-response-normal/result",
            "not a data-access-result",
        ),
        (
            m.ExceptionResponse(
                state_error=m.StateError.SERVICE_UNKNOWN,
                service_error=m.ExceptionServiceError.OTHER_REASON,
                invocation_counter=5,
            ),
            "/exception-response/invocation-counter",
            "only allowed",
        ),
        (
            m.Aare(
                application_context_name="2.16.756.5.8.1.1",
                result=m.AssociationResult.ACCEPTED,
                result_source_diagnostic=None,
            ),
            "/aare/result-source-diagnostic",
            "required",
        ),
        (
            m.Aarq(application_context_name="1.99.3"),
            "/aarq/application-context-name",
            "OBJECT IDENTIFIER",
        ),
    ],
)
def test_unencodable_objects_are_refused_with_the_path(apdu, path, reason):
    with pytest.raises(cosem.CosemEncodeError) as caught:
        cosem.encode_apdu(apdu)
    assert caught.value.path == path
    assert reason in caught.value.reason


def test_nested_data_errors_carry_positions():
    value = m.Array(
        choice=[
            m.Structure(choice=[m.LongUnsigned(value=1)]),
            m.Structure(choice=[m.Unsigned(value=1), m.DateTime(value=b"\x00")]),
        ]
    )
    with pytest.raises(cosem.CosemEncodeError) as caught:
        cosem.encode_data(value)
    assert caught.value.path == "/array/structure[2]/date-time"


def test_not_an_apdu():
    with pytest.raises(cosem.CosemEncodeError):
        cosem.encode_apdu(m.GetRequestNormal)
    with pytest.raises(cosem.CosemEncodeError):
        cosem.encode_data("5")
