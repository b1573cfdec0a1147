"""TcpTransport against real local TCP servers, on asyncio's loop and on uvloop (the gateway's).

Every test also fails on anything the loop's exception handler saw ("Future exception was
never retrieved", an exception in a callback).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import socket
import struct
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from cas.dlms.errors import ConnectionClosed, FrameError, MeterTimeout, MeterUnreachable
from cas.dlms.framing import HdlcFramer, WrapperFramer
from cas.dlms.transport import TcpTransport

WHERE = "meter 4D4D4D0000BC614E"

LOOPS: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {"asyncio": asyncio.new_event_loop}
with contextlib.suppress(ImportError):
    import uvloop

    LOOPS["uvloop"] = uvloop.new_event_loop

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def on_both_loops(test: Callable[[], Awaitable[None]]) -> Callable[[str], None]:
    """The coroutine function as a test run once per event loop."""

    @pytest.mark.parametrize("loop_name", list(LOOPS))
    def run(loop_name: str) -> None:
        seen: list[dict] = []
        with asyncio.Runner(loop_factory=LOOPS[loop_name]) as runner:
            runner.get_loop().set_exception_handler(lambda _loop, context: seen.append(context))
            runner.run(test())
            gc.collect()  # unretrieved future exceptions are reported when collected
        assert not seen, seen

    run.__name__, run.__doc__ = test.__name__, test.__doc__
    return run


def wrapper(payload: bytes) -> bytes:
    return struct.pack(">HHHH", 1, 1, 16, len(payload)) + payload


@contextlib.asynccontextmanager
async def server(handler: Handler) -> AsyncIterator[int]:
    """A server on 127.0.0.1 running ``handler`` for each connection; yields its port."""
    tasks: set[asyncio.Task] = set()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        tasks.add(asyncio.current_task())  # type: ignore[arg-type]
        try:
            await handler(reader, writer)
        except asyncio.CancelledError:
            pass  # a cancelled handler task upsets asyncio's streams on Python 3.11
        finally:
            writer.close()

    listener = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield listener.sockets[0].getsockname()[1]
    finally:
        listener.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@contextlib.asynccontextmanager
async def connected(handler: Handler, framer=None) -> AsyncIterator[TcpTransport]:
    async with server(handler) as port:
        transport = await TcpTransport.open(
            "127.0.0.1",
            port,
            framer or WrapperFramer(4096),
            connect_timeout=2.0,
            where=WHERE,
        )
        try:
            yield transport
        finally:
            await transport.close()


def sends(*chunks: bytes, pause: float = 0.0, then_close: bool = False, hold: bool = True):
    """A handler writing ``chunks`` (``pause`` apart), then closing or holding the line."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for chunk in chunks:
            writer.write(chunk)
            await writer.drain()
            if pause:
                await asyncio.sleep(pause)
        if then_close:
            return
        if hold:
            await reader.read()  # until the client leaves

    return handler


# --- frames -------------------------------------------------------------------------------


@on_both_loops
async def test_a_frame_split_across_many_chunks():
    frame = wrapper(bytes(range(200)))
    chunks = [frame[i : i + 7] for i in range(0, len(frame), 7)]
    async with connected(sends(*chunks, pause=0.002)) as transport:
        assert await transport.receive(5.0) == frame
        assert transport.alive


@on_both_loops
async def test_two_frames_in_one_chunk_the_second_without_waiting():
    first, second = wrapper(b"\xc4\x01\x01"), wrapper(b"\xc4\x01\x02\x00")
    async with connected(sends(first + second)) as transport:
        assert await transport.receive(5.0) == first
        assert await transport.receive(0.0) == second  # already in the framer: no wait


@on_both_loops
async def test_data_arriving_while_nobody_receives_is_kept():
    frame = wrapper(b"early")
    async with connected(sends(frame)) as transport:
        await asyncio.sleep(0.1)
        assert await transport.receive(0.0) == frame


@on_both_loops
async def test_many_unasked_frames_are_all_delivered():
    frames = [wrapper(i.to_bytes(4, "big") * 100) for i in range(1000)]  # ~400 KB unasked
    async with connected(sends(b"".join(frames))) as transport:
        await asyncio.sleep(0.2)  # reading pauses while the framer holds too much
        for frame in frames:
            assert await transport.receive(5.0) == frame


@on_both_loops
async def test_hdlc_frames():
    frame = bytes([0x7E, 0xA0, 0x07, 0x03, 0x21, 0x93, 0x0F, 0x01, 0x7E])
    chunks = [frame[:2], frame[2:5], frame[5:] + frame[1:]]  # the closing flag opens the next
    async with connected(sends(*chunks, pause=0.01), HdlcFramer()) as transport:
        assert await transport.receive(5.0) == frame
        assert await transport.receive(5.0) == frame


# --- errors while receiving ---------------------------------------------------------------


@on_both_loops
async def test_nothing_sent_is_a_meter_timeout():
    async with connected(sends()) as transport:
        started = time.monotonic()
        with pytest.raises(MeterTimeout, match=rf"^{WHERE}: no answer within 0\.2 s$"):
            await transport.receive(0.2)
        assert 0.15 < time.monotonic() - started < 1.5
        assert transport.alive  # the caller decides; the transport is still usable


@on_both_loops
async def test_a_partial_frame_at_the_timeout_is_a_frame_error():
    async with connected(sends(wrapper(b"12345678")[:11])) as transport:
        started = time.monotonic()
        with pytest.raises(
            FrameError, match=rf"^{WHERE}: incomplete frame \(11 bytes\) after 0\.2 s$"
        ):
            await transport.receive(0.2)
        assert 0.15 < time.monotonic() - started < 1.5


@on_both_loops
async def test_eof_inside_a_frame():
    async with connected(sends(wrapper(b"12345678")[:10], then_close=True)) as transport:
        with pytest.raises(
            FrameError, match=rf"^{WHERE}: connection closed inside a frame \(10 bytes\)$"
        ):
            await transport.receive(5.0)
        assert not transport.alive


@on_both_loops
async def test_clean_eof_after_a_frame():
    frame = wrapper(b"bye")
    async with connected(sends(frame, then_close=True)) as transport:
        assert await transport.receive(5.0) == frame
        with pytest.raises(ConnectionClosed, match=rf"^{WHERE}: connection closed by the meter$"):
            await transport.receive(5.0)
        assert not transport.alive
        with pytest.raises(ConnectionClosed):  # and again, at once
            await transport.receive(5.0)


@on_both_loops
async def test_peer_reset():
    async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readexactly(3)
        sock = writer.transport.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()  # RST instead of FIN

    async with connected(reset) as transport:
        await transport.send(b"abc")
        with pytest.raises(ConnectionClosed, match=rf"^{WHERE}: connection closed by the meter$"):
            await transport.receive(5.0)
        assert not transport.alive


@on_both_loops
async def test_garbage_is_refused_with_the_meter_named():
    async with connected(sends(b"\x55\x55\x55")) as transport:
        await asyncio.sleep(0.05)  # arrives while nobody receives: raised by the next receive
        with pytest.raises(FrameError, match=rf"^{WHERE}: not a wrapper frame \(version 21845\)"):
            await transport.receive(5.0)
        with pytest.raises(FrameError):  # the stream stays refused
            await transport.receive(5.0)


@on_both_loops
async def test_garbage_after_a_frame_in_the_same_chunk():
    async with connected(sends(wrapper(b"ok") + b"\x55\x55")) as transport:
        with pytest.raises(FrameError, match=rf"^{WHERE}: not a wrapper frame"):
            await transport.receive(5.0)


@on_both_loops
async def test_oversized_frame_is_refused_while_waiting():
    async with connected(sends(struct.pack(">HHHH", 1, 1, 16, 5000)), WrapperFramer(4096)) as t:
        with pytest.raises(FrameError, match=rf"^{WHERE}: wrapper frame announces 5000 bytes"):
            await t.receive(5.0)


# --- cancellation ---------------------------------------------------------------------------


@on_both_loops
async def test_a_cancelled_receive_leaves_the_transport_usable():
    frame = wrapper(b"later")
    go = asyncio.Event()

    async def answer_later(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await go.wait()
        writer.write(frame[:5])
        await writer.drain()
        await asyncio.sleep(0.02)
        writer.write(frame[5:])
        await reader.read()

    async with connected(answer_later) as transport:
        receiving = asyncio.ensure_future(transport.receive(0.3))
        await asyncio.sleep(0.05)
        receiving.cancel()
        with pytest.raises(asyncio.CancelledError):
            await receiving
        go.set()
        assert await transport.receive(5.0) == frame
        await asyncio.sleep(0.4)  # past the cancelled receive's timeout: its timer is gone
        assert transport.alive


@on_both_loops
async def test_a_frame_that_arrived_just_before_the_cancel_is_not_lost():
    frame = wrapper(b"raced")
    async with connected(sends()) as transport:
        receiving = asyncio.ensure_future(transport.receive(5.0))
        await asyncio.sleep(0.01)
        transport.data_received(frame)  # the frame wakes the receive ...
        receiving.cancel()  # ... which is cancelled before it runs
        with pytest.raises(asyncio.CancelledError):
            await receiving
        assert await transport.receive(0.0) == frame


async def test_a_cancelled_receive_leaves_no_timer():
    loop = asyncio.get_running_loop()
    if not hasattr(loop, "_scheduled"):
        pytest.skip("looks into asyncio's own loop")
    async with connected(sends()) as transport:
        receiving = asyncio.ensure_future(transport.receive(30.0))
        await asyncio.sleep(0.01)
        receiving.cancel()
        with pytest.raises(asyncio.CancelledError):
            await receiving
        # asyncio's loop keeps cancelled timers in its heap until they are due
        assert all(handle.cancelled() for handle in loop._scheduled)  # type: ignore[attr-defined]


# --- sending, connecting, closing ---------------------------------------------------------


@on_both_loops
async def test_send_after_close_and_after_abort():
    async with connected(sends()) as transport:
        await transport.close()
        assert transport.closed and not transport.alive
        with pytest.raises(ConnectionClosed, match=rf"^{WHERE}: connection already closed$"):
            await transport.send(b"x")
        await transport.close()  # twice is fine
    async with connected(sends()) as transport:
        transport.abort()
        assert transport.closed and not transport.alive
        with pytest.raises(ConnectionClosed, match="already closed"):
            await transport.send(b"x")


@on_both_loops
async def test_send_waits_while_the_meter_does_not_read():
    received = bytearray()
    start_reading = asyncio.Event()

    async def slow_reader(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await start_reading.wait()
        while chunk := await reader.read(65536):
            received.extend(chunk)

    data = b"\xaa" * (8 << 20)  # more than the socket buffers take
    async with connected(slow_reader) as transport:
        sending = asyncio.ensure_future(transport.send(data))
        await asyncio.sleep(0.2)
        assert not sending.done()  # paused by flow control
        start_reading.set()
        await asyncio.wait_for(sending, 10.0)
        assert transport.alive
        for _ in range(250):  # the last bytes are still in the socket buffers
            if len(received) == len(data):
                break
            await asyncio.sleep(0.02)
        assert len(received) == len(data)


@on_both_loops
async def test_connect_refused():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(MeterUnreachable, match=rf"^{WHERE}: "):
        await TcpTransport.open(
            "127.0.0.1", port, WrapperFramer(100), connect_timeout=2.0, where=WHERE
        )


async def test_connect_timeout(monkeypatch):
    async def never(*args, **kwargs):
        await asyncio.sleep(3600)

    monkeypatch.setattr(asyncio.get_running_loop(), "create_connection", never)
    started = time.monotonic()
    with pytest.raises(MeterUnreachable, match=rf"^{WHERE}: connect timed out$"):
        await TcpTransport.open(
            "127.0.0.1", 1, WrapperFramer(100), connect_timeout=0.1, where=WHERE
        )
    assert time.monotonic() - started < 1.0


async def test_a_cancelled_connect_is_a_cancel_not_a_timeout(monkeypatch):
    async def never(*args, **kwargs):
        await asyncio.sleep(3600)

    monkeypatch.setattr(asyncio.get_running_loop(), "create_connection", never)
    opening = asyncio.ensure_future(
        TcpTransport.open("127.0.0.1", 1, WrapperFramer(100), connect_timeout=0.1, where=WHERE)
    )
    await asyncio.sleep(0.01)
    opening.cancel()
    with pytest.raises(asyncio.CancelledError):
        await opening
    with pytest.raises(TimeoutError):  # the caller's own, shorter timeout stays the caller's
        async with asyncio.timeout(0.05):
            await TcpTransport.open(
                "127.0.0.1", 1, WrapperFramer(100), connect_timeout=5.0, where=WHERE
            )


@on_both_loops
async def test_connect_within_the_timeout_leaves_no_pending_cancel():
    async with server(sends()) as port:
        for _ in range(5):
            transport = await TcpTransport.open(
                "127.0.0.1", port, WrapperFramer(100), connect_timeout=0.05, where=WHERE
            )
            await asyncio.sleep(0.06)  # past the connect timeout: nothing cancels this task
            assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]
            transport.abort()


@on_both_loops
async def test_close_is_bounded_and_never_raises():
    async with connected(sends(then_close=True)) as transport:
        await asyncio.sleep(0.05)  # the meter is gone already
        started = time.monotonic()
        await transport.close()
        await transport.close()
        assert time.monotonic() - started < 1.5
