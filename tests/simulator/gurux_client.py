"""A plain gurux client over asyncio streams: the independent test client of the simulator."""

from __future__ import annotations

import asyncio
import contextlib
import io
from datetime import datetime
from typing import Any

from gurux_dlms import GXByteBuffer, GXDLMSClient, GXReplyData
from gurux_dlms.enums import Authentication, InterfaceType, Security
from gurux_dlms.objects import GXDLMSObject
from gurux_dlms.secure import GXDLMSSecureClient

from cas.registry import Meter, Transport

TIMEOUT = 10.0


def quiet(function: Any, *args: Any) -> Any:
    """Call gurux with its stdout swallowed (it prints when it ciphers)."""
    with contextlib.redirect_stdout(io.StringIO()):
        return function(*args)


class NoReply(Exception):
    """The meter did not answer in time."""


class GuruxClient:
    """Associates with one meter as its registry entry says, then reads/writes/acts."""

    def __init__(
        self,
        meter: Meter,
        *,
        password: bytes | None = None,
        keys: tuple[bytes, bytes] | None = None,
        timeout: float = TIMEOUT,
    ) -> None:
        self.meter = meter
        self.timeout = timeout
        hdlc = meter.transport is Transport.HDLC
        mechanism = {
            "none": Authentication.NONE,
            "low": Authentication.LOW,
            "hls-gmac": Authentication.HIGH_GMAC,
        }[str(meter.authentication)]
        server = (
            GXDLMSClient.getServerAddress(meter.server_address, meter.physical_address)
            if hdlc
            else meter.server_address
        )
        if password is None and meter.password is not None:
            password = meter.password.reveal()
        self.client = GXDLMSSecureClient(
            True,
            meter.client_address,
            server,
            mechanism,
            password,
            InterfaceType.HDLC if hdlc else InterfaceType.WRAPPER,
        )
        if mechanism == Authentication.HIGH_GMAC:
            cipher = self.client.ciphering
            cipher.security = Security.AUTHENTICATION_ENCRYPTION
            cipher.systemTitle = b"CASGW001"
            ek, ak = keys or (
                meter.keys.block_cipher_key.reveal(),
                meter.keys.authentication_key.reveal(),
            )
            cipher.blockCipherKey = bytearray(ek)
            cipher.authenticationKey = bytearray(ak)
        self.hdlc = hdlc
        self.last_raw = b""  # the bytes of the last reply, as received
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.wait_for(
            asyncio.open_connection(self.meter.host, self.meter.port), self.timeout
        )

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await self.writer.wait_closed()
            self.writer = None

    async def send_raw(self, data: bytes) -> None:
        assert self.writer is not None
        self.writer.write(data)
        await self.writer.drain()

    async def exchange(self, frame: bytes | bytearray) -> GXReplyData:
        """Send one request and collect the whole reply (HDLC segments, blocks)."""
        reply = GXReplyData()
        self.last_raw = b""
        await self.send_raw(bytes(frame))
        await self._receive(reply)
        while reply.isMoreData():
            await self.send_raw(bytes(quiet(self.client.receiverReady, reply)))
            await self._receive(reply)
        return reply

    async def _receive(self, reply: GXReplyData) -> None:
        assert self.reader is not None
        buffer = GXByteBuffer()
        while True:
            try:
                chunk = await asyncio.wait_for(self.reader.read(65536), self.timeout)
            except TimeoutError:
                raise NoReply("no answer in time") from None
            if not chunk:
                raise ConnectionError("the meter closed the connection")
            buffer.set(chunk)
            self.last_raw += chunk
            with contextlib.redirect_stdout(io.StringIO()):  # gurux prints on decrypt
                if self.client.getData(buffer, reply, None):
                    return

    async def associate(self) -> None:
        """Connect (if needed), SNRM for HDLC, AARQ, and HLS pass 3/4."""
        if self.writer is None:
            await self.connect()
        if self.hdlc:
            reply = await self.exchange(self.client.snrmRequest())
            self.client.parseUAResponse(reply.data)
        for frame in quiet(self.client.aarqRequest):
            reply = await self.exchange(frame)
        quiet(self.client.parseAareResponse, reply.data)
        if self.client.authentication > Authentication.LOW:
            for frame in quiet(self.client.getApplicationAssociationRequest):
                reply = await self.exchange(frame)
            quiet(self.client.parseApplicationAssociationResponse, reply.data)

    async def release(self) -> None:
        for frame in quiet(self.client.releaseRequest):
            await self.exchange(frame)
        if self.hdlc:
            await self.exchange(self.client.disconnectRequest())

    async def read(self, obj: GXDLMSObject, index: int) -> Any:
        reply = await self._all(quiet(self.client.read, obj, index))
        return self.client.updateValue(obj, index, reply.value)

    async def read_list(self, items: list[tuple[GXDLMSObject, int]]) -> list[Any]:
        values: list[Any] = []
        for message in quiet(self.client.readList, items):
            for frame in message if isinstance(message, list) else [message]:
                reply = await self.exchange(frame)
                values.extend(reply.value if isinstance(reply.value, list) else [reply.value])
        return values

    async def read_raw(self, obj: GXDLMSObject, index: int) -> GXReplyData:
        return await self._all(quiet(self.client.read, obj, index))

    async def read_range(
        self, profile: GXDLMSObject, start: datetime, end: datetime
    ) -> GXReplyData:
        return await self._all(quiet(self.client.readRowsByRange, profile, start, end))

    async def read_entries(self, profile: GXDLMSObject, first: int, count: int) -> GXReplyData:
        return await self._all(quiet(self.client.readRowsByEntry, profile, first, count))

    async def write(self, obj: GXDLMSObject, index: int) -> GXReplyData:
        return await self._all(quiet(self.client.write, obj, index))

    async def method(
        self, obj: GXDLMSObject, index: int, value: Any, data_type: int
    ) -> GXReplyData:
        return await self._all(quiet(self.client.method, obj, index, value, data_type))

    async def _all(self, frames: list) -> GXReplyData:
        reply = None
        for frame in frames:
            reply = await self.exchange(frame)
        assert reply is not None
        return reply
