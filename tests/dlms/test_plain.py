"""Plain wrapper associations (no keys) run without a gurux client per session: the AARQ and
RLRQ are the bytes gurux builds for the meter's profile, and the AARE is read by the engine."""

from __future__ import annotations

import struct

import pytest
from gurux_dlms import GXByteBuffer

from cas.dlms.counters import MemoryInvocationCounterStore, MeterCounters
from cas.dlms.errors import AssociationRefused, ProtocolError
from cas.dlms.session import Phase, SessionMachine, SessionSettings, _gurux_client
from cas.registry import Authentication, Meter, MeterKeys, Secret, SecurityPolicy, Transport

TITLE = "4D4D4D0000000001"
GET_CLOCK = bytes.fromhex("C001C100080000010000FF0200")


def aare(*, context: str = "0760857405080101", user_information: str | None = None) -> bytes:
    """An accepted AARE; by default its initiate-response offers a 1,024-byte PDU."""
    if user_information is None:
        user_information = "0800065F1F040000181D04000007"
    information = bytes.fromhex(user_information)
    body = (
        bytes.fromhex("A109" + "06" + context)
        + bytes.fromhex("A203020100A305A103020100")
        + bytes([0xBE, len(information) + 2, 0x04, len(information)])
        + information
    )
    return bytes([0x61, len(body)]) + body


def wrapped(apdu: bytes, server: int = 1, client: int = 16) -> bytes:
    return struct.pack(">HHHH", 1, server, client, len(apdu)) + apdu


def machine(**fields) -> SessionMachine:
    meter = Meter(TITLE, "127.0.0.1", 1, **fields)
    counters = MeterCounters(MemoryInvocationCounterStore(), meter.system_title)
    return SessionMachine(meter, SessionSettings(), counters)


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"client_address": 1, "server_address": 17, "max_pdu_size": 512},
        {"authentication": Authentication.LOW, "password": Secret(b"12345678")},
        {"authentication": Authentication.LOW, "password": Secret(b"other")},
    ],
)
def test_aarq_and_rlrq_are_the_bytes_gurux_sends_for_that_profile(fields):
    session = machine(**fields)
    assert session.client is None  # no gurux client for this association
    meter = session.meter
    reference = _gurux_client(meter, SessionSettings().client_system_title, 0, None, None)
    expected_aarq = [bytes(frame) for frame in reference.aarqRequest()]
    assert session.connect() == expected_aarq
    session.receive(wrapped(aare(), meter.server_address, meter.client_address))
    assert session.ready
    reference.parseAareResponse(GXByteBuffer(bytearray(aare())))
    assert session.release() == [bytes(frame) for frame in reference.releaseRequest()]


def test_profiles_with_different_passwords_get_their_own_aarq():
    first = machine(authentication=Authentication.LOW, password=Secret(b"first-pw"))
    second = machine(authentication=Authentication.LOW, password=Secret(b"second-pw"))
    assert b"first-pw" in first.connect()[0] and b"second-pw" in second.connect()[0]


def test_hdlc_and_keyed_meters_keep_a_gurux_client():
    assert machine(transport=Transport.HDLC, physical_address=17).client is not None
    keys = MeterKeys(Secret(bytes(16)), Secret(bytes(range(16))))
    keyed = machine(security=SecurityPolicy.AUTHENTICATED_ENCRYPTED, keys=keys)
    assert keyed.client is not None


def test_the_pdu_size_the_meter_offers_bounds_the_requests():
    session = machine(max_pdu_size=1024)
    session.connect()
    session.receive(wrapped(aare(user_information="0800065F1F040000181D00200007")))  # 32 bytes
    assert session.max_send == 32
    session.request(GET_CLOCK)  # 13 bytes: sent
    session.phase = Phase.READY
    with pytest.raises(ProtocolError, match="exceeds the meter's PDU size 32"):
        session.request(GET_CLOCK + bytes(20))


@pytest.mark.parametrize(
    ("answer", "error", "match"),
    [
        (aare(context="0760857405080103"), AssociationRefused, "application context"),
        (aare(user_information="0800055F1F040000181D04000007"), ProtocolError, "version 5"),
        (aare(user_information="0E010601"), ProtocolError, "confirmed-service-error"),
        (
            aare(user_information="C001C100080000010000FF0200"),
            ProtocolError,
            "no initiate-response",
        ),
        (aare()[:-3], ProtocolError, "AARE"),
    ],
)
def test_an_aare_that_does_not_fit_a_plain_association_is_refused(answer, error, match):
    session = machine()
    session.connect()
    with pytest.raises(error, match=match):
        session.receive(wrapped(answer))
    assert not session.ready
