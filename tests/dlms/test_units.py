"""The sans-IO pieces on their own: framers, links, block transfer, AARE, protection."""

from __future__ import annotations

import contextlib

import pytest
from gurux_dlms.enums import InterfaceType
from gurux_dlms.GXDLMSClient import GXDLMSClient
from hypothesis import given
from hypothesis import strategies as st

from cas.dlms import gcm
from cas.dlms.acse import read_aare
from cas.dlms.counters import MemoryInvocationCounterStore, MeterCounters
from cas.dlms.errors import FrameError, ProtocolError, ReplayError, SecurityError
from cas.dlms.framing import HdlcFramer, WrapperFramer
from cas.dlms.link import HdlcLink, WrapperLink, fcs16
from cas.dlms.protection import Protection
from cas.dlms.xdlms import PendingRequest, decode_length, encode_length

GET = bytes.fromhex("C001C1000301000108 00FF0200".replace(" ", ""))

# --- framers ----------------------------------------------------------------------------------


def test_wrapper_framer_splits_a_stream_at_any_cut():
    frames = [
        bytes.fromhex("0001000100100005") + b"hello",
        bytes.fromhex("0001000100100002") + b"ok",
    ]
    stream = b"".join(frames)
    for cut in range(len(stream) + 1):
        framer = WrapperFramer(max_payload=100)
        out = []
        for part in (stream[:cut], stream[cut:]):
            framer.feed(part)
            while (frame := framer.next_frame()) is not None:
                out.append(frame)
        assert out == frames and framer.pending == 0


def test_wrapper_framer_refuses_garbage_and_huge_lengths_at_once():
    with pytest.raises(FrameError, match="version"):
        WrapperFramer(100).feed(b"\x55\x55")
    framer = WrapperFramer(100)
    with pytest.raises(FrameError, match="65535"):
        framer.feed(bytes.fromhex("000100010010FFFF"))  # refused before any payload arrives


def test_wrapper_framer_reports_a_partial_frame():
    framer = WrapperFramer(100)
    framer.feed(bytes.fromhex("0001000100100005") + b"he")
    assert framer.next_frame() is None and framer.pending == 10


def _hdlc(payload: bytes) -> bytes:
    body = bytearray(b"\xa0\x00\x03\x21\x13")  # format, length, addresses, control
    body += b"\x00\x00" + payload + b"\x00\x00"
    body[1] = len(body)
    return b"\x7e" + bytes(body) + b"\x7e"


def test_hdlc_framer_handles_shared_and_repeated_flags():
    one, two = _hdlc(b"abc"), _hdlc(b"defg")
    shared = one + two[1:]  # the closing flag of one opens two
    for stream in (one + two, shared, b"\x7e\x7e" + one + b"\x7e" + two):
        framer = HdlcFramer()
        framer.feed(stream)
        assert [framer.next_frame(), framer.next_frame(), framer.next_frame()] == [one, two, None]
        assert framer.pending == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x55\x7e", "flag"),
        (b"\x7e\x55", "format"),
        (b"\x7e\xa0\x03", "too short"),
    ],
)
def test_hdlc_framer_refuses_what_cannot_be_a_frame(data, message):
    with pytest.raises(FrameError, match=message):
        HdlcFramer().feed(data)


def test_hdlc_framer_refuses_a_frame_without_closing_flag():
    framer = HdlcFramer()
    framer.feed(b"\x7e\xa0\x09" + b"\x55" * 9)
    with pytest.raises(FrameError, match="flag"):
        framer.next_frame()


# --- links ------------------------------------------------------------------------------------


@given(st.binary(max_size=300))
def test_fcs16_matches_gurux(data):
    from gurux_dlms._GXFCS16 import _GXFCS16

    assert fcs16(data) == _GXFCS16.countFCS16(bytearray(data), 0, len(data))


def test_wrapper_link_frames_and_checks_addresses():
    link = WrapperLink(16, 1, 1000)
    (frame,) = link.frames(GET)
    assert frame == bytes.fromhex("000100100001000D") + GET
    answer = bytes.fromhex("0001000100100003") + b"\xc4\x01\xc1"
    assert link.receive(answer).apdu == b"\xc4\x01\xc1"
    assert link.receive(bytes.fromhex("0001000100660003") + b"abc").apdu is None  # not ours


def _server_side_hdlc(client: GXDLMSClient, info: bytes, segmented: bool, control: int) -> bytes:
    """An HDLC frame as a meter would send it (addresses swapped), built by hand."""
    from gurux_dlms.GXDLMS import GXDLMS

    settings = client.settings
    destination = bytes(GXDLMS.getAddressBytes(settings.clientAddress, 1))
    source = bytes(GXDLMS.getAddressBytes(settings.serverAddress, settings.serverAddressSize))
    header = bytearray(b"\xa0\x00") + destination + source + bytes((control,))
    length = len(header) + 2 + len(info) + 2
    header[0] |= 0x08 if segmented else 0
    header[1] = length
    header = bytes(header)
    body = header + fcs16(header).to_bytes(2, "big") + info
    return b"\x7e" + body + fcs16(body).to_bytes(2, "big") + b"\x7e"


def test_hdlc_link_joins_segments_and_answers_receive_ready():
    client = GXDLMSClient(True, 16, GXDLMSClient.getServerAddress(1, 17), 0, None, 0)
    assert client.interfaceType == InterfaceType.HDLC
    link = HdlcLink(client.settings, 1000)
    link.frames(GET)  # our I-frame (N(S)=0)
    first = _server_side_hdlc(client, b"\xe6\xe7\x00" + b"\xc4\x01", True, 0x30)
    event = link.receive(first)
    assert event.apdu is None and len(event.send) == 1  # receive-ready
    last = _server_side_hdlc(client, b"\xc1\x00\x11\x05", False, 0x32)
    assert link.receive(last).apdu == bytes.fromhex("C401C1001105")


def test_hdlc_link_rejects_bad_crc_and_missing_llc():
    client = GXDLMSClient(True, 16, GXDLMSClient.getServerAddress(1, 17), 0, None, 0)
    link = HdlcLink(client.settings, 1000)
    link.frames(GET)
    frame = bytearray(
        _server_side_hdlc(client, b"\xe6\xe7\x00\xc4\x01\xc1\x00\x11\x05", False, 0x30)
    )
    frame[-4] ^= 0x01
    with pytest.raises(FrameError, match="CRC"):
        link.receive(bytes(frame))
    with pytest.raises(FrameError, match="LLC"):
        link.receive(_server_side_hdlc(client, b"\xc4\x01\xc1\x00\x11\x05", False, 0x30))


def test_hdlc_link_refuses_an_apdu_beyond_its_limit():
    client = GXDLMSClient(True, 16, GXDLMSClient.getServerAddress(1, 17), 0, None, 0)
    link = HdlcLink(client.settings, 10)
    link.frames(GET)
    with pytest.raises(FrameError, match="exceeds"):
        link.receive(_server_side_hdlc(client, b"\xe6\xe7\x00" + b"\x00" * 20, False, 0x30))


# --- xDLMS: block transfer and exact responses ------------------------------------------------


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_length_round_trip(n):
    assert decode_length(encode_length(n) + b"rest", 0) == (n, len(encode_length(n)))


def _block(last: int, number: int, raw: bytes, iid: int = 0xC1) -> bytes:
    return (
        bytes((0xC4, 0x02, iid, last))
        + number.to_bytes(4, "big")
        + b"\x00"
        + encode_length(len(raw))
        + raw
    )


def test_get_blocks_are_joined_into_one_normal_response():
    pending = PendingRequest(GET, 10_000)
    assert pending.on_response(_block(0, 1, b"\x01\x02\x06\x00")) == (
        None,
        bytes.fromhex("C002C100000001"),
    )
    assert pending.on_response(_block(0, 2, b"\x00\x00\x01\x06")) == (
        None,
        bytes.fromhex("C002C100000002"),
    )
    response, _ = pending.on_response(_block(1, 3, b"\x00\x00\x00\x02"))
    assert response == bytes.fromhex("C401C100") + bytes.fromhex("010206000000010600000002")


def test_with_list_blocks_become_a_with_list_response():
    pending = PendingRequest(bytes.fromhex("C003C102") + b"x" * 20, 10_000)
    pending.on_response(_block(0, 1, b"\x02\x00\x11"))
    response, _ = pending.on_response(_block(1, 2, b"\x05\x01\x04"))
    assert response == bytes.fromhex("C403C102001105 0104".replace(" ", ""))


def test_data_access_result_inside_block_transfer_is_a_result():
    pending = PendingRequest(GET, 10_000)
    pending.on_response(_block(0, 1, b"\x01\x02"))
    error_block = bytes.fromhex("C402C101 00000002 010E".replace(" ", ""))
    assert pending.on_response(error_block) == (bytes.fromhex("C401C1010E"), None)


@pytest.mark.parametrize(
    ("apdu", "message"),
    [
        (bytes.fromhex("C401C2001105"), "invoke-id"),
        (bytes.fromhex("C501C100"), "does not belong"),
        (bytes.fromhex("C402C10000000005"), "too short"),
    ],
)
def test_inconsistent_answers_are_protocol_errors(apdu, message):
    with pytest.raises(ProtocolError, match=message):
        PendingRequest(GET, 10_000).on_response(apdu)


def test_out_of_order_block_and_oversized_total():
    pending = PendingRequest(GET, 10_000)
    pending.on_response(_block(0, 1, b"ab"))
    with pytest.raises(ProtocolError, match="block 3"):
        pending.on_response(_block(0, 3, b"cd"))
    pending = PendingRequest(GET, 5)
    with pytest.raises(FrameError, match="exceeds 5"):
        pending.on_response(_block(0, 1, b"abcdef"))


def test_service_errors_are_returned_as_they_came():
    for apdu in (bytes.fromhex("D80102"), bytes.fromhex("0E010602")):
        assert PendingRequest(GET, 100).on_response(apdu) == (apdu, None)


def test_requests_are_checked_before_anything_is_sent():
    with pytest.raises(ValueError, match="confirmed"):
        PendingRequest(bytes.fromhex("C0010100030100010800FF0200"), 100)
    with pytest.raises(ValueError):
        PendingRequest(bytes.fromhex("C4010100"), 100)


# --- AARE verdict -----------------------------------------------------------------------------


def test_read_aare():
    accepted = bytes.fromhex(
        "6129A109060760857405080101A203020100A305A103020100BE10040E0800065F1F040000181D04000007"
    )
    verdict = read_aare(accepted)
    assert (verdict.result, verdict.diagnostic, verdict.service_user) == (0, 0, True)
    refused = bytes.fromhex("611FA109060760857405080101A203020101A305A10302010DBE0604040E010601")
    verdict = read_aare(refused)
    assert verdict.result_name == "rejected-permanent"
    assert verdict.diagnostic_name == "authentication-failure"
    with pytest.raises(ProtocolError):
        read_aare(b"\x61\x05\xa2\x03\x02")


# --- protection -------------------------------------------------------------------------------

EK, AK = bytes(range(16)), bytes(range(0x10, 0x20))
CLIENT, METER = b"CASGW001", bytes.fromhex("53494D00000F4241")


def _protection(counters=None, security=0x30):
    counters = counters or MeterCounters(MemoryInvocationCounterStore(), METER.hex().upper())
    return Protection(security, CLIENT, METER, EK, AK, counters)


def _meter_reply(plaintext: bytes, counter: int, tag_byte=0xCC, security=0x30) -> bytes:
    payload, tag = gcm.seal(security, METER, counter, EK, AK, plaintext)
    content = bytes((security,)) + counter.to_bytes(4, "big") + payload + tag
    return bytes((tag_byte,)) + encode_length(len(content)) + content


async def test_protection_seals_with_fresh_counters_and_opens_replies():
    protection = _protection()
    await protection.counters.ensure(2)
    first = protection.seal(GET)
    second = protection.seal(GET)
    assert first[0] == 0xC8 and first != second  # glo-get-request, new counter each time
    control, counter, payload, tag = gcm.split_content(first[2:])
    assert gcm.open_(control, CLIENT, counter, EK, AK, payload, tag) == GET

    assert protection.open(_meter_reply(b"\xc4\x01\xc1\x00\x11\x05", 10)) == bytes.fromhex(
        "C401C1001105"
    )
    with pytest.raises(ReplayError):
        protection.open(_meter_reply(b"\xc4\x01\xc1\x00\x11\x05", 10))
    with pytest.raises(SecurityError, match="0x20"):
        protection.open(_meter_reply(b"\xc4", 11, security=0x20))  # downgrade
    with pytest.raises(SecurityError, match="unprotected"):
        protection.open(bytes.fromhex("C401C1001105"))
    with pytest.raises(SecurityError, match="decipher"):
        protection.open(bytes.fromhex("D80105"))


async def test_a_forged_counter_does_not_advance_the_replay_window():
    protection = _protection()
    forged = bytearray(_meter_reply(b"\xc4\x01\xc1\x00\x11\x05", 1000))
    forged[-1] ^= 1
    with pytest.raises(SecurityError):
        protection.open(bytes(forged))
    assert protection.counters.last_received is None
    assert protection.open(_meter_reply(b"\xc4\x01\xc1\x00\x11\x05", 20))


def test_general_glo_ciphering_must_come_from_the_meter():
    protection = _protection()
    reply = _meter_reply(b"\xc4\x01\xc1\x00\x11\x05", 5)
    general = b"\xdb\x08" + METER + reply[1:]
    assert protection.open(general) == bytes.fromhex("C401C1001105")
    other = b"\xdb\x08" + b"OTHERMTR" + reply[1:]
    with pytest.raises(SecurityError, match="another system title"):
        protection.open(other)


# --- robustness: whatever a meter sends, the machine answers with a step or a DlmsError -----


def _machine(phase: str, transport: str = "wrapper"):
    from cas.dlms.session import Phase, SessionMachine, SessionSettings
    from cas.registry import Meter, Transport

    meter = Meter(
        system_title=METER.hex().upper(),
        host="127.0.0.1",
        port=1,
        transport=Transport(transport),
        physical_address=17 if transport == "hdlc" else None,
    )
    counters = MeterCounters(MemoryInvocationCounterStore(), meter.system_title)
    machine = SessionMachine(meter, SessionSettings(), counters)
    if phase == "request":
        machine.phase = Phase.READY
        machine.request(GET)
    else:
        machine.connect()
    return machine


@given(st.binary(max_size=200))
def test_random_answers_to_a_request_raise_only_typed_errors(payload):
    from cas.dlms.errors import DlmsError

    machine = _machine("request")
    frame = bytes.fromhex("000100010010") + len(payload).to_bytes(2, "big") + payload
    try:
        step = machine.receive(frame)
    except DlmsError:
        return
    assert step.done is False or step.response is not None


@given(st.binary(max_size=120))
def test_random_aare_raises_only_typed_errors(payload):
    from cas.dlms.errors import DlmsError

    machine = _machine("associate")
    aare = b"\x61" + encode_length(len(payload)) + payload
    frame = bytes.fromhex("000100010010") + len(aare).to_bytes(2, "big") + aare
    with contextlib.suppress(DlmsError):
        machine.receive(frame)


@given(st.binary(min_size=1, max_size=60))
def test_random_hdlc_information_raises_only_typed_errors(info):
    from cas.dlms.errors import DlmsError

    machine = _machine("request", "hdlc")
    client = machine.client
    frame = _server_side_hdlc(client, b"\xe6\xe7\x00" + info, False, 0x30)
    with contextlib.suppress(DlmsError):
        machine.receive(frame)
