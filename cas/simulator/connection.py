"""One TCP connection to a simulated meter: frames in, gurux, faults, frames out."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import TYPE_CHECKING

from cas.simulator import faults as fault_bytes
from cas.simulator.frames import FrameError, FrameReader, hdlc_is_final
from cas.simulator.server import MeterServer

if TYPE_CHECKING:
    from cas.simulator.fleet import SimulatedMeter

log = logging.getLogger(__name__)

READ_SIZE = 65536


class MeterConnection:
    """Serves one client until it leaves, idles too long, misbehaves or a fault ends it."""

    def __init__(
        self, meter: SimulatedMeter, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.meter = meter
        self.reader = reader
        self.writer = writer
        self.hdlc = meter.transport == "hdlc"
        self.frames = FrameReader(self.hdlc, meter.max_frame)
        self.server: MeterServer | None = None  # created on the first frame
        self.stalled = False  # after a truncated reply: read, never answer
        self._message_ciphered = False  # the reply message in progress is ciphered
        self._message_start = True  # the next reply frame starts a message

    async def run(self) -> None:
        stats = self.meter.stats
        stats.connections += 1
        stats.open_connections += 1
        try:
            await self._serve()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except Exception:  # never let one connection take the meter down
            log.exception("meter %s: connection failed", self.meter.system_title)
        finally:
            stats.open_connections -= 1
            self.writer.close()

    async def _serve(self) -> None:
        meter = self.meter
        while True:
            try:
                async with asyncio.timeout(meter.inactivity_timeout):
                    data = await self.reader.read(READ_SIZE)
            except TimeoutError:
                log.debug(
                    "meter %s: idle for %ss, closing", meter.system_title, meter.inactivity_timeout
                )
                return
            if not data:
                return
            try:
                requests = self.frames.feed(data)
            except FrameError as error:
                log.debug("meter %s: dropping connection: %s", meter.system_title, error)
                return
            for request in requests:
                if not await self._answer(request):
                    return

    async def _answer(self, request: bytes) -> bool:
        """Answer one request frame; False ends the connection."""
        meter = self.meter
        faults = meter.faults
        if self.stalled or faults.no_answer:
            return True
        if faults.close:
            return False
        if self.server is None:
            self.server = MeterServer(meter)
        try:
            reply = self.server.handle(request)
        except Exception as error:  # gurux raised: log it, close this connection only
            log.warning(
                "meter %s: cannot handle request (%s: %s), closing",
                meter.system_title,
                type(error).__name__,
                error,
            )
            return False
        if reply is None:
            return True
        meter.stats.requests += 1
        if faults.delay > 0:
            await asyncio.sleep(faults.delay)
        if faults.garbage:
            await self._send(os.urandom(max(16, len(reply))))
            return True
        if faults.truncate:
            await self._send(reply[: len(reply) // 2])
            self.stalled = True
            return True
        if faults.oversized:
            await self._stream_oversized()
            return False
        await self._send(self._protect(reply))
        return True

    def _protect(self, reply: bytes) -> bytes:
        """Apply replay / flip_tag to ciphered replies; capture them for a later replay."""
        meter = self.meter
        first = self._message_start
        if first:
            self._message_ciphered = fault_bytes.is_ciphered_reply(reply, self.hdlc)
        final = not self.hdlc or hdlc_is_final(reply)
        self._message_start = final
        if not self._message_ciphered:
            return reply
        single = first and final
        if meter.faults.replay and meter.captured_reply is not None:
            return fault_bytes.replayed(meter.captured_reply, reply, self.hdlc)
        if single and not meter.faults.flip_tag:
            meter.captured_reply = reply
        if meter.faults.flip_tag and final:
            return fault_bytes.flip_tag_bit(reply, self.hdlc)
        return reply

    async def _send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def _stream_oversized(self) -> None:
        await self._send(fault_bytes.oversized_header(self.hdlc))
        chunk = fault_bytes.stream_filler(16384)
        sent = 0
        while sent < fault_bytes.OVERSIZED_STREAM_LIMIT and not self.writer.is_closing():
            await self._send(chunk)
            sent += len(chunk)
