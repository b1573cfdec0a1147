"""Frame splitting at the socket edge, and the byte surgery of the faults (sans-IO)."""

from __future__ import annotations

import pytest
from gurux_dlms.enums import InterfaceType
from gurux_dlms.GXDLMSClient import GXDLMSClient
from gurux_dlms.objects import GXDLMSData

from cas.registry import Transport
from cas.simulator import faults
from cas.simulator.fleet import SimulatedMeter
from cas.simulator.frames import (
    FrameError,
    FrameReader,
    hdlc_information_start,
    hdlc_is_final,
    hdlc_recompute_checks,
)
from cas.simulator.server import MeterServer, SecurityMode


def hdlc_client() -> GXDLMSClient:
    return GXDLMSClient(True, 16, GXDLMSClient.getServerAddress(1, 17), 0, None, InterfaceType.HDLC)


def test_wrapper_frames_are_split_whatever_the_chunks() -> None:
    client = GXDLMSClient(True, 16, 1, 0, None, InterfaceType.WRAPPER)
    one = bytes(client.read(GXDLMSData("0.0.96.1.0.255"), 2)[0])
    two = bytes(client.read(GXDLMSData("0.0.43.1.0.255"), 2)[0])
    stream = one + two
    reader = FrameReader(hdlc=False)
    got = []
    for i in range(0, len(stream), 5):
        got += reader.feed(stream[i : i + 5])
    assert got == [one, two]


def test_hdlc_frames_are_split_and_flags_skipped() -> None:
    snrm = bytes(hdlc_client().snrmRequest())
    reader = FrameReader(hdlc=True)
    assert reader.feed(b"\x7e" + snrm[:4]) == []
    assert reader.feed(snrm[4:] + snrm) == [snrm, snrm]


@pytest.mark.parametrize(
    ("hdlc", "data"),
    [
        (False, b"\x00\x02" + b"\x00" * 6),  # wrong wrapper version
        (False, b"\x00\x01\x00\x10\x00\x01\xff\xff"),  # 65535 bytes: over the limit
        (True, b"\x41\x42\x43"),  # not a flag
        (True, b"\x7e\x10\x05"),  # not an HDLC frame format
        (True, b"\x7e\xa0\x05\x03\x21\x93\x00"),  # length points at a non-flag byte
        (True, b"\x7e\xa7\xff" + b"\x00" * 9000),  # no closing flag within the limit
    ],
)
def test_what_is_not_a_frame_is_refused(hdlc: bool, data: bytes) -> None:
    with pytest.raises(FrameError):
        FrameReader(hdlc=hdlc, max_frame=8192).feed(data)


def test_hdlc_checksums_are_recomputed_so_gurux_accepts_the_frame() -> None:
    client = hdlc_client()
    snrm = bytes(client.snrmRequest())
    frame = bytearray(client.aarqRequest()[0])
    assert hdlc_is_final(bytes(frame))
    start = hdlc_information_start(bytes(frame))
    assert frame[start : start + 3] == b"\xe6\xe6\x00"  # LLC of a request
    frame[-4] ^= 0x01  # proposed max PDU size 0xFFFF -> 0xFFFE
    broken = bytes(frame)  # the FCS no longer matches
    fixed = hdlc_recompute_checks(broken)
    assert fixed[:-3] == broken[:-3] and fixed[-3:-1] != broken[-3:-1]

    def answer(request: bytes) -> bytes | None:
        server = MeterServer(
            SimulatedMeter(0, 1, Transport.HDLC, SecurityMode.NONE, "h", 9, 9, 8192, 1024)
        )
        assert server.handle(snrm) is not None
        return server.handle(request)

    reply = answer(fixed)
    assert reply is not None and reply[start + 3] == 0x61  # an AARE
    with pytest.raises(Exception, match="CRC"):
        answer(broken)


def test_flip_tag_changes_one_bit_of_the_last_information_byte() -> None:
    wrapper = bytes(range(20))
    flipped = faults.flip_tag_bit(wrapper, hdlc=False)
    assert flipped[:-1] == wrapper[:-1] and flipped[-1] == wrapper[-1] ^ 1


def test_faults_reset_and_report() -> None:
    f = faults.Faults()
    assert f.active() == []
    f.delay, f.replay = 1.5, True
    assert f.active() == ["delay", "replay"]
    f.reset()
    assert f.active() == [] and f.delay == 0.0
