"""asyncio TCP transport: the only place in cas.dlms that touches sockets.

``TcpTransport`` is a raw ``asyncio.Protocol``: no stream reader/writer objects, and no
``asyncio.timeout`` context manager per read or connect (CPU per meter connection). Bytes
are fed to the framer as they arrive, also while nobody is receiving; a receive waits on one
future with one ``call_later`` timer.

``receive`` returns one complete frame from the framer or raises a typed error within the
timeout: MeterTimeout when nothing arrived, FrameError when a frame stayed incomplete
(truncated) or the framer refused the stream, ConnectionClosed when the meter hung up.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol, cast

from cas.dlms.errors import (
    ConnectionClosed,
    FrameError,
    MeterTimeout,
    ProtocolError,
    classify_connect_error,
    classify_io_error,
)

logger = logging.getLogger(__name__)

# Bytes the framer may hold unasked (frames nobody receives) before the socket stops being
# read: the bound asyncio's StreamReader had with its 64 KiB limit.
MAX_BUFFERED = 2 * 65536
CLOSE_TIMEOUT = 1.0


class Framer(Protocol):
    @property
    def pending(self) -> int: ...

    def feed(self, data: bytes) -> None: ...

    def next_frame(self) -> bytes | None: ...


def _wake(waiter: asyncio.Future[None] | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)


class TcpTransport(asyncio.Protocol):
    """One TCP connection to a meter, cut into frames by ``framer``.

    The ``asyncio.Protocol`` callbacks (``connection_made`` ... ``resume_writing``) are for
    the event loop only. Waiters are only ever given results, never exceptions, so a
    cancelled receive, send or close leaves no unretrieved exception behind.
    """

    _transport: asyncio.Transport  # from connection_made, before open() returns

    def __init__(self, framer: Framer, where: str) -> None:
        self._framer = framer
        self.where = where
        self.closed = False
        self._loop = asyncio.get_running_loop()
        self._connected = False
        self._ready: bytes | None = None  # a frame taken from the framer for the receiver
        self._frame_error: FrameError | None = None  # the framer refused the stream: sticky
        self._eof = False  # the meter closed its side, or the connection is gone
        self._lost = False
        self._lost_error: BaseException | None = None
        self._read_paused = False
        self._write_paused = False
        self._waiter: asyncio.Future[None] | None = None  # a receive waiting for a frame
        self._drain_waiters: list[asyncio.Future[None]] = []  # sends waiting for resume_writing
        self._lost_waiter: asyncio.Future[None] | None = None

    @classmethod
    async def open(
        cls, host: str, port: int, framer: Framer, *, connect_timeout: float, where: str
    ) -> TcpTransport:
        transport = cls(framer, where)
        loop = transport._loop
        # asyncio.timeout() without its context manager: a timer that cancels this task
        task = cast(asyncio.Task, asyncio.current_task())
        cancelling = task.cancelling()
        expired = False

        def expire() -> None:
            nonlocal expired
            expired = True
            task.cancel()

        timer = loop.call_later(connect_timeout, expire)
        try:
            await loop.create_connection(lambda: transport, host, port)
        except asyncio.CancelledError:
            if transport._connected:  # the timer or a cancel came just after the connect
                transport.abort()
            if expired and task.uncancel() <= cancelling:
                raise classify_connect_error(TimeoutError(), where) from None
            raise
        except Exception as exc:
            raise classify_connect_error(exc, where) from None
        finally:
            timer.cancel()
        return transport

    # --- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses
        self._connected = True

    def data_received(self, data: bytes) -> None:
        if self._frame_error is not None:
            return  # the stream is refused: what follows cannot be framed either
        framer = self._framer
        waiter = self._waiter
        try:
            framer.feed(data)
            if waiter is None or waiter.done():
                if framer.pending > MAX_BUFFERED and not self._read_paused:
                    self._read_paused = True
                    self._transport.pause_reading()
                return
            frame = framer.next_frame()
        except FrameError as exc:
            self._frame_error = exc
            _wake(waiter)
            return
        if frame is not None:
            self._ready = frame
            waiter.set_result(None)

    def eof_received(self) -> bool:
        self._eof = True
        _wake(self._waiter)
        return True  # keep our side open, as asyncio streams do; close() or abort() ends it

    def connection_lost(self, exc: Exception | None) -> None:
        self._eof = self._lost = True
        self._lost_error = exc
        _wake(self._waiter)
        self._wake_drain_waiters()
        _wake(self._lost_waiter)

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        self._wake_drain_waiters()

    def _wake_drain_waiters(self) -> None:
        for waiter in self._drain_waiters:
            _wake(waiter)

    # --- public interface ---------------------------------------------------------------------

    @property
    def alive(self) -> bool:
        """Open on our side and not closed by the meter (checked before reusing a session)."""
        return not (self.closed or self._eof or self._transport.is_closing())

    async def send(self, data: bytes) -> None:
        if self.closed:
            raise ConnectionClosed(f"{self.where}: connection already closed")
        try:
            self._transport.write(data)
        except Exception as exc:
            raise classify_io_error(exc, self.where) from None
        if self._write_paused:
            await self._drain()

    async def _drain(self) -> None:
        """Wait until the transport takes more data (it paused writing above its high mark)."""
        if self._lost:  # what asyncio's StreamWriter.drain() raised then
            exc = self._lost_error or ConnectionResetError("Connection lost")
            raise classify_io_error(exc, self.where)
        waiter = self._loop.create_future()
        self._drain_waiters.append(waiter)
        try:
            await waiter
        finally:
            self._drain_waiters.remove(waiter)
        if self._lost_error is not None:
            raise classify_io_error(self._lost_error, self.where)

    async def receive(self, timeout: float) -> bytes:
        frame = self._next_frame()
        if frame is not None:
            return frame
        if not self._eof:
            if self._waiter is not None:
                raise ProtocolError(f"{self.where}: RuntimeError")  # two concurrent receivers
            if self._read_paused:
                self._resume_reading()
            waiter = self._waiter = self._loop.create_future()
            timer = self._loop.call_later(timeout, _wake, waiter)
            try:
                await waiter
            finally:
                timer.cancel()
                self._waiter = None
            frame = self._next_frame()
            if frame is not None:
                return frame
        pending = self._framer.pending
        if self._lost_error is not None:
            raise classify_io_error(self._lost_error, self.where)
        if self._eof:
            if pending:
                raise FrameError(
                    f"{self.where}: connection closed inside a frame ({pending} bytes)"
                )
            raise ConnectionClosed(f"{self.where}: connection closed by the meter")
        if pending:
            raise FrameError(
                f"{self.where}: incomplete frame ({pending} bytes) after {timeout:g} s"
            )
        raise MeterTimeout(f"{self.where}: no answer within {timeout:g} s")

    def _next_frame(self) -> bytes | None:
        """A frame already received, if any; FrameError once the framer refused the stream."""
        frame = self._ready
        if frame is not None:
            self._ready = None
            return frame
        if self._frame_error is None:
            try:
                frame = self._framer.next_frame()
            except FrameError as exc:
                self._frame_error = exc
        if self._frame_error is not None:
            raise FrameError(f"{self.where}: {self._frame_error}") from None
        if frame is not None and self._read_paused and self._framer.pending <= MAX_BUFFERED:
            self._resume_reading()
        return frame

    def _resume_reading(self) -> None:
        self._read_paused = False
        if not self._lost:
            self._transport.resume_reading()

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self._transport.close()
            if not self._lost:
                waiter = self._lost_waiter = self._loop.create_future()
                timer = self._loop.call_later(CLOSE_TIMEOUT, _wake, waiter)
                try:
                    await waiter
                finally:
                    timer.cancel()
                    self._lost_waiter = None
        except Exception:  # closing is best effort: the peer may already be gone
            logger.debug("%s: close failed", self.where, exc_info=True)
            return
        if not self._lost or self._lost_error is not None:
            logger.debug("%s: close did not complete cleanly", self.where)

    def abort(self) -> None:
        """Drop the connection at once (no FIN handshake wait)."""
        self.closed = True
        self._transport.abort()
