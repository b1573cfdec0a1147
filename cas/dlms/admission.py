"""Who may open a new meter connection now: throttling overall and per network segment.

A utility's networks have limits (a GPRS APN, a PLC concentrator, a VPN concentrator): at
most so many connections open at once in a segment, and at most so many new ones per second
(OSGP throttles the same way). ``Admission`` grants new connections under those limits and
an overall cap; when several wait, the highest priority goes first (then the earliest). A
segment that is full does not hold back waiters of other segments. When a limit is reached
and an idle association could be closed to make room, ``evict`` is asked to close one.

Limits apply per gateway process.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

Evict = Callable[[str | None], str | None]
"""Close one idle connection (of that segment, or any segment for None) to make room;
return the segment it was in (its capacity is given back at once), or None if none was idle."""


@dataclass(frozen=True)
class SegmentLimit:
    max_open: int | None = None  # connections open at once in the segment
    new_per_second: float | None = None  # new connections per second, spaced 1/rate apart

    def __post_init__(self) -> None:
        if self.max_open is not None and self.max_open < 1:
            raise ValueError("max_open must be at least 1")
        if self.new_per_second is not None and self.new_per_second <= 0:
            raise ValueError("new_per_second must be positive")


@dataclass
class _Segment:
    limit: SegmentLimit
    open: int = 0
    tokens: float = 0.0
    refilled: float = 0.0

    def refill(self, now: float) -> None:
        rate = self.limit.new_per_second
        if rate is None:
            return
        # capacity one: new connections are spaced at least 1/rate apart (no bursts)
        self.tokens = min(1.0, self.tokens + (now - self.refilled) * rate)
        self.refilled = now

    def wait_for_token(self, now: float) -> float:
        """Seconds until a new connection may start (0: now)."""
        if self.limit.new_per_second is None:
            return 0.0
        self.refill(now)
        if self.tokens >= 1.0:
            return 0.0
        return (1.0 - self.tokens) / self.limit.new_per_second


@dataclass(order=True)
class _Waiter:
    rank: tuple[int, int]  # (-priority, arrival)
    segment: str = field(compare=False)
    granted: asyncio.Future = field(compare=False)


class Admission:
    def __init__(
        self,
        max_total: int,
        limits: Mapping[str, SegmentLimit] | None = None,
        default: SegmentLimit | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_total = max_total
        self.limits = dict(limits or {})
        self.default = default or SegmentLimit()
        self.clock = clock
        self.open_total = 0
        self._segments: dict[str, _Segment] = {}
        self._waiters: list[_Waiter] = []
        self._arrivals = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        self.evict: Evict | None = None

    def open_in(self, segment: str) -> int:
        state = self._segments.get(segment)
        return state.open if state else 0

    def _segment(self, name: str) -> _Segment:
        state = self._segments.get(name)
        if state is None:
            limit = self.limits.get(name, self.default)
            rate = limit.new_per_second
            state = _Segment(limit, tokens=1.0 if rate else 0.0, refilled=self.clock())
            self._segments[name] = state
        return state

    async def acquire(self, segment: str, priority: int = 4) -> None:
        """Wait until a new connection to a meter of ``segment`` may be opened."""
        waiter = _Waiter(
            (-priority, next(self._arrivals)), segment, asyncio.get_running_loop().create_future()
        )
        self._waiters.append(waiter)
        self._dispatch()
        try:
            await waiter.granted
        except asyncio.CancelledError:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
            elif waiter.granted.done() and not waiter.granted.cancelled():
                self.release(segment)  # granted just as the caller gave up
            raise

    def release(self, segment: str) -> None:
        """A connection of ``segment`` closed."""
        state = self._segment(segment)
        state.open = max(0, state.open - 1)
        self.open_total = max(0, self.open_total - 1)
        self._dispatch()

    def poke(self) -> None:
        """Something changed outside (an association became idle): look at the waiters."""
        self._dispatch()

    def _dispatch(self) -> None:
        if not self._waiters:
            return
        now = self.clock()
        soonest: float | None = None
        blocked_segments: set[str] = set()
        for waiter in sorted(self._waiters):
            if waiter.granted.done():
                self._waiters.remove(waiter)
                continue
            if waiter.segment in blocked_segments:
                continue  # a higher-priority waiter of this segment is ahead
            state = self._segment(waiter.segment)
            full = state.limit.max_open is not None and state.open >= state.limit.max_open
            if full and not self._make_room(waiter.segment):
                blocked_segments.add(waiter.segment)
                continue
            if self.open_total >= self.max_total and not self._make_room(None):
                break  # everyone waits for a connection to close
            delay = state.wait_for_token(now)
            if delay > 0:
                blocked_segments.add(waiter.segment)
                soonest = delay if soonest is None else min(soonest, delay)
                continue
            if state.limit.new_per_second is not None:
                state.tokens -= 1.0
            state.open += 1
            self.open_total += 1
            self._waiters.remove(waiter)
            waiter.granted.set_result(None)
        self._arm(soonest)

    def _make_room(self, segment: str | None) -> bool:
        if self.evict is None:
            return False
        freed = self.evict(segment)
        if freed is None:
            return False
        state = self._segment(freed)
        state.open = max(0, state.open - 1)
        self.open_total = max(0, self.open_total - 1)
        return True

    def _arm(self, delay: float | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if delay is not None and self._waiters:
            self._timer = asyncio.get_running_loop().call_later(delay, self._dispatch)
