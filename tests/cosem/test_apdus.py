"""xDLMS and ACSE APDUs: every variant survives bytes -> object -> XML -> object -> bytes,
and published byte vectors decode to the values they are documented to carry."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from cas import cosem
from generated import cosem as m

from .roundtrip import apdu_round_trip
from .strategies import ALL_APDUS


@pytest.mark.parametrize("name", list(ALL_APDUS))
def test_every_apdu_variant_survives_bytes_xml_bytes(name):
    @settings(max_examples=120, deadline=None)
    @given(ALL_APDUS[name])
    def check(apdu):
        encoded = cosem.encode_apdu(apdu)
        assert encoded[0] == {**TAGS}[name]
        decoded = cosem.decode_apdu(encoded)
        assert cosem.encode_apdu(decoded) == encoded
        assert apdu_round_trip(encoded) == encoded

    check()


TAGS = {
    "get-request": 0xC0,
    "get-response": 0xC4,
    "set-request": 0xC1,
    "set-response": 0xC5,
    "action-request": 0xC3,
    "action-response": 0xC7,
    "data-notification": 0x0F,
    "exception-response": 0xD8,
    "confirmed-service-error": 0x0E,
    "aarq": 0x60,
    "aare": 0x61,
    "rlrq": 0x62,
    "rlre": 0x63,
}


def _hex(text: str) -> bytes:
    return bytes.fromhex(" ".join(text.split()))


# -- Published vectors -----------------------------------------------------------------------
# GET of the clock (class 8, 0.0.1.0.0.255, attribute 2), invoke id 1, priority normal: the
# example the DLMS UA Green Book (IEC 62056-5-3 annex) uses and that captures quote widely,
# e.g. inside the HDLC frame "A0 1C FE FC 7A 61 21 10 80 4D E6 E6 00 C0 01 81 ... 65 D7" in a
# public Qt meter tool found with the code search.
GET_CLOCK = _hex("C0 01 81 00 08 00 00 01 00 00 FF 02 00")

# A real exchange captured with a concentrator (public GitHub C source "ptcl_62056-47.c",
# comment block "招测gprs参数", found with the code search): GET of 1 / 0.0.25.4.128.255 / 2
# and its 244-octet response, a structure of 20 elements whose visible-strings are
# NUL-padded (so they take the hex form in XML).
GET_GPRS = _hex("C0 01 81 00 01 00 00 19 04 80 FF 02 00")
GET_GPRS_RESPONSE = _hex(
    """C4 01 81 00 02 14 11 01 04 01 00 09 04 79 28 50 9F 09 02 1C 20 09 04 0A 02 ED 87 09 02
    22 B8 09 04 FF FF FF 00 09 02 1F 44 09 04 DE B8 ED 0B 09 02 1F 44 0A 32 68 74 74 70 3A 2F
    2F 6F 61 2E 61 75 78 67 72 6F 75 70 2E 63 6F 6D"""
    + " 00" * 28
    + " 09 04 DE DE DE A8 09 04 C0 A8 60 01"
    + (" 0A 21 43 4D 4E 45 54" + " 00" * 28) * 3
    + " 0A 10 2A 39 39 2A 2A 2A 31 23 00 00 00 00 00 00 00 00 11 05 11 0A 11 05"
)


def test_get_request_of_the_clock():
    apdu = cosem.decode_apdu(GET_CLOCK)
    assert apdu == cosem.get_request(8, "0.0.1.0.0.255", 2, invoke_id_and_priority=0x81)
    assert cosem.encode_apdu(apdu) == GET_CLOCK
    assert apdu_round_trip(GET_CLOCK) == GET_CLOCK


def test_captured_get_and_response_with_padded_strings():
    request = cosem.decode_apdu(GET_GPRS)
    descriptor = request.choice.cosem_attribute_descriptor
    assert (descriptor.class_id, cosem.obis_from_bytes(descriptor.instance_id)) == (
        1,
        "0.0.25.4.128.255",
    )
    assert len(GET_GPRS_RESPONSE) == 244
    response = cosem.decode_apdu(GET_GPRS_RESPONSE)
    items = response.choice.result.data_or_data_access_result.choice.choice
    assert len(items) == 20
    assert items[0] == m.Unsigned(value=1)
    assert items[1] == m.BitString(value="0")
    assert items[2] == m.OctetString(value=bytes.fromhex("7928509F"))
    url = items[10]
    assert url.hex and bytes.fromhex(url.value).rstrip(b"\0") == b"http://oa.auxgroup.com"
    assert bytes.fromhex(items[13].value).rstrip(b"\0") == b"CMNET"
    assert items[-3:] == [m.Unsigned(value=5), m.Unsigned(value=10), m.Unsigned(value=5)]
    assert apdu_round_trip(GET_GPRS_RESPONSE) == GET_GPRS_RESPONSE


@pytest.mark.parametrize(
    ("hex_text", "check"),
    [
        # get-response-normal with a data-access-result
        (
            "C4 01 C1 01 04",
            lambda a: (
                a.choice.result.data_or_data_access_result is m.DataAccessResult.OBJECT_UNDEFINED
            ),
        ),
        # get-response-with-datablock, block 1, not last, 5 raw octets
        (
            "C4 02 C1 00 00 00 00 01 00 05 01 02 03 04 05",
            lambda a: (
                (a.choice.result.last_block, a.choice.result.block_number) == (False, 1)
                and a.choice.result.result.raw_data_or_data_access_result == bytes(range(1, 6))
            ),
        ),
        # get-request-next for block 2
        ("C0 02 C1 00 00 00 02", lambda a: a.choice.block_number == 2),
        # get-response-with-list: data then data-access-result
        (
            "C4 03 C1 02 00 09 02 12 34 01 04",
            lambda a: (
                a.choice.result.data_or_data_access_result[1] is m.DataAccessResult.OBJECT_UNDEFINED
            ),
        ),
        # set-request-normal: long-unsigned 5 to 8/0.0.1.0.0.255/2
        (
            "C1 01 C1 00 08 00 00 01 00 00 FF 02 00 12 00 05",
            lambda a: a.choice.value.choice == m.LongUnsigned(value=5),
        ),
        ("C5 01 C1 00", lambda a: a.choice.result is m.DataAccessResult.SUCCESS),
        # set-response-with-list: success, object-undefined
        (
            "C5 05 C1 02 00 04",
            lambda a: (
                a.choice.result.data_access_result
                == [m.DataAccessResult.SUCCESS, m.DataAccessResult.OBJECT_UNDEFINED]
            ),
        ),
        # action-request-normal: disconnect control remote_disconnect(integer 0)
        (
            "C3 01 C1 00 46 00 00 60 03 0A FF 01 01 0F 00",
            lambda a: (
                a.choice.cosem_method_descriptor.method_id == 1
                and a.choice.method_invocation_parameters.choice == m.Integer(value=0)
            ),
        ),
        # action-response-normal: success, no return parameters
        (
            "C7 01 C1 00 00",
            lambda a: (
                a.choice.single_response
                == m.ActionResponseWithOptionalData(result=m.ActionResult.SUCCESS)
            ),
        ),
        # data-notification without and with a time stamp
        ("0F 00 00 00 01 00 12 00 05", lambda a: a.date_time is None),
        (
            "0F 00 00 00 01 0C 07 E4 01 01 FF 00 00 00 00 80 00 00 02 02 12 00 05 11 03",
            lambda a: a.date_time == _hex("07 E4 01 01 FF 00 00 00 00 80 00 00"),
        ),
        # exception-response: service-not-allowed / service-not-supported
        (
            "D8 01 02",
            lambda a: (
                (a.state_error, a.service_error)
                == (m.StateError.SERVICE_NOT_ALLOWED, m.ExceptionServiceError.SERVICE_NOT_SUPPORTED)
            ),
        ),
        # exception-response: invocation-counter-error with the expected counter
        ("D8 01 06 00 00 01 00", lambda a: a.invocation_counter == 256),
        # confirmed-service-error: initiateError / initiate / dlms-version-too-low
        (
            "0E 01 06 01",
            lambda a: (
                a.choice
                == m.ConfirmedServiceError.InitiateError(choice=m.Initiate.DLMS_VERSION_TOO_LOW)
            ),
        ),
        (
            "0E 05 03 02",
            lambda a: (
                a.choice == m.ConfirmedServiceError.Read(choice=m.Service.SERVICE_UNSUPPORTED)
            ),
        ),
    ],
)
def test_service_apdu_vectors(hex_text, check):
    raw = _hex(hex_text)
    apdu = cosem.decode_apdu(raw)
    assert check(apdu)
    assert apdu_round_trip(raw) == raw


def test_unknown_result_codes_decode_as_numbers_and_round_trip():
    raw = _hex("C4 01 C1 01 07")  # data-access-result 7: not named by the standard
    apdu = cosem.decode_apdu(raw)
    assert apdu.choice.result.data_or_data_access_result == 7
    assert "<data-access-result>7</data-access-result>" in cosem.apdu_to_xml(apdu)
    assert apdu_round_trip(raw) == raw
