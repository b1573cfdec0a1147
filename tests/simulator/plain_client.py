"""A minimal client for plain WRAPPER meters (security none): fixed frames, raw sockets.

Cheap enough to talk to thousands of meters in a test. Frames are written here from the
Green Book (AARQ with the LN context, no authentication; GET-normal; RLRQ), independently
of the simulator and of the gateway's engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from cas.registry import Meter

CLIENT = 16  # public client
# AARQ: application-context LN no ciphering, user-information: xDLMS InitiateRequest
# (DLMS 6, conformance 0x00501F... get/set/action/block transfer, max PDU 0xFFFF)
AARQ = bytes.fromhex("601DA109060760857405080101BE10040E01000000065F1F040000181DFFFF")
RLRQ = bytes.fromhex("6203800100")
SERIAL = (1, "0.0.96.1.0.255", 2)
CLOCK = (8, "0.0.1.0.0.255", 2)
ENERGY_IMPORT = (3, "1.0.1.8.0.255", 2)


def get_request(class_id: int, ln: str, attribute: int, invoke: int = 0xC1) -> bytes:
    return (
        bytes((0xC0, 0x01, invoke))
        + class_id.to_bytes(2, "big")
        + bytes(int(part) for part in ln.split("."))
        + bytes((attribute, 0x00))
    )


def wrap(apdu: bytes, server: int = 1) -> bytes:
    return (
        b"\x00\x01"
        + CLIENT.to_bytes(2, "big")
        + server.to_bytes(2, "big")
        + len(apdu).to_bytes(2, "big")
        + apdu
    )


class NoAnswer(Exception):
    """The meter did not answer in time."""


class PlainClient:
    """One TCP connection to one meter; ``exchange`` sends an APDU, returns the reply APDU."""

    def __init__(self, meter: Meter, timeout: float = 10.0) -> None:
        self.meter = meter
        self.timeout = timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.round_trips: list[float] = []  # seconds per exchange

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.wait_for(
            asyncio.open_connection(self.meter.host, self.meter.port), self.timeout
        )

    async def exchange(self, apdu: bytes) -> bytes:
        assert self.reader is not None and self.writer is not None
        started = time.monotonic()
        server = self.meter.server_address
        self.writer.write(wrap(apdu, server))
        try:
            async with asyncio.timeout(self.timeout):
                header = await self.reader.readexactly(8)
                body = await self.reader.readexactly(int.from_bytes(header[6:8], "big"))
        except TimeoutError:
            raise NoAnswer(f"{self.meter.system_title}: no answer in {self.timeout} s") from None
        self.round_trips.append(time.monotonic() - started)
        assert header[:2] == b"\x00\x01" and header[2:4] == server.to_bytes(2, "big"), header.hex()
        return body

    async def associate(self) -> None:
        if self.writer is None:
            await self.connect()
        aare = await self.exchange(AARQ)
        assert aare[0] == 0x61 and b"\xa2\x03\x02\x01\x00" in aare, aare.hex()  # accepted

    async def get(self, item: tuple[int, str, int]) -> bytes:
        """The Data of a successful GET (raises AssertionError on an error result)."""
        response = await self.exchange(get_request(*item))
        assert response[:4] == b"\xc4\x01\xc1\x00", response.hex()
        return response[4:]

    async def release(self) -> None:
        assert (await self.exchange(RLRQ))[0] == 0x63

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await self.writer.wait_closed()
            self.writer = None


def visible_string(data: bytes) -> str:
    assert data[0] == 0x0A and data[1] == len(data) - 2, data.hex()
    return data[2:].decode("ascii")


def double_long_unsigned(data: bytes) -> int:
    assert data[0] == 0x06 and len(data) == 5, data.hex()
    return int.from_bytes(data[1:], "big")
