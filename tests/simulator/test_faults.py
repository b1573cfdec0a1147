"""Each fault a simulated meter injects observably happens, over real TCP."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from gurux_dlms.objects import GXDLMSClock, GXDLMSData

from cas.simulator import MeterFleet, readings
from cas.simulator.fleet import SimulatedMeter
from cas.simulator.frames import apdu_start

from .gurux_client import GuruxClient, NoReply

SERIAL = GXDLMSData("0.0.96.1.0.255")


@pytest.fixture
async def plain_fleet() -> AsyncIterator[MeterFleet]:
    async with MeterFleet(count=1, transport="wrapper", security="none") as fleet:
        yield fleet


async def associated(sim: SimulatedMeter, meter=None, timeout: float = 5.0) -> GuruxClient:
    client = GuruxClient(meter or sim.registry_entry, timeout=timeout)
    await client.associate()
    return client


async def read_for(reader: asyncio.StreamReader, seconds: float) -> bytes:
    """Everything that arrives within ``seconds`` (or until the peer closes)."""
    data = b""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            chunk = await asyncio.wait_for(reader.read(65536), left)
        except TimeoutError:
            break
        if not chunk:
            break
        data += chunk
    return data


def gcm_open(apdu: bytes, sim: SimulatedMeter) -> bytes:
    """Decipher a ciphered response independently (cryptography, 12-byte tag)."""
    position = 1
    if apdu[0] == 0xDB:  # general-glo-ciphering: the sender's system title comes first
        assert apdu[1:10] == b"\x08" + bytes.fromhex(sim.system_title)
        position = 10
    else:
        assert apdu[0] == 0xCC, apdu[:4].hex()  # glo-get-response
    length = apdu[position]
    position += 1
    if length & 0x80:
        size = length & 0x7F
        length = int.from_bytes(apdu[position : position + size], "big")
        position += size
    content = apdu[position : position + length]
    security_control, counter = content[0], content[1:5]
    body, tag = content[5:-12], content[-12:]
    iv = bytes.fromhex(sim.system_title) + counter
    decryptor = Cipher(
        algorithms.AES(sim.secrets.block_cipher_key), modes.GCM(iv, tag, min_tag_length=12)
    ).decryptor()
    decryptor.authenticate_additional_data(
        bytes((security_control,)) + sim.secrets.authentication_key
    )
    return decryptor.update(body) + decryptor.finalize()


async def test_no_answer_reads_but_never_replies(plain_fleet: MeterFleet) -> None:
    sim = plain_fleet[0]
    client = await associated(sim, timeout=0.5)
    try:
        answered = sim.stats.requests
        sim.faults.no_answer = True
        with pytest.raises(NoReply):
            await client.read(SERIAL, 2)
        assert sim.stats.requests == answered
        assert sim.stats.open_connections == 1  # the connection stays open
    finally:
        await client.close()
    sim.faults.reset()
    client = await associated(sim)
    try:
        assert await client.read(SERIAL, 2) == readings.serial_number(sim.system_title)
    finally:
        await client.close()


async def test_delay_holds_each_reply(plain_fleet: MeterFleet) -> None:
    sim = plain_fleet[0]
    client = await associated(sim)
    try:
        sim.faults.delay = 0.4
        started = time.monotonic()
        assert await client.read(SERIAL, 2) == readings.serial_number(sim.system_title)
        assert time.monotonic() - started >= 0.4
    finally:
        await client.close()


@pytest.mark.parametrize("transport", ["wrapper", "hdlc"])
async def test_garbage_replaces_the_reply(transport: str) -> None:
    async with MeterFleet(count=1, transport=transport) as fleet:
        sim = fleet[0]
        client = await associated(sim)
        try:
            await client.read(SERIAL, 2)
            good = client.last_raw
            sim.faults.garbage = True
            await client.send_raw(bytes(client.client.read(SERIAL, 2)[0]))
            assert client.reader is not None
            bad = await read_for(client.reader, 0.5)
            assert len(bad) >= 16
            assert bad[:6] != good[:6]  # not even the frame header of a reply
        finally:
            await client.close()


async def test_close_drops_the_connection_on_the_next_request(plain_fleet: MeterFleet) -> None:
    sim = plain_fleet[0]
    client = await associated(sim)
    try:
        sim.faults.close = True
        with pytest.raises(ConnectionError):
            await client.read(SERIAL, 2)
    finally:
        await client.close()
    for _ in range(100):
        if sim.stats.open_connections == 0:
            break
        await asyncio.sleep(0.01)
    assert sim.stats.open_connections == 0


@pytest.mark.parametrize("transport", ["wrapper", "hdlc"])
async def test_truncate_sends_half_a_frame_then_stalls(transport: str) -> None:
    async with MeterFleet(count=1, transport=transport) as fleet:
        sim = fleet[0]
        client = await associated(sim)
        try:
            await client.read(SERIAL, 2)
            full = len(client.last_raw)
            sim.faults.truncate = True
            await client.send_raw(bytes(client.client.read(SERIAL, 2)[0]))
            assert client.reader is not None
            got = await read_for(client.reader, 0.5)
            assert len(got) == full // 2
            if transport == "wrapper":
                assert got[:2] == b"\x00\x01" and int.from_bytes(got[6:8], "big") > len(got) - 8
            else:
                assert got[0] == 0x7E and ((got[1] & 7) << 8 | got[2]) + 2 > len(got)
            assert sim.stats.open_connections == 1  # stalled, not closed
        finally:
            await client.close()


@pytest.mark.parametrize(
    ("transport", "header"),
    [("wrapper", b"\x00\x01\x00\x01\x00\x10\xff\xff"), ("hdlc", b"\x7e\xa7\xff")],
)
async def test_oversized_announces_a_huge_frame_and_streams(transport: str, header: bytes) -> None:
    async with MeterFleet(count=1, transport=transport) as fleet:
        sim = fleet[0]
        client = await associated(sim)
        try:
            sim.faults.oversized = True
            await client.send_raw(bytes(client.client.read(SERIAL, 2)[0]))
            assert client.reader is not None
            data = b""
            while len(data) < 200_000:
                data += await asyncio.wait_for(client.reader.read(65536), 5)
            assert data.startswith(header)
            assert len(data) > 65535 + 8  # more than the header announced, still coming
        finally:
            await client.close()


@pytest.mark.parametrize("security", ["low", "hls-gmac"])
async def test_wrong_keys_refuse_the_association(security: str) -> None:
    async with MeterFleet(count=1, security=security) as fleet:
        sim = fleet[0]
        sim.faults.wrong_keys = True
        client = GuruxClient(sim.registry_entry, timeout=5)
        try:
            with pytest.raises(Exception) as refused:
                await client.associate()
            assert not isinstance(refused.value, NoReply)
            assert sim.stats.associations == 0
        finally:
            await client.close()
        sim.faults.reset()
        client = await associated(sim)
        try:
            assert sim.stats.associations == 1
        finally:
            await client.close()


@pytest.mark.parametrize("transport", ["wrapper", "hdlc"])
async def test_flip_tag_breaks_the_gcm_tag_only(transport: str) -> None:
    async with MeterFleet(count=1, transport=transport, security="hls-gmac") as fleet:
        sim = fleet[0]
        hdlc = transport == "hdlc"
        client = await associated(sim)
        try:
            await client.read(SERIAL, 2)
            plain = gcm_open(client.last_raw[apdu_start(client.last_raw, hdlc) :], sim)
            assert readings.serial_number(sim.system_title).encode() in plain
            sim.faults.flip_tag = True
            with pytest.raises(Exception):  # noqa: B017 - gurux (with the client fixes) refuses
                await client.read(SERIAL, 2)
            raw = client.last_raw
            with pytest.raises(InvalidTag):
                gcm_open(raw[apdu_start(raw, hdlc) :], sim)
        finally:
            await client.close()


@pytest.mark.parametrize("transport", ["wrapper", "hdlc"])
async def test_replay_answers_with_an_earlier_ciphered_reply(transport: str) -> None:
    async with MeterFleet(count=1, transport=transport, security="hls-gmac") as fleet:
        sim = fleet[0]
        hdlc = transport == "hdlc"
        client = await associated(sim)
        try:
            await client.read(GXDLMSClock("0.0.1.0.0.255"), 2)
            earlier = client.last_raw
            sim.faults.replay = True
            replayed = await client.read_raw(SERIAL, 2)
            again = client.last_raw
            if hdlc:  # the same APDU, bit for bit, in a frame of the current sequence
                assert (
                    again[apdu_start(again, True) : -3] == earlier[apdu_start(earlier, True) : -3]
                )
            else:
                assert again == earlier
            assert not isinstance(replayed.value, str)  # the clock's octet-string, not a serial
        finally:
            await client.close()
