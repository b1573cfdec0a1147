"""One TCP connection to a simulated meter: frames in, gurux, latency and faults, frames out.

An asyncio ``Protocol`` (no task, no stream objects per connection). Requests are answered
one at a time, in order: while a reply waits out the meter's latency (or the ``delay``
fault) the requests that follow wait behind it, as with a real meter.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import deque
from typing import TYPE_CHECKING, Protocol, cast

from cas.simulator import faults as fault_bytes
from cas.simulator.frames import FrameError, FrameReader, hdlc_is_final
from cas.simulator.server import MeterServer

if TYPE_CHECKING:
    from cas.simulator.meter import FleetContext, SimulatedMeter


class Router(Protocol):
    """Finds the meter of a connection from its first frame (meters behind one port)."""

    transport: str
    max_frame: int
    inactivity_timeout: float
    context: FleetContext

    def route(self, frame: bytes) -> SimulatedMeter | None: ...


log = logging.getLogger(__name__)

OVERSIZED_CHUNK = 16384
MAX_WAITING_REQUESTS = 64  # requests queued behind a reply still waiting its latency


class MeterConnection(asyncio.Protocol):
    """Serves one client until it leaves, idles too long, misbehaves or a fault ends it.

    ``meter``: the meter listening on the port; None: the ``router`` finds it from the
    first frame's destination address (meters behind one port), and the connection counts
    from then on.
    """

    def __init__(self, meter: SimulatedMeter | None, router: Router | None = None) -> None:
        source: SimulatedMeter | Router | None = meter if meter is not None else router
        if source is None:
            raise TypeError("a connection needs its meter or a router")
        self.meter = meter
        self.router = router
        self.context = source.context
        self.hdlc = source.transport == "hdlc"
        self.inactivity_timeout = source.inactivity_timeout
        self.frames = FrameReader(self.hdlc, source.max_frame)
        self.transport: asyncio.Transport | None = None
        self.server: MeterServer | None = None  # taken from the pool on the first frame
        self.stalled = False  # after a truncated reply: read, never answer
        self._loop = asyncio.get_running_loop()
        self._requests: deque[bytes] = deque()
        self._reply_timer: asyncio.TimerHandle | None = None  # a reply waiting its latency
        self._idle_timer: asyncio.TimerHandle | None = None
        self._last_activity = 0.0
        self._counted = False  # counted as open (until the peer leaves or we close)
        self._closing = False
        self._paused = False  # the transport's write buffer is full
        self._oversized_sent = -1  # bytes streamed by the oversized fault (-1: not running)
        self._message_ciphered = False  # the reply message in progress is ciphered
        self._message_start = True  # the next reply frame starts a message

    # -- asyncio callbacks ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses
        self.context.connections.add(self)
        if self.meter is not None:
            self._counted = True
            self.meter.connection_opened(self)
        self._last_activity = self._loop.time()
        self._arm_idle_timer(self.inactivity_timeout)

    def data_received(self, data: bytes) -> None:
        self._last_activity = self._loop.time()
        if self._closing:
            return
        try:
            self._requests.extend(self.frames.feed(data))
        except FrameError as error:
            log.debug("meter %s: dropping connection: %s", self._name, error)
            self.close()
            return
        if len(self._requests) > MAX_WAITING_REQUESTS:
            # Reading goes on while a reply waits (so a peer that leaves is seen at once),
            # but a peer sending without waiting for answers is dropped.
            log.debug("meter %s: too many requests waiting, closing", self._name)
            self.close()
            return
        if self.meter is None and self._requests and not self._route(self._requests[0]):
            return
        self._answer_waiting()

    def _route(self, frame: bytes) -> bool:
        """Find the meter the first frame is for (False: none, the connection is closed)."""
        assert self.router is not None
        meter = self.router.route(frame)
        if meter is None:
            log.debug("no meter listens for the first frame %s, closing", frame[:16].hex())
            self.close()
            return False
        self.meter = meter
        self._counted = True
        meter.connection_opened(self)
        return True

    @property
    def _name(self) -> str:
        return self.meter.system_title if self.meter is not None else "(not yet known)"

    def eof_received(self) -> bool:
        self._uncount()  # the peer has gone: the connection no longer counts as open
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._closing = True
        self._uncount()
        for timer in (self._reply_timer, self._idle_timer):
            if timer is not None:
                timer.cancel()
        self._reply_timer = self._idle_timer = None
        self._requests.clear()
        self.context.connections.discard(self)
        if self.meter is not None:
            self.meter.connection_closed(self)
        server, self.server = self.server, None
        if server is not None:
            self.context.servers.release(server)

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        if self._oversized_sent >= 0:
            self._stream_oversized()

    # -- answering --------------------------------------------------------------------------

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            self._requests.clear()
            self._uncount()  # closed by the meter: no longer counts as open
            if self.transport is not None:
                self.transport.close()

    def _uncount(self) -> None:
        if self._counted and self.meter is not None:
            self._counted = False
            self.meter.connection_uncounted()

    def _answer_waiting(self) -> None:
        while self._requests and self._reply_timer is None and not self._closing:
            self._answer(self._requests.popleft())

    def _answer(self, request: bytes) -> None:
        meter = self.meter
        assert meter is not None
        faults = meter.active_faults
        if self.stalled or (faults is not None and faults.no_answer):
            return
        if faults is not None and faults.close:
            self.close()
            return
        server = self.server
        if server is None:
            server = self.server = self.context.servers.acquire(meter)
        try:
            reply = server.handle(request)
        except Exception as error:  # gurux raised: log it, close this connection only
            log.warning(
                "meter %s: cannot handle request (%s: %s), closing",
                meter.system_title,
                type(error).__name__,
                error,
            )
            self.close()
            return
        if reply is None:
            return
        meter.replied()
        wait = meter.reply_wait()
        if wait > 0:
            self._reply_timer = self._loop.call_later(wait, self._send_late, reply)
        else:
            self._send_reply(reply)

    def _send_late(self, reply: bytes) -> None:
        self._reply_timer = None
        if self._closing:
            return
        self._send_reply(reply)
        self._answer_waiting()

    def _send_reply(self, reply: bytes) -> None:
        assert self.meter is not None
        faults = self.meter.active_faults
        transport = self.transport
        assert transport is not None
        if faults is None:
            transport.write(self._protect(reply))
        elif faults.garbage:
            transport.write(os.urandom(max(16, len(reply))))
        elif faults.truncate:
            transport.write(reply[: len(reply) // 2])
            self.stalled = True
        elif faults.oversized:
            self._requests.clear()
            self.stalled = True  # the connection ends when the stream does
            transport.write(fault_bytes.oversized_header(self.hdlc))
            self._oversized_sent = 0
            self._stream_oversized()
        else:
            transport.write(self._protect(reply))

    def _stream_oversized(self) -> None:
        transport = self.transport
        assert transport is not None
        chunk = fault_bytes.stream_filler(OVERSIZED_CHUNK)
        while not self._paused and not transport.is_closing():
            if self._oversized_sent >= fault_bytes.OVERSIZED_STREAM_LIMIT:
                self._oversized_sent = -1
                self.close()
                return
            transport.write(chunk)
            self._oversized_sent += len(chunk)

    def _protect(self, reply: bytes) -> bytes:
        """Apply replay / flip_tag to ciphered replies; capture them for a later replay."""
        meter = self.meter
        assert meter is not None
        first = self._message_start
        if first:
            self._message_ciphered = fault_bytes.is_ciphered_reply(reply, self.hdlc)
        final = not self.hdlc or hdlc_is_final(reply)
        self._message_start = final
        if not self._message_ciphered:
            return reply
        faults = meter.active_faults
        replay = faults is not None and faults.replay
        flip_tag = faults is not None and faults.flip_tag
        single = first and final
        if replay and meter.captured_reply is not None:
            return fault_bytes.replayed(meter.captured_reply, reply, self.hdlc)
        if single and not flip_tag:
            meter.captured_reply = reply
        if flip_tag and final:
            return fault_bytes.flip_tag_bit(reply, self.hdlc)
        return reply

    # -- inactivity -------------------------------------------------------------------------

    def _arm_idle_timer(self, delay: float) -> None:
        self._idle_timer = self._loop.call_later(delay, self._idle_check)

    def _idle_check(self) -> None:
        """Close after ``inactivity_timeout`` without a byte received (not counting the time
        a reply waits out its latency)."""
        meter = self.meter
        timeout = meter.inactivity_timeout if meter is not None else self.inactivity_timeout
        now = self._loop.time()
        if self._reply_timer is not None:
            self._last_activity = now
        idle = now - self._last_activity
        if idle >= timeout:
            self._idle_timer = None
            log.debug("meter %s: idle for %ss, closing", self._name, timeout)
            self.close()
        else:
            self._arm_idle_timer(timeout - idle)
