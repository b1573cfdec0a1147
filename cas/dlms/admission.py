"""Who may open a new meter connection now: throttling overall and per network segment.

A utility's networks have limits (a GPRS APN, a PLC concentrator, a VPN concentrator): at
most so many connections open at once in a segment, and at most so many new ones per second
(OSGP throttles the same way). ``Admission`` grants new connections under those limits and
an overall cap; when several wait, the highest priority goes first (then the earliest). A
segment that is full does not hold back waiters of other segments. When a limit is reached
and an idle association could be closed to make room, ``evict`` is asked to close one.

Limits apply per gateway process; ``cas.dlms.shared_segments.SharedAdmission`` makes them
hold for all the nodes sharing a Redis store as well.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

Evict = Callable[[str | None], str | None]
"""Start closing one idle connection (of that segment, or any segment for None) to make room;
return the segment it was in, or None if none was idle. Its capacity comes back when the
caller reports it closed (``evicted``): until then it still counts, so a segment never has
more connections open than its limit, not even for the time a release takes."""


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
    closing: int = 0  # evicted, not closed yet (still open as far as the meters know)
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
        self.closing_total = 0
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
                self._free(segment)  # granted just as the caller gave up
            raise

    def release(self, segment: str) -> None:
        """A connection of ``segment`` closed."""
        self._free(segment)

    def _free(self, segment: str) -> None:
        """Give back a grant of this process (SharedAdmission gives back its shared part in
        ``release``)."""
        state = self._segment(segment)
        state.open = max(0, state.open - 1)
        self.open_total = max(0, self.open_total - 1)
        self._dispatch()

    def evicted(self, segment: str) -> None:
        """A connection closed to make room is now closed."""
        state = self._segment(segment)
        state.closing = max(0, state.closing - 1)
        self.closing_total = max(0, self.closing_total - 1)
        self.release(segment)

    async def close(self) -> None:
        """Let go of what outlives the process (nothing here; see SharedAdmission)."""

    def poke(self) -> None:
        """Something changed outside (an association became idle): look at the waiters."""
        self._dispatch()

    def _dispatch(self) -> None:
        if not self._waiters:
            return
        now = self.clock()
        soonest: float | None = None
        blocked_segments: set[str] = set()
        covered: dict[str | None, int] = {}  # closings already started for waiters, by scope
        for waiter in sorted(self._waiters):
            if waiter.granted.done():
                self._waiters.remove(waiter)
                continue
            state = self._segment(waiter.segment)
            if state.limit.max_open is not None and state.open >= state.limit.max_open:
                # full: each waiter gets a closing started (or promised) for it
                self._make_room(waiter.segment, state.closing, covered)
                blocked_segments.add(waiter.segment)
                continue
            if waiter.segment in blocked_segments:
                continue  # a higher-priority waiter of this segment is ahead
            if self.open_total >= self.max_total:
                # everyone waits for a connection to close; each waiter gets a closing
                # started (or promised) for it, as in a full segment: one at a time would
                # admit one new connection per release round trip
                self._make_room(None, self.closing_total, covered)
                continue
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

    def _make_room(self, scope: str | None, closing: int, covered: dict[str | None, int]) -> None:
        """Start closing an idle connection for this waiter, unless a closing already under
        way (not yet promised to a waiter ahead of it) will free the room."""
        if covered.get(scope, 0) < closing:
            covered[scope] = covered.get(scope, 0) + 1
            return
        if self.start_closing(scope):
            covered[scope] = covered.get(scope, 0) + 1

    def start_closing(self, scope: str | None) -> bool:
        """Start closing an idle connection (of segment ``scope``, or any); False if none
        is idle. It counts as open until ``evicted``."""
        freed = self.evict(scope) if self.evict is not None else None
        if freed is None:
            return False
        self._segment(freed).closing += 1
        self.closing_total += 1
        return True

    def _arm(self, delay: float | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if delay is not None and self._waiters:
            self._timer = asyncio.get_running_loop().call_later(delay, self._dispatch)
