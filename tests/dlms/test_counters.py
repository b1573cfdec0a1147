"""Invocation counters: never reused (also across processes), meter counters must increase."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cas.dlms.counters import (
    InvocationCounterStore,
    MemoryInvocationCounterStore,
    MeterCounters,
    SqliteInvocationCounterStore,
)
from cas.dlms.errors import ReplayError, SecurityError
from cas.registry import Meter

from . import apdus
from .conftest import fleet_of, quick

TITLE = "53494D00000F4241"


@pytest.fixture(params=["memory", "sqlite"])
async def store(request, tmp_path):
    store = (
        MemoryInvocationCounterStore()
        if request.param == "memory"
        else SqliteInvocationCounterStore(tmp_path / "counters.sqlite")
    )
    yield store
    await store.close()


async def test_store_contract(store):
    assert isinstance(store, InvocationCounterStore)
    first = await store.reserve(TITLE, 10)
    second = await store.reserve(TITLE, 5)
    other = await store.reserve("0000000000000001", 3)
    assert first == 1 and second == 11 and other == 1
    assert await store.last_received(TITLE) is None
    await store.record_received(TITLE, 50)
    await store.record_received(TITLE, 40)  # never goes back
    assert await store.last_received(TITLE) == 50
    assert await store.reserve(TITLE, 1) == 16  # recording did not disturb reservations


async def test_counter_space_runs_out_loudly(store):
    await store.reserve(TITLE, 2**32 - 10)
    with pytest.raises(SecurityError, match="exhausted"):
        await store.reserve(TITLE, 20)


async def test_meter_counters_hot_path_and_blocks(store):
    counters = MeterCounters(store, TITLE, block=4)
    await counters.ensure(1)
    taken = [counters.take() for _ in range(4)]
    assert taken == [1, 2, 3, 4]
    with pytest.raises(SecurityError):
        counters.take()  # never beyond the durable reservation
    await counters.ensure(3)
    assert counters.take() == 5
    counters.consumed_up_to(7)  # gurux used 6 for the AARQ
    assert counters.take() == 7
    with pytest.raises(SecurityError):
        counters.consumed_up_to(100)


async def test_meter_counter_must_increase_also_after_a_restart(tmp_path):
    path = tmp_path / "counters.sqlite"
    store = SqliteInvocationCounterStore(path)
    counters = MeterCounters(store, TITLE)
    await counters.load()
    counters.check_received(100)
    with pytest.raises(ReplayError):
        counters.check_received(100)
    counters.check_received(101)
    await counters.flush()
    await store.close()

    store = SqliteInvocationCounterStore(path)  # a new process would open the file again
    counters = MeterCounters(store, TITLE)
    await counters.load()
    with pytest.raises(ReplayError, match="last seen 101"):
        counters.check_received(101)
    counters.check_received(102)
    await store.close()


RESERVE_IN_A_NEW_PROCESS = textwrap.dedent(
    """
    import asyncio, sys
    from cas.dlms.counters import SqliteInvocationCounterStore

    async def main():
        store = SqliteInvocationCounterStore(sys.argv[1])
        print(await store.reserve(sys.argv[2], 256))
        await store.close()

    asyncio.run(main())
    """
)


def test_a_new_process_never_reuses_a_counter(tmp_path):
    path = str(tmp_path / "counters.sqlite")
    firsts = [
        int(
            subprocess.run(
                [sys.executable, "-c", RESERVE_IN_A_NEW_PROCESS, path, TITLE],
                check=True,
                capture_output=True,
                text=True,
                timeout=60,
            ).stdout
        )
        for _ in range(2)
    ]
    assert firsts == [1, 257]


async def test_sessions_across_a_restart_use_fresh_counters(tmp_path):
    """The gateway's counters after a restart start beyond everything reserved before."""
    from cas.dlms.pool import SessionPool

    path = tmp_path / "counters.sqlite"
    async with fleet_of("wrapper", "hls-gmac") as fleet:
        meter = fleet.meters[0]
        used = []
        for _ in range(2):  # two gateway lifetimes on one counter file
            store = SqliteInvocationCounterStore(path)
            pool = SessionPool(store)
            async with pool.session(meter) as session:
                first = session.counters.next_counter
                await session.request(apdus.get(apdus.SERIAL))
                used.append(range(first, session.counters.next_counter))
            await pool.close()
            await store.close()
        # Each association takes 3 counters (AARQ, HLS pass 3 GMAC and its request) before
        # the GET; the second lifetime's association started past the first one's block.
        assert used[0] == range(4, 5)
        assert used[1].start - 3 >= used[0].stop
        assert used[1].start - 3 == 1 + 256  # the next durable block
        assert fleet[0].stats.associations == 2


class CountingStore(MemoryInvocationCounterStore):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    async def reserve(self, system_title: str, count: int) -> int:
        self.calls.append("reserve")
        return await super().reserve(system_title, count)

    async def last_received(self, system_title: str) -> int | None:
        self.calls.append("last_received")
        return await super().last_received(system_title)

    async def record_received(self, system_title: str, counter: int) -> None:
        self.calls.append("record_received")
        await super().record_received(system_title, counter)


@pytest.mark.parametrize(
    ("security", "calls"),
    [("none", []), ("hls-gmac", ["last_received", "reserve", "record_received"])],
)
async def test_the_hot_path_does_not_touch_the_store(security, calls):
    from cas.dlms.pool import SessionPool

    async with fleet_of("wrapper", security) as fleet:
        store = CountingStore()
        pool = SessionPool(store)
        for _ in range(30):
            await pool.request(fleet.meters[0], apdus.get(apdus.ENERGY_IMPORT))
        await pool.close()
        assert store.calls == calls  # one reservation for 30 requests, one flush at release


async def read_wrapper_frame(reader: asyncio.StreamReader) -> bytes | None:
    """One IP wrapper frame (8-byte header, length in its last two bytes); None at EOF."""
    try:
        header = await reader.readexactly(8)
        return header + await reader.readexactly(int.from_bytes(header[6:8], "big"))
    except asyncio.IncompleteReadError:
        return None


class Interceptor:
    """A man in the middle between the gateway and a wrapper meter, over TCP.

    Relaying, it records the meter's frames; ``replaying``, it plays the meter itself and
    answers the gateway's AARQ with the first frame recorded (the AARE of an earlier
    association, bit for bit)."""

    def __init__(self, meter: Meter) -> None:
        self.meter = meter
        self.recorded: list[bytes] = []
        self.replaying = False
        self.replayed = 0
        self._server: asyncio.AbstractServer | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self.port = 0

    async def __aenter__(self) -> Interceptor:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        if self.replaying:
            if await read_wrapper_frame(reader) is not None:  # the AARQ
                writer.write(self.recorded[0])
                self.replayed += 1
            await reader.read()  # until the gateway hangs up
            writer.close()
            return
        meter_reader, meter_writer = await asyncio.open_connection(self.meter.host, self.meter.port)
        self._writers.append(meter_writer)

        async def relay(
            source: asyncio.StreamReader, destination: asyncio.StreamWriter, record: bool
        ) -> None:
            while (frame := await read_wrapper_frame(source)) is not None:
                if record:
                    self.recorded.append(frame)
                destination.write(frame)
            destination.close()

        with contextlib.suppress(ConnectionError):
            await asyncio.gather(
                relay(reader, meter_writer, False), relay(meter_reader, writer, True)
            )


async def test_a_response_captured_before_a_crash_is_refused_after_it(tmp_path: Path) -> None:
    """The meter's counter reaches the store with each block of the gateway's counters, not
    only when a session ends: a gateway that crashed mid-session (nothing closed, nothing
    flushed) still refuses, once restarted, an AARE recorded before the crash."""
    from cas.dlms.pool import SessionPool
    from cas.dlms.session import SessionSettings

    path = tmp_path / "counters.sqlite"
    async with (
        fleet_of("wrapper", "hls-gmac") as fleet,
        Interceptor(fleet.meters[0]) as interceptor,
    ):
        sim = fleet[0]
        meter = quick(fleet.meters[0], response_timeout=1.0, port=interceptor.port)
        store = SqliteInvocationCounterStore(path)
        pool = SessionPool(store, settings=SessionSettings(counter_block=8))
        restarted: SqliteInvocationCounterStore | None = None
        after: SessionPool | None = None
        try:
            async with pool.session(meter) as session:
                after_aare = session.counters.last_received  # the HLS pass 4's counter
                serial = f"SIM{int(meter.system_title[6:], 16):010d}"
                for _ in range(12):  # 12 of the gateway's counters: blocks reserved meanwhile
                    assert apdus.data_of(await session.request(apdus.get(apdus.SERIAL))) == serial
                last = session.counters.last_received
            assert sim.stats.associations == 1 and interceptor.recorded[0][8] == 0x61  # AARE

            # The gateway dies here: its session stays open, its store is never closed.
            # A new gateway process opens the same file.
            restarted = SqliteInvocationCounterStore(path)
            stored = await restarted.last_received(meter.system_title)
            assert stored is not None and after_aare < stored <= last
            assert last - stored <= 8 + 1  # lags by a block (8) of responses, one in flight

            after = SessionPool(restarted)
            interceptor.replaying = True
            with pytest.raises(ReplayError, match="does not increase"):
                await after.request(meter, apdus.get(apdus.SERIAL))
            assert interceptor.replayed == 1
            assert sim.stats.associations == 1  # the replay never reached the meter
        finally:
            if after is not None:
                await after.close()
            if restarted is not None:
                await restarted.close()
            await pool.close()
            await store.close()
