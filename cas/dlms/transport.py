"""asyncio TCP transport: the only place in cas.dlms that touches sockets.

``receive`` returns one complete frame from the framer or raises a typed error within the
timeout: MeterTimeout when nothing arrived, FrameError when a frame stayed incomplete
(truncated) or the framer refused the stream, ConnectionClosed when the meter hung up.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from cas.dlms.errors import (
    ConnectionClosed,
    FrameError,
    MeterTimeout,
    classify_connect_error,
    classify_io_error,
)

logger = logging.getLogger(__name__)

READ_CHUNK = 65536


class Framer(Protocol):
    @property
    def pending(self) -> int: ...

    def feed(self, data: bytes) -> None: ...

    def next_frame(self) -> bytes | None: ...


class TcpTransport:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        framer: Framer,
        where: str,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._framer = framer
        self.where = where
        self.closed = False

    @classmethod
    async def open(
        cls, host: str, port: int, framer: Framer, *, connect_timeout: float, where: str
    ) -> TcpTransport:
        try:
            async with asyncio.timeout(connect_timeout):
                reader, writer = await asyncio.open_connection(host, port, limit=READ_CHUNK)
        except Exception as exc:
            raise classify_connect_error(exc, where) from None
        return cls(reader, writer, framer, where)

    @property
    def alive(self) -> bool:
        """Open on our side and not closed by the meter (checked before reusing a session)."""
        return not (self.closed or self._writer.is_closing() or self._reader.at_eof())

    async def send(self, data: bytes) -> None:
        if self.closed:
            raise ConnectionClosed(f"{self.where}: connection already closed")
        try:
            self._writer.write(data)
            if self._writer.transport.get_write_buffer_size() > READ_CHUNK:
                await self._writer.drain()
        except Exception as exc:
            raise classify_io_error(exc, self.where) from None

    async def receive(self, timeout: float) -> bytes:
        try:
            frame = self._framer.next_frame()
        except FrameError as exc:
            raise FrameError(f"{self.where}: {exc}") from None
        if frame is not None:
            return frame
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            try:
                async with asyncio.timeout_at(deadline):
                    chunk = await self._reader.read(READ_CHUNK)
            except TimeoutError:
                if self._framer.pending:
                    raise FrameError(
                        f"{self.where}: incomplete frame ({self._framer.pending} bytes) "
                        f"after {timeout:g} s"
                    ) from None
                raise MeterTimeout(f"{self.where}: no answer within {timeout:g} s") from None
            except Exception as exc:
                raise classify_io_error(exc, self.where) from None
            if not chunk:
                if self._framer.pending:
                    raise FrameError(
                        f"{self.where}: connection closed inside a frame "
                        f"({self._framer.pending} bytes)"
                    )
                raise ConnectionClosed(f"{self.where}: connection closed by the meter")
            try:
                self._framer.feed(chunk)
                frame = self._framer.next_frame()
            except FrameError as exc:
                raise FrameError(f"{self.where}: {exc}") from None
            if frame is not None:
                return frame

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._writer.close()
        try:
            async with asyncio.timeout(1.0):
                await self._writer.wait_closed()
        except Exception:  # closing is best effort: the peer may already be gone
            logger.debug("%s: close did not complete cleanly", self.where)

    def abort(self) -> None:
        """Drop the connection at once (no FIN handshake wait)."""
        self.closed = True
        self._writer.transport.abort()
