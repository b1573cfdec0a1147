"""Association reuse: one open association per meter, shared by its callers in turn.

``async with pool.session(meter) as session`` gives exclusive use of the meter's association
(opening one when there is none, or when the open one is too close to the meter's
inactivity timeout). Associations left idle are released (RLRQ, disconnect) in the
background before the meter would drop them; a session that failed is discarded, never
reused. A global cap bounds the open sessions: at the cap, the least recently used idle
association is released to make room, or the caller waits.

A caller with no follow-up work for the meter (``keep=False``: one-shot work such as an
on-demand group read, which touches thousands of meters once) has the association released
right after its use, in the background, unless another caller waits for the same meter:
idle associations do not pile up to the cap, and nobody waits for one to be evicted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol

from cas.dlms.admission import Admission
from cas.dlms.counters import InvocationCounterStore, MemoryInvocationCounterStore, MeterCounters
from cas.dlms.errors import DlmsError, MeterBusy
from cas.dlms.session import Session, SessionSettings
from cas.registry import Meter

logger = logging.getLogger(__name__)


class MeterGuard(Protocol):
    """Exclusivity of a meter across gateway nodes (the store's per-meter locks)."""

    async def acquire_meter(self, system_title: str, owner: str, ttl: float) -> bool: ...

    async def release_meter(self, system_title: str, owner: str) -> None: ...

    async def want_meter(self, system_title: str) -> None:
        """Ask the node holding the meter to release it once idle."""
        ...

    def wanted_meters(self) -> AsyncIterator[str]:
        """The meters other nodes ask for."""
        ...


@dataclass(eq=False)
class _Slot:
    """Everything the pool keeps for one meter (by system title)."""

    counters: MeterCounters
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    session: Session | None = None
    idle_timer: asyncio.TimerHandle | None = None
    users: int = 0  # callers inside session() for this meter (using it or waiting)
    closing: asyncio.Task | None = None  # its last association's release, under way
    wanted: bool = False  # another node waits for the meter: release after this use


@dataclass
class PoolStats:
    opened: int = 0  # associations established
    reused: int = 0  # times an open association served a caller
    released_idle: int = 0  # associations released by the idle timer (or to make room)
    released_after_use: int = 0  # associations of one-shot work released once used
    released_wanted: int = 0  # associations released because another node asked
    discarded: int = 0  # failed sessions dropped


class SessionPool:
    def __init__(
        self,
        store: InvocationCounterStore | None = None,
        *,
        settings: SessionSettings | None = None,
        max_sessions: int = 1000,
        idle_margin: float = 5.0,
        max_idle: float | None = None,
        guard: MeterGuard | None = None,
        owner: str = "local",
        busy_wait: float = 10.0,
        lock_ttl: float = 15.0,
        admission: Admission | None = None,
    ) -> None:
        """``idle_margin``: release this long before the meter's inactivity timeout (at most
        a quarter of it); ``max_idle``: release idle associations after this long at most.

        ``guard`` (several nodes): a meter's association is opened only while this node
        (``owner``) holds the meter's lock, for at most ``busy_wait`` seconds of waiting
        (then MeterBusy). The lock lives ``lock_ttl`` seconds and is renewed every third of
        that while the association is open, released with it: a node that dies stops
        blocking its meters after ``lock_ttl``.

        ``admission`` throttles new connections per network segment (see
        cas.dlms.admission); by default only ``max_sessions`` bounds them."""
        self.store = store if store is not None else MemoryInvocationCounterStore()
        self.settings = settings or SessionSettings()
        self.max_sessions = max_sessions
        self.idle_margin = idle_margin
        self.max_idle = max_idle
        self.guard = guard
        self.owner = owner
        self.busy_wait = busy_wait
        self.lock_ttl = lock_ttl
        self._locks_held: set[str] = set()  # meters whose lock this node holds
        self._renewer: asyncio.Task | None = None  # renews them all, every lock_ttl / 3
        self.stats = PoolStats()
        self._slots: dict[str, _Slot] = {}
        # idle associations (open, nobody using them) by segment, least recently used first
        self._idle: dict[str, OrderedDict[str, _Slot]] = {}
        self.admission = admission or Admission(max_sessions)
        self.admission.evict = self._evict_idle
        self._background: set[asyncio.Task] = set()
        self._listener: asyncio.Task | None = None  # other nodes' requests for meters
        self._closed = False

    # --- public -------------------------------------------------------------------------------

    @property
    def open_sessions(self) -> int:
        return self.admission.open_total

    def idle_limit(self, meter: Meter) -> float:
        """Seconds an association of ``meter`` may stay idle and still be reused."""
        timeout = meter.inactivity_timeout
        limit = timeout - min(self.idle_margin, timeout / 4)
        if self.max_idle is not None:
            limit = min(limit, self.max_idle)
        return max(limit, 0.0)

    @contextlib.asynccontextmanager
    async def session(
        self, meter: Meter, priority: int = 4, *, keep: bool = True
    ) -> AsyncIterator[Session]:
        """Exclusive use of the meter's association; a new one waits for admission (network
        segment limits), higher ``priority`` first. ``keep=False``: the caller has no
        follow-up work for this meter; the association is released (in the background)
        after this use unless another caller is waiting for the meter."""
        if self._closed:
            raise RuntimeError("the session pool is closed")
        if self.guard is not None and self._listener is None:
            self._listener = asyncio.get_running_loop().create_task(self._release_wanted())
        slot = self._slot(meter)
        slot.users += 1
        try:
            async with slot.lock:
                self._cancel_idle_timer(slot)
                self._not_idle(slot)
                session = await self._usable_session(slot, meter, priority)
                try:
                    yield session
                finally:
                    if not session.usable or self._closed:
                        await self._discard(slot, "failed" if not self._closed else "pool closing")
                    elif slot.wanted:  # another node waits: it goes before our next use
                        self._release_for_another_node(slot)
                    elif keep or slot.users > 1:
                        self._arm_idle_timer(slot, meter)
                        self._now_idle(slot)
                    else:
                        self.stats.released_after_use += 1
                        self._close_in_background(slot, "used once", evicted=False)
        finally:
            slot.users -= 1
            self._forget(slot, meter.system_title)
            self.admission.poke()  # the association is idle now: a waiter may close it

    async def request(self, meter: Meter, apdu: bytes) -> bytes:
        """One request on the meter's (possibly reused) association."""
        async with self.session(meter) as session:
            return await session.request(apdu)

    async def close(self) -> None:
        """Release every association (RLRQ, disconnect) and stop the idle timers."""
        self._closed = True
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
        for slot in list(self._slots.values()):
            self._cancel_idle_timer(slot)
        await asyncio.gather(
            *(self._close_slot(slot) for slot in list(self._slots.values())),
            return_exceptions=True,
        )
        if self._background:  # releases under way finish (each bounded by its timeout)
            await asyncio.wait(list(self._background), timeout=self.settings.release_timeout)
        for task in list(self._background):
            task.cancel()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
        await self.admission.close()

    # --- sessions -----------------------------------------------------------------------------

    def _slot(self, meter: Meter) -> _Slot:
        slot = self._slots.get(meter.system_title)
        if slot is None:
            counters = MeterCounters(self.store, meter.system_title, self.settings.counter_block)
            slot = self._slots[meter.system_title] = _Slot(counters)
        return slot

    def _forget(self, slot: _Slot, system_title: str) -> None:
        """Drop a slot nobody uses that holds nothing: no association, and counters never
        touched (plain meters). Memory then does not grow with the meters ever reached;
        a slot whose counters hold a reserved block or a received counter stays."""
        if (
            slot.users == 0
            and slot.session is None
            and slot.closing is None
            and slot.idle_timer is None
            and slot.counters.untouched
            and self._slots.get(system_title) is slot
        ):
            del self._slots[system_title]

    def _now_idle(self, slot: _Slot) -> None:
        session = slot.session
        if session is not None:
            idle = self._idle.setdefault(session.meter.network_segment, OrderedDict())
            idle[session.meter.system_title] = slot
            idle.move_to_end(session.meter.system_title)

    def _not_idle(self, slot: _Slot) -> None:
        session = slot.session
        if session is not None:
            idle = self._idle.get(session.meter.network_segment)
            if idle is not None:
                idle.pop(session.meter.system_title, None)

    async def _usable_session(self, slot: _Slot, meter: Meter, priority: int) -> Session:
        session = slot.session
        if session is not None:
            loop = asyncio.get_running_loop()
            idle = loop.time() - session.last_used
            if session.usable and session.meter == meter and idle <= self.idle_limit(meter):
                self.stats.reused += 1
                logger.debug("%s: reusing association (idle %.1f s)", session.where, idle)
                return session
            await self._release(slot, "expired or changed")
        if slot.closing is not None:  # one association per meter: the last one's release ends
            with contextlib.suppress(Exception):
                await asyncio.shield(slot.closing)
        await self._lock(meter)
        try:
            await self.admission.acquire(meter.network_segment, priority)
        except BaseException:
            await self._unlock(meter.system_title)
            raise
        try:
            session = Session(meter, slot.counters, self.settings)  # ValueError: bad entry
            await session.open()
        except BaseException:
            self.admission.release(meter.network_segment)
            await self._unlock(meter.system_title)
            with contextlib.suppress(Exception):
                await slot.counters.flush()
            raise
        slot.session = session
        self.stats.opened += 1
        return session

    async def _release(self, slot: _Slot, why: str) -> None:
        """Close the slot's session properly (RLRQ); the caller holds the slot's lock."""
        self._not_idle(slot)
        slot.wanted = False
        session, slot.session = slot.session, None
        if session is None:
            return
        logger.debug("%s: releasing association (%s)", session.where, why)
        try:
            await session.close()
        finally:
            self.admission.release(session.meter.network_segment)
            await self._unlock(session.meter.system_title)

    async def _discard(self, slot: _Slot, why: str) -> None:
        self._not_idle(slot)
        slot.wanted = False  # the meter is free for the other node once discarded
        session, slot.session = slot.session, None
        if session is None:
            return
        if session.usable:  # pool closing: release properly
            slot.session = session
            await self._release(slot, why)
            return
        logger.debug("%s: discarding session (%s)", session.where, why)
        self.stats.discarded += 1
        session.abort()
        try:
            await slot.counters.flush()
        except Exception:
            logger.warning("%s: could not persist the meter's invocation counter", session.where)
        finally:
            self.admission.release(session.meter.network_segment)
            await self._unlock(session.meter.system_title)

    async def _close_slot(self, slot: _Slot) -> None:
        async with slot.lock:
            await self._release(slot, "pool closing")

    # --- capacity -----------------------------------------------------------------------------

    def _evict_idle(self, segment: str | None) -> str | None:
        """Admission needs room: detach the least recently used idle association (of that
        segment, or any) and close it in the background; returns its segment."""
        queues = list(self._idle.values()) if segment is None else [self._idle.get(segment, {})]
        victim: _Slot | None = None
        for idle in queues:
            for slot in idle.values():
                if slot.session is None or slot.lock.locked():
                    continue  # not idle any more (its next user is on its way)
                if victim is None or slot.session.last_used < victim.session.last_used:
                    victim = slot
                break  # the least recently used of this segment
        if victim is None:
            return None
        self._cancel_idle_timer(victim)
        self.stats.released_idle += 1
        return self._close_in_background(victim, "making room", evicted=True)

    def _close_in_background(self, slot: _Slot, why: str, *, evicted: bool) -> str:
        """Detach the slot's (idle) session and release it in the background; the next user
        of the meter waits for that release (one association per meter at a time). It counts
        in admission until closed (``evicted``: its closing was promised to a waiter).
        Returns the session's network segment."""
        self._not_idle(slot)
        session, slot.session = slot.session, None
        assert session is not None
        slot.closing = self._spawn(self._close_detached(slot, session, why, evicted))
        return session.meter.network_segment

    async def _close_detached(self, slot: _Slot, session: Session, why: str, evicted: bool) -> None:
        logger.debug("%s: releasing association (%s)", session.where, why)
        try:
            with contextlib.suppress(DlmsError, OSError):
                await session.close()
        finally:
            if evicted:
                self.admission.evicted(session.meter.network_segment)
            else:
                self.admission.release(session.meter.network_segment)
            await self._unlock(session.meter.system_title)
            if slot.closing is asyncio.current_task():
                slot.closing = None
            self._forget(slot, session.meter.system_title)

    # --- exclusivity across nodes -------------------------------------------------------------

    async def _lock(self, meter: Meter) -> None:
        if self.guard is None:
            return
        title = meter.system_title
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.busy_wait
        pause = 0.05
        while not await self.guard.acquire_meter(title, self.owner, self.lock_ttl):
            with contextlib.suppress(Exception):  # the holder releases it once idle
                await self.guard.want_meter(title)
            if loop.time() + pause > deadline:
                raise MeterBusy(
                    f"meter {title}: in use by another gateway node"
                    f" for more than {self.busy_wait:.0f} s"
                )
            await asyncio.sleep(pause)
            pause = min(pause * 2, 1.0)
        self._locks_held.add(title)
        if self._renewer is None:
            self._renewer = loop.create_task(self._keep_locks())

    async def _release_wanted(self) -> None:
        """Another node waits for a meter this node holds: release its association now if
        idle, else right after the use under way."""
        while not self._closed:
            try:
                async for title in self.guard.wanted_meters():
                    slot = self._slots.get(title)
                    if slot is None or slot.session is None:
                        continue  # not ours (any more)
                    if slot.lock.locked():
                        slot.wanted = True
                        continue
                    self._cancel_idle_timer(slot)
                    self._release_for_another_node(slot)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("listening for meters other nodes want; again in 1 s")
                await asyncio.sleep(1.0)

    def _release_for_another_node(self, slot: _Slot) -> None:
        slot.wanted = False
        self.stats.released_wanted += 1
        self._close_in_background(slot, "wanted by another node", evicted=False)

    async def _keep_locks(self) -> None:
        """Renew every lock this node holds, every third of their lifetime (one task for
        the pool, not one per meter: a group read takes thousands of locks in turn)."""
        try:
            while self._locks_held:
                await asyncio.sleep(self.lock_ttl / 3)
                titles = list(self._locks_held)
                renewed = await asyncio.gather(
                    *(self.guard.acquire_meter(t, self.owner, self.lock_ttl) for t in titles),
                    return_exceptions=True,
                )
                for title, outcome in zip(titles, renewed, strict=True):
                    if isinstance(outcome, BaseException):
                        logger.warning("meter %s: could not renew its lock", title)
                    elif outcome and title not in self._locks_held:
                        # released while its renewal was under way: the renewal may have
                        # taken it again after the release; give it back (owner-checked)
                        with contextlib.suppress(Exception):
                            await self.guard.release_meter(title, self.owner)
                    elif not outcome and title in self._locks_held:
                        logger.warning("meter %s: its lock was taken by another node", title)
                        self._locks_held.discard(title)
        finally:
            if self._renewer is asyncio.current_task():
                self._renewer = None

    async def _unlock(self, system_title: str) -> None:
        if self.guard is None:
            return
        self._locks_held.discard(system_title)
        try:
            await self.guard.release_meter(system_title, self.owner)
        except Exception:  # it lapses by itself
            logger.warning("meter %s: could not release its lock", system_title)

    # --- idle release -------------------------------------------------------------------------

    def _arm_idle_timer(self, slot: _Slot, meter: Meter) -> None:
        loop = asyncio.get_running_loop()
        slot.idle_timer = loop.call_later(
            self.idle_limit(meter), lambda: self._spawn(self._release_if_idle(slot, meter))
        )

    def _cancel_idle_timer(self, slot: _Slot) -> None:
        if slot.idle_timer is not None:
            slot.idle_timer.cancel()
            slot.idle_timer = None

    async def _release_if_idle(self, slot: _Slot, meter: Meter) -> None:
        if slot.lock.locked():
            return  # in use: its user re-arms the timer when done
        async with slot.lock:
            session = slot.session
            if session is None:
                return
            idle = asyncio.get_running_loop().time() - session.last_used
            if idle + 0.01 < self.idle_limit(meter) and session.usable:
                self._arm_idle_timer(slot, meter)
                return
            slot.idle_timer = None
            self.stats.released_idle += 1
            await self._release(slot, f"idle {idle:.1f} s")
        self._forget(slot, meter.system_title)

    def _spawn(self, coroutine) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task
