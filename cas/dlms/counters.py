"""Invocation counters: the gateway's own (never reused) and the last one seen from each meter.

AES-GCM with a repeated (key, nonce) pair breaks both confidentiality and authenticity, and
the nonce is system title + invocation counter. So the gateway's counter per meter is
reserved in blocks from a durable store: the store's high-water mark is written before any
counter of a block is used, so a crash only skips counters, never repeats one. The meter's
counter must strictly increase (replay protection); the last one seen is kept per meter
across sessions and persisted when a session ends, and also each time a block of the
gateway's counters is reserved: after a crash the stored value lags by about one block of
responses at most (each ciphered response answers a request that took one of the gateway's
counters), for one more store write per block, off the hot path.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import threading
from typing import Protocol, runtime_checkable

from cas.dlms.errors import ReplayError, SecurityError
from cas.dlms.gcm import MAX_INVOCATION_COUNTER

logger = logging.getLogger(__name__)

FIRST_COUNTER = 1


@runtime_checkable
class InvocationCounterStore(Protocol):
    """Durable counters per meter (keyed by the meter's system title, 16 hex characters)."""

    async def reserve(self, system_title: str, count: int) -> int:
        """Reserve ``count`` fresh counters; returns the first. Durable before it returns."""
        ...

    async def last_received(self, system_title: str) -> int | None:
        """The highest invocation counter seen from that meter, or None."""
        ...

    async def record_received(self, system_title: str, counter: int) -> None:
        """Remember ``counter`` as seen from that meter (the stored value never decreases)."""
        ...

    async def close(self) -> None: ...


def _check_block(first: int, count: int) -> None:
    if count < 1:
        raise ValueError("reserve at least one counter")
    if first + count - 1 > MAX_INVOCATION_COUNTER:
        raise SecurityError("the gateway's invocation counter for this meter is exhausted: rekey")


class MemoryInvocationCounterStore:
    """For tests and throw-away runs: nothing survives the process."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}
        self._received: dict[str, int] = {}

    async def reserve(self, system_title: str, count: int) -> int:
        first = self._next.get(system_title, FIRST_COUNTER)
        _check_block(first, count)
        self._next[system_title] = first + count
        return first

    async def last_received(self, system_title: str) -> int | None:
        return self._received.get(system_title)

    async def record_received(self, system_title: str, counter: int) -> None:
        self._received[system_title] = max(counter, self._received.get(system_title, -1))

    async def close(self) -> None:
        return None


class SqliteInvocationCounterStore:
    """One small table in an SQLite file (WAL, synchronous=FULL); calls run in a thread."""

    _SCHEMA = """
        CREATE TABLE IF NOT EXISTS invocation_counters (
            system_title TEXT PRIMARY KEY,
            next_own INTEGER NOT NULL,
            last_received INTEGER
        )
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = os.fspath(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(self._SCHEMA)

    def _reserve(self, system_title: str, count: int) -> int:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    "SELECT next_own FROM invocation_counters WHERE system_title = ?",
                    (system_title,),
                ).fetchone()
                first = row[0] if row else FIRST_COUNTER
                _check_block(first, count)
                self._db.execute(
                    "INSERT INTO invocation_counters (system_title, next_own) VALUES (?, ?) "
                    "ON CONFLICT(system_title) DO UPDATE SET next_own = excluded.next_own",
                    (system_title, first + count),
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return first

    def _last_received(self, system_title: str) -> int | None:
        with self._lock:
            row = self._db.execute(
                "SELECT last_received FROM invocation_counters WHERE system_title = ?",
                (system_title,),
            ).fetchone()
        return row[0] if row else None

    def _record_received(self, system_title: str, counter: int) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO invocation_counters (system_title, next_own, last_received) "
                "VALUES (?, ?, ?) ON CONFLICT(system_title) DO UPDATE SET last_received = "
                "max(coalesce(last_received, -1), excluded.last_received)",
                (system_title, FIRST_COUNTER, counter),
            )

    async def reserve(self, system_title: str, count: int) -> int:
        return await asyncio.to_thread(self._reserve, system_title, count)

    async def last_received(self, system_title: str) -> int | None:
        return await asyncio.to_thread(self._last_received, system_title)

    async def record_received(self, system_title: str, counter: int) -> None:
        await asyncio.to_thread(self._record_received, system_title, counter)

    async def close(self) -> None:
        with self._lock:
            self._db.close()


class MeterCounters:
    """The in-memory view of one meter's counters, used by its sessions one at a time.

    The hot path (``take``, ``check_received``) never touches the store; ``ensure`` reserves
    a new block when the current one runs low (and then persists the meter's last counter,
    as ``flush`` does at the end of a session).
    """

    def __init__(self, store: InvocationCounterStore, system_title: str, block: int = 256):
        self.store = store
        self.system_title = system_title
        self.block = block
        self._next = 0
        self._limit = 0  # exclusive end of the reserved block
        self._received: int | None = None
        self._received_loaded = False
        self._dirty = False

    @property
    def available(self) -> int:
        return self._limit - self._next

    @property
    def untouched(self) -> bool:
        """Nothing reserved, loaded or seen yet (a plain meter's counters stay so)."""
        return self._limit == 0 and not self._received_loaded and not self._dirty

    @property
    def next_counter(self) -> int:
        return self._next

    @property
    def last_received(self) -> int | None:
        return self._received

    async def load(self) -> None:
        if not self._received_loaded:
            self._received = await self.store.last_received(self.system_title)
            self._received_loaded = True

    async def ensure(self, needed: int) -> None:
        """Make sure ``needed`` counters can be taken without touching the store."""
        if self.available >= needed:
            return
        count = max(self.block, needed)
        first = await self.store.reserve(self.system_title, count)
        # Counters left in the old block are abandoned: skipping is safe, reusing is not.
        self._next, self._limit = first, first + count
        try:  # bounds what a crash loses of the meter's counter to one block's responses
            await self.flush()
        except Exception:  # still dirty: written at the next block or the session's end
            logger.warning(
                "meter %s: could not persist the meter's invocation counter", self.system_title
            )

    def take(self) -> int:
        if self._next >= self._limit:
            raise SecurityError("no reserved invocation counter left (ensure() first)")
        value = self._next
        self._next += 1
        return value

    def consumed_up_to(self, next_value: int) -> None:
        """gurux advanced its counter to ``next_value``: those counters are used."""
        if next_value > self._limit:
            raise SecurityError("gurux used an invocation counter outside the reserved block")
        self._next = max(self._next, next_value)

    def check_received(self, counter: int) -> None:
        """Accept a meter's counter only if it is higher than every one seen before."""
        if self._received is not None and counter <= self._received:
            raise ReplayError(
                f"meter {self.system_title}: invocation counter {counter} does not increase "
                f"(last seen {self._received})"
            )
        self._received = counter
        self._dirty = True

    async def flush(self) -> None:
        if self._dirty and self._received is not None:
            await self.store.record_received(self.system_title, self._received)
            self._dirty = False
