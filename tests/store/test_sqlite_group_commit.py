"""SqliteStore commits concurrent writes in groups: each one stays atomic and durable alone."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from cas.store.sqlite import SqliteStore


def _counters(path) -> dict[str, int]:
    with sqlite3.connect(path) as db:  # another connection: only committed data is seen
        return dict(db.execute("SELECT system_title, last_received FROM invocation_counters"))


async def test_concurrent_writes_are_grouped_and_all_committed(tmp_path):
    path = tmp_path / "cas.db"
    store = await SqliteStore.open(path)
    try:
        commits = 0
        original = store._commit_queued

        def counting(loop):
            nonlocal commits
            commits += 1
            original(loop)

        store._commit_queued = counting
        await asyncio.gather(*(store.record_received(f"M{i:03}", i) for i in range(200)))
        assert _counters(path) == {f"M{i:03}": i for i in range(200)}
        assert 1 <= commits < 200  # queued writes shared transactions
    finally:
        await store.close()


async def test_a_failing_write_is_rolled_back_alone_and_raises_to_its_caller(tmp_path):
    path = tmp_path / "cas.db"
    store = await SqliteStore.open(path)

    def half_then_fail(db: sqlite3.Connection) -> None:
        db.execute(
            "INSERT INTO invocation_counters (system_title, next_own, last_received)"
            " VALUES ('BROKEN', 1, 99)"
        )
        raise ValueError("refused halfway")

    try:
        outcomes = await asyncio.gather(
            store.record_received("A", 1),
            store._transaction(half_then_fail),
            store.record_received("B", 2),
            return_exceptions=True,
        )
        assert outcomes[0] is None and outcomes[2] is None
        assert isinstance(outcomes[1], ValueError) and str(outcomes[1]) == "refused halfway"
        assert _counters(path) == {"A": 1, "B": 2}  # nothing of the failed one
    finally:
        await store.close()


async def test_a_write_whose_caller_was_cancelled_still_stands(tmp_path):
    path = tmp_path / "cas.db"
    store = await SqliteStore.open(path)
    try:

        def slow(db: sqlite3.Connection) -> None:  # the write queued behind it waits
            db.execute("SELECT 1")

        blocker = asyncio.ensure_future(store._transaction(slow))
        write = asyncio.ensure_future(store.record_received("C", 7))
        await asyncio.sleep(0)
        write.cancel()
        await blocker
        with pytest.raises(asyncio.CancelledError):
            await write
        await store.record_received("D", 8)  # a later commit: the cancelled one came first
        assert _counters(path) == {"C": 7, "D": 8}
    finally:
        await store.close()


async def test_a_commit_that_fails_fails_every_write_of_its_group(tmp_path):
    path = tmp_path / "cas.db"
    store = await SqliteStore.open(path)
    try:
        other = sqlite3.connect(path, isolation_level=None, timeout=0)
        other.execute("BEGIN IMMEDIATE")  # another writer holds the file
        store._db.execute("PRAGMA busy_timeout=50")
        outcomes = await asyncio.gather(
            store.record_received("E", 1), store.record_received("F", 2), return_exceptions=True
        )
        assert all(isinstance(o, sqlite3.OperationalError) for o in outcomes), outcomes
        other.execute("ROLLBACK")
        other.close()
        await store.record_received("G", 3)  # the store goes on
        assert _counters(path) == {"G": 3}
    finally:
        await store.close()
