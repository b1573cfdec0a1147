"""Connection admission: per-segment and overall limits, priority order, rate, eviction."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from cas.dlms.admission import Admission, SegmentLimit


async def granted(task: asyncio.Task, within: float = 0.05) -> bool:
    await asyncio.sleep(within)
    return task.done()


async def test_a_full_segment_waits_and_others_go_on():
    admission = Admission(100, {"a": SegmentLimit(max_open=2)})
    await admission.acquire("a")
    await admission.acquire("a")
    third = asyncio.create_task(admission.acquire("a"))
    assert not await granted(third)
    await admission.acquire("b")  # another segment is not held back
    assert admission.open_in("a") == 2 and admission.open_total == 3
    admission.release("a")
    assert await granted(third)
    assert admission.open_in("a") == 2


async def test_higher_priority_gets_the_freed_connection():
    admission = Admission(1)
    await admission.acquire("a")
    order = []

    async def wait(name: str, priority: int) -> None:
        await admission.acquire("a", priority)
        order.append(name)

    low = asyncio.create_task(wait("low", 1))
    await asyncio.sleep(0.01)
    high = asyncio.create_task(wait("high", 200))
    await asyncio.sleep(0.01)
    admission.release("a")
    await asyncio.sleep(0.01)
    assert order == ["high"]
    admission.release("a")
    await asyncio.wait_for(asyncio.gather(low, high), 1)
    assert order == ["high", "low"]


async def test_new_connections_per_second_are_spaced():
    admission = Admission(100, default=SegmentLimit(new_per_second=20))
    started = time.monotonic()
    stamps = []
    for _ in range(6):
        await admission.acquire("a")
        stamps.append(time.monotonic() - started)
    # a burst of one, then one every 50 ms
    assert stamps[0] < 0.02
    assert stamps[-1] >= 0.24
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert min(gaps) >= 0.04


async def test_an_idle_connection_is_closed_to_make_room_before_the_next_opens():
    admission = Admission(10, {"a": SegmentLimit(max_open=1)})
    evicted = []

    def evict(segment):
        evicted.append(segment)
        return "a" if segment == "a" and len(evicted) == 1 else None

    admission.evict = evict
    await admission.acquire("a")
    second = asyncio.create_task(admission.acquire("a"))
    assert not await granted(second)  # the idle one is closing: still open for the meter
    assert evicted == ["a"]
    assert admission.open_in("a") == 1
    admission.evicted("a")  # its close completed
    assert await granted(second)
    assert admission.open_in("a") == 1 and evicted == ["a"]


async def test_one_closing_is_not_promised_twice():
    admission = Admission(10, {"a": SegmentLimit(max_open=2)})
    evicted = []

    def evict(segment):
        evicted.append(segment)
        return "a"

    admission.evict = evict
    await admission.acquire("a")
    await admission.acquire("a")
    waiters = [asyncio.create_task(admission.acquire("a")) for _ in range(2)]
    await asyncio.sleep(0.02)
    assert len(evicted) == 2  # one close started per waiter, not more
    admission.evicted("a")
    admission.evicted("a")
    await asyncio.wait_for(asyncio.gather(*waiters), 1)
    assert admission.open_in("a") == 2


async def test_the_overall_cap_holds_everyone():
    admission = Admission(2)
    await admission.acquire("a")
    await admission.acquire("b")
    waiting = asyncio.create_task(admission.acquire("c"))
    assert not await granted(waiting)
    admission.release("a")
    assert await granted(waiting)


async def test_at_the_overall_cap_each_waiter_gets_a_closing_started():
    admission = Admission(3)
    evicted = []

    def evict(segment):
        evicted.append(segment)
        return ["a", "b", "c"][len(evicted) - 1] if len(evicted) <= 3 else None

    admission.evict = evict
    for segment in ("a", "b", "c"):
        await admission.acquire(segment)
    waiters = [asyncio.create_task(admission.acquire("d")) for _ in range(3)]
    await asyncio.sleep(0.02)
    # three closings under way at once (one per waiter), not one release round trip each
    assert evicted == [None, None, None]
    assert not any(waiter.done() for waiter in waiters)
    assert admission.open_total == 3  # the closing ones still count
    for segment in ("a", "b", "c"):
        admission.evicted(segment)
    await asyncio.wait_for(asyncio.gather(*waiters), 1)
    assert admission.open_total == 3 and admission.open_in("d") == 3
    assert evicted == [None, None, None]


async def test_a_cancelled_waiter_leaves_no_trace():
    admission = Admission(1)
    await admission.acquire("a")
    waiting = asyncio.create_task(admission.acquire("a"))
    await asyncio.sleep(0.01)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    admission.release("a")
    assert admission.open_total == 0
    await asyncio.wait_for(admission.acquire("a"), 1)


def test_limits_are_checked():
    with pytest.raises(ValueError):
        SegmentLimit(max_open=0)
    with pytest.raises(ValueError):
        SegmentLimit(new_per_second=0)
