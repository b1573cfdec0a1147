"""OBIS text, COSEM date-time octets and the request constructors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cas import cosem
from generated import cosem as m


@pytest.mark.parametrize(
    ("text", "octets"),
    [
        ("1.0.1.8.0.255", "0100010800FF"),
        ("1-0:1.8.0.255", "0100010800FF"),
        ("1-0:1.8.0*255", "0100010800FF"),
        ("0.0.96.1.0.255", "0000600100FF"),
        (" 0.0.1.0.0.255 ", "0000010000FF"),
    ],
)
def test_obis_text_to_octets(text, octets):
    assert cosem.obis_to_bytes(text) == bytes.fromhex(octets)


@given(st.binary(min_size=6, max_size=6))
def test_obis_round_trip(octets):
    assert cosem.obis_to_bytes(cosem.obis_from_bytes(octets)) == octets


@pytest.mark.parametrize("text", ["1.0.1.8.0", "1.0.1.8.0.256", "a.b.c.d.e.f", "", "1..1.8.0.255"])
def test_bad_obis_text(text):
    with pytest.raises(cosem.ObisError):
        cosem.obis_to_bytes(text)
    with pytest.raises(ValueError):
        cosem.obis_to_bytes(text)


def test_obis_from_wrong_length():
    with pytest.raises(cosem.ObisError):
        cosem.obis_from_bytes(b"\x01\x02")


def test_date_time_octets():
    cet = timezone(timedelta(hours=1))
    moment = datetime(2024, 3, 5, 14, 30, 15, 250000, tzinfo=cet)
    octets = cosem.date_time_to_bytes(moment)
    # 2024-03-05 is a Tuesday (2); deviation -60: UTC = local time + deviation
    assert octets == bytes.fromhex("07E80305020E1E0F19FFC400")
    assert cosem.date_time_from_bytes(octets) == moment
    assert cosem.date_time_from_bytes(cosem.date_time_to_bytes(moment.astimezone(UTC))) == moment
    naive = datetime(2024, 1, 1, 0, 0)
    assert cosem.date_time_to_bytes(naive)[9:11] == b"\x80\x00"
    assert cosem.date_time_from_bytes(cosem.date_time_to_bytes(naive)) == naive


def test_date_time_with_wildcards_has_no_single_moment():
    assert cosem.date_time_from_bytes(bytes.fromhex("FFFF0101FF000000FF800000")) is None
    assert cosem.date_time_from_bytes(bytes.fromhex("07E80101FFFF0000FF800000")) is None
    with pytest.raises(cosem.CosemDecodeError):
        cosem.date_time_from_bytes(bytes.fromhex("07E8021EFF000000FF800000"))
    with pytest.raises(cosem.CosemDecodeError):
        cosem.date_time_from_bytes(b"\x00")


def test_get_request_with_range_access_encodes_like_the_blue_book_example():
    start = datetime(2024, 1, 1, tzinfo=UTC)
    request = cosem.get_request(
        7, "1.0.99.1.0.255", 2, access=cosem.range_access(start, start + timedelta(days=1))
    )
    assert cosem.encode_apdu(request) == bytes.fromhex(
        "C001C1 0007 0100630100FF 02"
        "01 01"  # access-selection present, selector 1 (range_descriptor)
        "0204"  # structure of 4
        "0204 120008 09060000010000FF 0F02 120000"  # restricting object: clock time
        "090C 07E801010100000000000000"  # from
        "090C 07E801020200000000000000"  # to
        "0100".replace(" ", "")  # all columns
    )


def test_entry_access_and_with_list_and_set_and_action():
    request = cosem.get_request(7, "1.0.99.1.0.255", 2, access=cosem.entry_access(1, 96))
    assert cosem.encode_apdu(request).endswith(
        bytes.fromhex("0102 0204 0600000001 0600000060 120001 120000".replace(" ", ""))
    )
    with_list = cosem.get_request_with_list([(8, "0.0.1.0.0.255", 2), (1, "0.0.96.1.0.255", 2)])
    assert cosem.encode_apdu(with_list).hex().upper() == (
        "C003C10200080000010000FF020000010000600100FF0200"
    )
    write = cosem.set_request(8, "0.0.1.0.0.255", 2, m.OctetString(value=bytes(12)))
    assert cosem.encode_apdu(write)[:13] == bytes.fromhex("C101C100080000010000FF0200")
    disconnect = cosem.action_request(70, "0.0.96.3.10.255", 1, m.Integer(value=0))
    assert cosem.encode_apdu(disconnect) == bytes.fromhex(
        "C301C100460000600 30AFF01010F00".replace(" ", "")
    )
    no_parameters = cosem.action_request(70, "0.0.96.3.10.255", 2)
    assert cosem.encode_apdu(no_parameters).endswith(b"\x02\x00")
