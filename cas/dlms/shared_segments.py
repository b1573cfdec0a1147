"""Segment limits that hold for all the nodes sharing a store, not only for each process.

A network segment's limits (connections open at once, new connections per second) protect
the network (a GPRS APN, a concentrator): with two worker nodes each admitting its own
``max_open``, the segment would see twice as many. ``SharedAdmission`` first admits a new
connection as ``Admission`` does in this process (priority order, the overall cap, the
process's own share of each limit, idle associations closed to make room), then takes its
place in the segment's shared ledger (Redis, on Redis's clock):

- ``max_open``: an entry per open connection, renewed while it is open (every ``ttl`` / 3)
  and lapsing ``ttl`` seconds after a node dies; when the segment is full across the nodes,
  the waiter asks again (10 ms, doubling to 200 ms apart) and closes this node's idle
  associations of the segment, if any, to make room;
- ``new_per_second``: each new connection reserves the segment's next start, 1 / rate after
  the last one any node reserved, and waits for it.

This node's waiters of one segment ask the ledger one at a time, in the order the local
admission granted them (priority, then arrival); between nodes, a freed place goes to the
first node that asks. Segments without limits never touch the ledger. When Redis cannot be
reached for a whole ``ttl``, this node's places lapse while its connections stay open: the
segment may then briefly hold more than its limit, until they close.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from cas.dlms.admission import Admission, SegmentLimit

logger = logging.getLogger(__name__)

FIRST_PAUSE = 0.01  # s before asking a full segment again; doubles up to LAST_PAUSE
LAST_PAUSE = 0.2


class SegmentLedger(Protocol):
    """The segments' shared counts (``RedisStore``)."""

    async def segment_enter(self, segment: str, holder: str, max_open: int, ttl: float) -> bool: ...

    async def segment_leave(self, segment: str, holder: str) -> None: ...

    async def segment_renew(self, held: Mapping[str, Sequence[str]], ttl: float) -> None: ...

    async def segment_start(self, segment: str, per_second: float) -> float: ...


class SharedAdmission(Admission):
    def __init__(
        self,
        ledger: SegmentLedger,
        owner: str,
        max_total: int,
        limits: Mapping[str, SegmentLimit] | None = None,
        default: SegmentLimit | None = None,
        *,
        ttl: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(max_total, limits, default, clock=clock)
        self.ledger = ledger
        self.owner = owner
        self.ttl = ttl
        self._held: dict[str, list[str]] = {}  # segment -> this node's entries in the ledger
        self._numbers = itertools.count()
        self._turns: dict[str, asyncio.Lock] = {}  # one waiter of a segment asks at a time
        self._renewer: asyncio.Task | None = None
        self._leaving: set[asyncio.Task] = set()
        self.waited_for_ledger = 0  # times a full segment was asked again (tests, logs)

    async def acquire(self, segment: str, priority: int = 4) -> None:
        await super().acquire(segment, priority)
        limit = self.limits.get(segment, self.default)
        if limit.max_open is None and limit.new_per_second is None:
            return
        try:
            async with self._turns.setdefault(segment, asyncio.Lock()):
                await self._enter(segment, limit)
        except BaseException:
            super().release(segment)  # this process's grant only: nothing shared is held
            raise

    def release(self, segment: str) -> None:
        super().release(segment)
        held = self._held.get(segment)
        if held:  # places are interchangeable: any of the segment's goes
            self._leave(segment, held.pop())

    async def close(self) -> None:
        """Stop renewing; give back the entries still held and wait for the leaves."""
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
            self._renewer = None
        for segment, held in self._held.items():
            while held:
                self._leave(segment, held.pop())
        if self._leaving:
            await asyncio.gather(*list(self._leaving), return_exceptions=True)

    async def _enter(self, segment: str, limit: SegmentLimit) -> None:
        holder = entered = None
        try:
            if limit.max_open is not None:
                holder = f"{self.owner}:{next(self._numbers)}"
                pause = FIRST_PAUSE
                while not await self.ledger.segment_enter(
                    segment, holder, limit.max_open, self.ttl
                ):
                    self.waited_for_ledger += 1
                    self.start_closing(segment)  # an idle one of ours holds a place
                    await asyncio.sleep(pause)
                    pause = min(pause * 2, LAST_PAUSE)
                entered = holder
                self._held.setdefault(segment, []).append(holder)
                self._keep_renewing()
            if limit.new_per_second is not None:
                wait = await self.ledger.segment_start(segment, limit.new_per_second)
                if wait > 0:
                    await asyncio.sleep(wait)
        except BaseException:
            if entered is not None:
                self._give_back(segment, entered)
            elif holder is not None:  # Redis may have counted it before the call failed
                self._leave(segment, holder)
            raise

    def _give_back(self, segment: str, holder: str) -> None:
        """One place of the segment, ``holder``'s, or another if a release took that one
        meanwhile (places are interchangeable: one per open connection)."""
        held = self._held.get(segment, [])
        if holder in held:
            held.remove(holder)
        elif held:
            holder = held.pop()
        else:
            return
        self._leave(segment, holder)

    def _leave(self, segment: str, holder: str) -> None:
        leaving = asyncio.get_running_loop().create_task(self._leave_now(segment, holder))
        self._leaving.add(leaving)
        leaving.add_done_callback(self._leaving.discard)

    async def _leave_now(self, segment: str, holder: str) -> None:
        try:
            await self.ledger.segment_leave(segment, holder)
        except Exception as error:  # it lapses after ttl: no renewal keeps it
            logger.warning(
                "segment %s: could not give back a connection's place: %s", segment, error
            )

    def _keep_renewing(self) -> None:
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.get_running_loop().create_task(self._renew())

    async def _renew(self) -> None:
        """Every ttl / 3 while anything is held: one round trip for every entry."""
        while any(self._held.values()):
            await asyncio.sleep(self.ttl / 3)
            held = {segment: list(holders) for segment, holders in self._held.items() if holders}
            if not held:
                return
            try:
                await self.ledger.segment_renew(held, self.ttl)
            except Exception as error:  # the next round tries again, before they lapse
                logger.warning("could not renew the segments' connection places: %s", error)
