"""The embedded store: one SQLite file, one node (the default; no setup).

One connection in one worker thread (short indexed reads run on the event loop's thread when
the connection is free: a thread hop costs more than they do). Write operations are committed
in groups: those that arrive while the thread is busy run in the next transaction, each in its
own savepoint, and each caller resumes once that transaction is committed.
WAL journal with ``synchronous=NORMAL``: a committed transaction survives a crash of the
process; invocation counters are committed with ``synchronous=FULL`` (they must survive a
power loss too, since a reused counter breaks AES-GCM). Claims carry a random token;
completing a task checks it, so a worker that lost its lease cannot store anything. Per-meter
locks live in memory: a single node has a single process.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from json.encoder import encode_basestring_ascii  # json.dumps of a str (ensure_ascii)
from operator import attrgetter
from typing import Any, TypeVar

from cas.dlms.counters import FIRST_COUNTER
from cas.dlms.errors import SecurityError
from cas.dlms.gcm import MAX_INVOCATION_COUNTER
from cas.store.model import (
    Iteration,
    IterationStatus,
    OutboxMessage,
    Resource,
    ResourceStatus,
    StoredResult,
    Task,
)
from cas.store.records import (
    epoch,
    iteration_from_dict,
    iteration_to_dict,
    moment,
    outbox_from_dict,
    outbox_to_dict,
    resource_change,
    resource_from_dict,
    resource_to_dict,
    task_from_dict,
    task_to_dict,
)

T = TypeVar("T")
_Queued = tuple[Callable[..., Any], tuple[Any, ...], asyncio.Future]

SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    fields TEXT NOT NULL,
    request BLOB NOT NULL,
    due REAL,
    claim_owner TEXT,
    claim_until REAL
);
DROP INDEX IF EXISTS resources_due;
CREATE INDEX IF NOT EXISTS resources_due_order ON resources (due, id) WHERE due IS NOT NULL;
CREATE TABLE IF NOT EXISTS iterations (
    resource_id TEXT NOT NULL,
    number INTEGER NOT NULL,
    fields TEXT NOT NULL,
    status TEXT NOT NULL,
    started REAL NOT NULL,
    PRIMARY KEY (resource_id, number)
);
CREATE TABLE IF NOT EXISTS tasks (
    key TEXT PRIMARY KEY,
    resource_id TEXT NOT NULL,
    fields TEXT NOT NULL,
    priority INTEGER NOT NULL,
    due REAL NOT NULL,
    not_before REAL,
    owner TEXT,
    lease_until REAL,
    token TEXT
);
DROP INDEX IF EXISTS tasks_order;
CREATE INDEX IF NOT EXISTS tasks_queued ON tasks (priority DESC, due, key, not_before)
    WHERE owner IS NULL;
CREATE INDEX IF NOT EXISTS tasks_leased ON tasks (lease_until) WHERE owner IS NOT NULL;
DROP INDEX IF EXISTS tasks_resource; -- see _RESOURCE_TASKS
CREATE TABLE IF NOT EXISTS results (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id TEXT NOT NULL,
    iteration INTEGER NOT NULL,
    device_id TEXT NOT NULL,
    access_index INTEGER NOT NULL,
    captured REAL NOT NULL,
    ok INTEGER NOT NULL,
    xml BLOB NOT NULL,
    request_key TEXT
);
CREATE INDEX IF NOT EXISTS results_resource ON results (resource_id, seq);
CREATE INDEX IF NOT EXISTS results_cache ON results (device_id, request_key, captured)
    WHERE ok = 1 AND request_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL UNIQUE,
    fields TEXT NOT NULL,
    body BLOB NOT NULL,
    created REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    next_attempt REAL,
    owner TEXT,
    lease_until REAL,
    token TEXT
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (state, created, seq);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, COALESCE(next_attempt, 0));
CREATE TABLE IF NOT EXISTS invocation_counters (
    system_title TEXT PRIMARY KEY,
    next_own INTEGER NOT NULL,
    last_received INTEGER
);
"""


class SqliteStore:
    """``await SqliteStore.open("cas.db")``; every method runs in the store's own thread."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cas-sqlite")
        self._db: sqlite3.Connection | None = None
        self._in_use = threading.Lock()  # the connection serves one thread at a time
        self._meter_locks: dict[str, tuple[str, float]] = {}
        self._decoded = _Decoded()
        self._counted: dict[tuple[str, int], _Counted] = {}  # see _count
        # write operations waiting for the next group commit (see _transaction)
        self._queued: list[_Queued] = []
        self._queue_lock = threading.Lock()
        self._commit_pending = False

    @classmethod
    async def open(cls, path: str | os.PathLike[str]) -> SqliteStore:
        store = cls(os.fspath(path))
        await store._run(store._connect)
        return store

    def _connect(self) -> None:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA busy_timeout=5000")
        db.executescript(SCHEMA)
        self._db = db

    async def _run(self, function: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._locked, function, *args)

    def _locked(self, function: Callable[..., T], *args: Any) -> T:
        with self._in_use:
            return function(*args)

    async def _read(self, function: Callable[..., T], *args: Any) -> T:
        """A short read (indexed lookups, bounded): here, on the event loop's thread, when the
        connection is free (no transaction can be open then), else in the store's thread.
        Per access a worker makes several such reads; each thread hop costs ~50-100 us of
        futures, a self-pipe wake-up and a GIL hand-over, the query itself ~10-20 us."""
        await asyncio.sleep(0)  # yields as a hop would: a loop of reads does not hog the loop
        if self._db is not None and self._in_use.acquire(blocking=False):
            try:
                return function(*args)
            finally:
                self._in_use.release()
        return await self._run(function, *args)

    async def _transaction(self, function: Callable[..., T], *args: Any) -> T:
        """Run ``function(db, *args)`` as one atomic write, committed before this returns.

        Group commit: writes queued while the store's thread is busy run one after another
        in one BEGIN IMMEDIATE .. COMMIT; one that raises is rolled back alone and raises to
        its caller (see _commit_queued). Under load (a worker's 64 tasks completing) that is
        one thread hop and one commit for many operations instead of one each."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        with self._queue_lock:
            self._queued.append((function, args, future))
            start, self._commit_pending = not self._commit_pending, True
        if start:
            loop.run_in_executor(self._executor, self._locked, self._commit_queued, loop)
        return await future

    def _commit_queued(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._queue_lock:
            batch, self._queued = self._queued, []
            self._commit_pending = False
        db = self._db
        try:
            outcomes = self._run_batch(db, batch)
        except Exception as error:  # nothing of the batch was written
            if db.in_transaction:  # a COMMIT that failed
                db.execute("ROLLBACK")
            outcomes = [(False, error)] * len(batch)
        loop.call_soon_threadsafe(_settle, [future for _, _, future in batch], outcomes)

    def _run_batch(self, db: sqlite3.Connection, batch: list[_Queued]) -> list[tuple[bool, Any]]:
        """The batch's operations in one transaction, optimistically without a savepoint each
        (two statements and a copy of each page written per operation): when one raises, the
        transaction is rolled back and the others run again, each in its savepoint. Running an
        operation again is safe: each is a function of the database and its arguments only."""
        outcomes: list[tuple[bool, Any]] = []
        db.execute("BEGIN IMMEDIATE")
        try:
            for function, args, _ in batch:
                outcomes.append((True, function(db, *args)))
        except Exception as error:
            _rollback(db)
            return self._run_isolated(db, batch, len(outcomes), error)
        except BaseException:
            _rollback(db)
            raise
        db.execute("COMMIT")
        return outcomes

    def _run_isolated(
        self, db: sqlite3.Connection, batch: list[_Queued], failed: int, error: Exception
    ) -> list[tuple[bool, Any]]:
        """The batch again, each operation in a savepoint, but for ``failed`` (it raised
        ``error``, which it is answered with)."""
        outcomes: list[tuple[bool, Any]] = []
        db.execute("BEGIN IMMEDIATE")
        try:
            for index, (function, args, _) in enumerate(batch):
                if index == failed:
                    outcomes.append((False, error))
                    continue
                db.execute("SAVEPOINT operation")
                try:
                    outcomes.append((True, function(db, *args)))
                except Exception as other:
                    db.execute("ROLLBACK TO operation")
                    outcomes.append((False, other))
                db.execute("RELEASE operation")
        except BaseException:
            _rollback(db)
            raise
        db.execute("COMMIT")
        return outcomes

    def _in_transaction(self, function: Callable[..., T], *args: Any) -> T:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            outcome = function(db, *args)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return outcome

    async def close(self) -> None:
        if self._db is not None:
            await self._run(self._db.close)
            self._db = None
        self._executor.shutdown(wait=True)

    # --- resources -------------------------------------------------------------------------

    async def create_resource(self, resource: Resource, first_due: datetime | None) -> None:
        def insert(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO resources (id, created, fields, request, due) VALUES (?, ?, ?, ?, ?)",
                (
                    resource.id,
                    epoch(resource.created),
                    json.dumps(resource_to_dict(resource)),
                    resource.request,
                    epoch(first_due),
                ),
            )

        await self._transaction(insert)

    async def get_resource(self, resource_id: str) -> Resource | None:
        def select(db: sqlite3.Connection) -> Resource | None:
            row = db.execute(
                "SELECT fields, request FROM resources WHERE id = ?", (resource_id,)
            ).fetchone()
            return resource_from_dict(json.loads(row[0]), row[1]) if row else None

        return await self._read(select, self._db)

    async def list_resources(self) -> list[Resource]:
        def select(db: sqlite3.Connection) -> list[Resource]:
            rows = db.execute(
                "SELECT fields, request FROM resources ORDER BY created, id"
            ).fetchall()
            return [resource_from_dict(json.loads(f), r) for f, r in rows]

        return await self._run(select, self._db)

    async def update_resource(
        self,
        resource_id: str,
        changes: Mapping[str, Any],
        *,
        unless_status: Iterable[ResourceStatus] = (),
    ) -> Resource | None:
        stored = {name: resource_change(name, value) for name, value in changes.items()}
        blocked = {str(status) for status in unless_status}

        def update(db: sqlite3.Connection) -> Resource | None:
            updated = _update_fields(db, resource_id, stored, blocked)
            return resource_from_dict(*updated) if updated is not None else None

        return await self._transaction(update)

    async def delete_resource(self, resource_id: str) -> bool:
        def delete(db: sqlite3.Connection) -> bool:
            gone = db.execute("DELETE FROM resources WHERE id = ?", (resource_id,)).rowcount
            for table in ("iterations", "results"):
                db.execute(f"DELETE FROM {table} WHERE resource_id = ?", (resource_id,))
            db.execute(f"DELETE FROM tasks WHERE {_RESOURCE_TASKS}", _resource_tasks(resource_id))
            return gone > 0

        return await self._transaction(delete)

    # --- schedule ----------------------------------------------------------------------------

    async def claim_due(
        self, now: datetime, limit: int, owner: str, lease: float
    ) -> list[tuple[str, datetime]]:
        at, until = epoch(now), epoch(now + timedelta(seconds=lease))

        def claim(db: sqlite3.Connection) -> list[tuple[str, datetime]]:
            rows = db.execute(
                "SELECT id, due FROM resources WHERE due IS NOT NULL AND due <= ?"
                " AND (claim_owner IS NULL OR claim_until < ?) ORDER BY due, id LIMIT ?",
                (at, at, limit),
            ).fetchall()
            db.executemany(
                "UPDATE resources SET claim_owner = ?, claim_until = ? WHERE id = ?",
                [(owner, until, rid) for rid, _ in rows],
            )
            return [(rid, moment(due)) for rid, due in rows]

        return await self._transaction(claim)

    async def reschedule(self, resource_id: str, due: datetime | None) -> None:
        def update(db: sqlite3.Connection) -> None:
            db.execute(
                "UPDATE resources SET due = ?, claim_owner = NULL, claim_until = NULL WHERE id = ?",
                (epoch(due), resource_id),
            )

        await self._transaction(update)

    async def next_due(self) -> datetime | None:
        def select(db: sqlite3.Connection) -> datetime | None:
            (due,) = db.execute(
                "SELECT MIN(due) FROM resources WHERE due IS NOT NULL AND claim_owner IS NULL"
            ).fetchone()
            return moment(due)

        return await self._read(select, self._db)

    # --- iterations and tasks ------------------------------------------------------------------

    async def start_iteration(self, iteration: Iteration, tasks: Sequence[Task]) -> bool:
        return await self._transaction(_start_iteration, iteration, tasks)

    async def get_iteration(self, resource_id: str, number: int) -> Iteration | None:
        def select(db: sqlite3.Connection) -> Iteration | None:
            row = db.execute(
                "SELECT fields FROM iterations WHERE resource_id = ? AND number = ?",
                (resource_id, number),
            ).fetchone()
            return iteration_from_dict(json.loads(row[0])) if row else None

        return await self._read(select, self._db)

    async def iterations(self, resource_id: str) -> list[Iteration]:
        def select(db: sqlite3.Connection) -> list[Iteration]:
            rows = db.execute(
                "SELECT fields FROM iterations WHERE resource_id = ? ORDER BY number",
                (resource_id,),
            ).fetchall()
            return [iteration_from_dict(json.loads(row[0])) for row in rows]

        return await self._run(select, self._db)

    async def claim_tasks(self, owner: str, now: datetime, limit: int, lease: float) -> list[Task]:
        at, until = epoch(now), epoch(now + timedelta(seconds=lease))
        # One token for the whole claim: a claim is told apart by key and token, and every
        # claim (a task claimed again after its lease ran out too) draws a new one.
        token = uuid.uuid4().hex

        def claim(db: sqlite3.Connection) -> list[Task]:
            rows = db.execute(_CLAIM_TASKS, (at, at, at, limit)).fetchall()
            if not rows:
                return []
            db.execute(
                "UPDATE tasks SET owner = ?, lease_until = ?, token = ?"
                " WHERE rowid IN (SELECT value FROM json_each(?))",
                (owner, until, token, json.dumps([row[0] for row in rows])),
            )
            task = self._decoded.task
            return [
                task(static, device_id, recovered=previous is not None, token=token)
                for _, static, device_id, previous, _, _, _ in rows
            ]

        return await self._transaction(claim)

    async def extend_lease(self, task: Task, owner: str, until: datetime) -> bool:

        def extend(db: sqlite3.Connection) -> bool:
            return (
                db.execute(
                    "UPDATE tasks SET lease_until = ? WHERE key = ? AND owner = ? AND token = ?",
                    (epoch(until), task.key, owner, task.lease_token),
                ).rowcount
                > 0
            )

        return await self._transaction(extend)

    async def retry_task(self, task: Task, not_before: datetime) -> None:
        def update(db: sqlite3.Connection) -> None:
            row = db.execute(
                "SELECT fields FROM tasks WHERE key = ? AND token = ?",
                (task.key, task.lease_token),
            ).fetchone()
            if row is None:
                return
            fields = json.loads(row[0])
            fields["attempt"] = task.attempt + 1
            fields["not_before"] = epoch(not_before)
            db.execute(
                "UPDATE tasks SET fields = ?, not_before = ?, owner = NULL, lease_until = NULL,"
                " token = NULL WHERE key = ?",
                (json.dumps(fields), epoch(not_before), task.key),
            )

        await self._transaction(update)

    async def complete_task(
        self, task: Task, owner: str, results: Sequence[StoredResult]
    ) -> Iteration | None:
        results_ok = sum(1 for r in results if r.ok)
        results_failed = len(results) - results_ok
        key = (task.resource_id, task.iteration)

        def complete(db: sqlite3.Connection) -> Iteration | None:
            gone = db.execute(
                "DELETE FROM tasks WHERE key = ? AND owner = ? AND token = ?",
                (task.key, owner, task.lease_token),
            ).rowcount
            if not gone:
                return None
            counted = _count(db, self._counted, key, results_ok, results_failed)
            if counted is None:  # the iteration is gone: the task is dropped, nothing stored
                return None
            _insert_results(db, results)
            return counted

        return await self._transaction(complete)

    async def finish_iteration(
        self, resource_id: str, number: int, status: IterationStatus, finished: datetime
    ) -> bool:
        def finish(db: sqlite3.Connection) -> bool:
            row = db.execute(
                "SELECT fields FROM iterations WHERE resource_id = ? AND number = ? AND status = ?",
                (resource_id, number, str(IterationStatus.EXECUTING)),
            ).fetchone()
            if row is None:
                return False
            fields = json.loads(row[0])
            fields["status"] = str(status)
            fields["finished"] = epoch(finished)
            db.execute(
                "UPDATE iterations SET fields = ?, status = ? WHERE resource_id = ? AND number = ?",
                (json.dumps(fields), str(status), resource_id, number),
            )
            return True

        return await self._transaction(finish)

    async def cancel_tasks(self, resource_id: str) -> int:
        def cancel(db: sqlite3.Connection) -> int:
            among = _resource_tasks(resource_id)
            (queued,) = db.execute(
                f"SELECT COUNT(*) FROM tasks WHERE {_RESOURCE_TASKS} AND owner IS NULL", among
            ).fetchone()
            db.execute(f"DELETE FROM tasks WHERE {_RESOURCE_TASKS}", among)
            return queued

        return await self._transaction(cancel)

    async def unfinished_iterations(self, older_than: datetime) -> list[Iteration]:
        def select(db: sqlite3.Connection) -> list[Iteration]:
            rows = db.execute(
                "SELECT fields FROM iterations WHERE status = ? AND started < ?",
                (str(IterationStatus.EXECUTING), epoch(older_than)),
            ).fetchall()
            found = [iteration_from_dict(json.loads(row[0])) for row in rows]
            return [iteration for iteration in found if iteration.complete]

        return await self._run(select, self._db)

    # --- batches (a dispatcher's claimed resources: one transaction for many) -----------------

    async def get_resources(self, resource_ids: Sequence[str]) -> list[Resource | None]:
        def select(db: sqlite3.Connection) -> list[Resource | None]:
            found: dict[str, Resource] = {}
            for start in range(0, len(resource_ids), _IN_LIMIT):
                chunk = resource_ids[start : start + _IN_LIMIT]
                rows = db.execute(
                    "SELECT id, fields, request FROM resources"
                    f" WHERE id IN ({','.join('?' * len(chunk))})",
                    chunk,
                ).fetchall()
                for rid, fields, request in rows:
                    found[rid] = resource_from_dict(json.loads(fields), request)
            return [found.get(rid) for rid in resource_ids]

        return await self._read(select, self._db)

    async def start_iterations(
        self, starts: Sequence[tuple[Iteration, Sequence[Task]]]
    ) -> list[bool]:
        def insert(db: sqlite3.Connection) -> list[bool]:
            return [_start_iteration(db, iteration, tasks) for iteration, tasks in starts]

        return await self._transaction(insert) if starts else []

    async def update_resources(
        self,
        updates: Sequence[tuple[str, Mapping[str, Any]]],
        *,
        unless_status: Iterable[ResourceStatus] = (),
    ) -> list[bool]:
        blocked = {str(status) for status in unless_status}
        stored = [
            (rid, {name: resource_change(name, value) for name, value in changes.items()})
            for rid, changes in updates
        ]

        def update(db: sqlite3.Connection) -> list[bool]:
            return [_patch_fields(db, rid, changes, blocked) for rid, changes in stored]

        return await self._transaction(update) if updates else []

    async def reschedule_many(self, schedule: Sequence[tuple[str, datetime | None]]) -> None:
        def update(db: sqlite3.Connection) -> None:
            db.executemany(
                "UPDATE resources SET due = ?, claim_owner = NULL, claim_until = NULL WHERE id = ?",
                [(epoch(due), rid) for rid, due in schedule],
            )

        if schedule:
            await self._transaction(update)

    # --- results --------------------------------------------------------------------------

    async def put_results(self, results: Sequence[StoredResult]) -> None:
        await self._transaction(_insert_results, results)

    async def results(
        self,
        resource_id: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        devices: Sequence[str] | None = None,
        iteration: int | None = None,
        latest_only: bool = False,
        after: int = 0,
        limit: int | None = None,
    ) -> list[StoredResult]:
        where = ["resource_id = ?"]
        params: list[Any] = [resource_id]
        if start is not None:
            where.append("captured >= ?")
            params.append(epoch(start))
        if end is not None:
            where.append("captured <= ?")
            params.append(epoch(end))
        if devices is not None:
            where.append(f"device_id IN ({','.join('?' * len(devices))})")
            params.extend(devices)
        if iteration is not None:
            where.append("iteration = ?")
            params.append(iteration)
        condition = " AND ".join(where)
        if latest_only:
            condition = (
                f"seq IN (SELECT MAX(seq) FROM results WHERE {condition} AND ok = 1"
                " GROUP BY device_id, access_index)"
            )
        query = f"SELECT {_RESULT_COLUMNS} FROM results WHERE {condition} AND seq > ? ORDER BY seq"
        params.append(after)
        if limit is not None:
            query += " LIMIT ?"
            params.append(limit)

        def select(db: sqlite3.Connection) -> list[StoredResult]:
            return [_result(row) for row in db.execute(query, params).fetchall()]

        return await self._run(select, self._db)

    async def cached_result(
        self, device_id: str, request_key: str, not_older_than: datetime
    ) -> StoredResult | None:
        def select(db: sqlite3.Connection) -> StoredResult | None:
            row = db.execute(
                f"SELECT {_RESULT_COLUMNS} FROM results WHERE device_id = ? AND request_key = ?"
                " AND ok = 1 AND captured >= ? ORDER BY captured DESC, seq DESC LIMIT 1",
                (device_id, request_key, epoch(not_older_than)),
            ).fetchone()
            return _result(row) if row else None

        return await self._read(select, self._db)

    # --- outbox ------------------------------------------------------------------------------

    async def outbox_put(self, messages: Sequence[OutboxMessage]) -> None:
        def insert(db: sqlite3.Connection) -> None:
            db.executemany(
                "INSERT OR IGNORE INTO outbox (message_id, fields, body, created, next_attempt)"
                " VALUES (?, ?, ?, ?, ?)",
                [
                    (
                        m.message_id,
                        json.dumps(outbox_to_dict(m)),
                        m.body,
                        epoch(m.created),
                        epoch(m.next_attempt),
                    )
                    for m in messages
                ],
            )

        await self._transaction(insert)

    async def outbox_claim(
        self, owner: str, now: datetime, limit: int, lease: float
    ) -> list[OutboxMessage]:
        at, until = epoch(now), epoch(now + timedelta(seconds=lease))

        def claim(db: sqlite3.Connection) -> list[OutboxMessage]:
            rows = db.execute(
                "SELECT message_id, fields, body FROM outbox WHERE state = 'pending'"
                " AND COALESCE(next_attempt, 0) <= ?"  # outbox_due: skips messages held back
                " AND (owner IS NULL OR lease_until < ?) ORDER BY created, seq LIMIT ?",
                (at, at, limit),
            ).fetchall()
            claimed = []
            for message_id, fields, body in rows:
                token = uuid.uuid4().hex
                db.execute(
                    "UPDATE outbox SET owner = ?, lease_until = ?, token = ? WHERE message_id = ?",
                    (owner, until, token, message_id),
                )
                claimed.append(outbox_from_dict(json.loads(fields), body, token))
            return claimed

        return await self._transaction(claim)

    async def outbox_delivered(self, message: OutboxMessage) -> None:
        def delete(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM outbox WHERE message_id = ?", (message.message_id,))

        await self._transaction(delete)

    async def outbox_retry(
        self, message: OutboxMessage, next_attempt: datetime, error: str
    ) -> None:
        def update(db: sqlite3.Connection) -> None:
            row = db.execute(
                "SELECT fields FROM outbox WHERE message_id = ?", (message.message_id,)
            ).fetchone()
            if row is None:
                return
            fields = json.loads(row[0])
            fields["attempts"] += 1
            fields["next_attempt"] = epoch(next_attempt)
            fields["last_error"] = error
            db.execute(
                "UPDATE outbox SET fields = ?, next_attempt = ?, owner = NULL, lease_until = NULL,"
                " token = NULL WHERE message_id = ?",
                (json.dumps(fields), epoch(next_attempt), message.message_id),
            )

        await self._transaction(update)

    async def outbox_dead(self, message: OutboxMessage, error: str) -> None:
        def update(db: sqlite3.Connection) -> None:
            row = db.execute(
                "SELECT fields FROM outbox WHERE message_id = ?", (message.message_id,)
            ).fetchone()
            if row is None:
                return
            fields = json.loads(row[0])
            fields["last_error"] = error
            db.execute(
                "UPDATE outbox SET state = 'dead', fields = ?, owner = NULL WHERE message_id = ?",
                (json.dumps(fields), message.message_id),
            )

        await self._transaction(update)

    async def outbox_pending(self) -> int:
        def count(db: sqlite3.Connection) -> int:
            return db.execute("SELECT COUNT(*) FROM outbox WHERE state = 'pending'").fetchone()[0]

        return await self._run(count, self._db)

    # --- per-meter locks (one node: in memory) ------------------------------------------------

    async def acquire_meter(self, system_title: str, owner: str, ttl: float) -> bool:
        held = self._meter_locks.get(system_title)
        now = time.monotonic()
        if held is not None and held[0] != owner and held[1] > now:
            return False
        self._meter_locks[system_title] = (owner, now + ttl)
        return True

    async def release_meter(self, system_title: str, owner: str) -> None:
        held = self._meter_locks.get(system_title)
        if held is not None and held[0] == owner:
            del self._meter_locks[system_title]

    # --- invocation counters ------------------------------------------------------------------

    async def reserve(self, system_title: str, count: int) -> int:
        if count < 1:
            raise ValueError("reserve at least one counter")

        def reserve(db: sqlite3.Connection) -> int:
            row = db.execute(
                "SELECT next_own FROM invocation_counters WHERE system_title = ?",
                (system_title,),
            ).fetchone()
            first = row[0] if row else FIRST_COUNTER
            if first + count - 1 > MAX_INVOCATION_COUNTER:
                raise SecurityError(
                    "the gateway's invocation counter for this meter is exhausted: rekey"
                )
            db.execute(
                "INSERT INTO invocation_counters (system_title, next_own) VALUES (?, ?)"
                " ON CONFLICT(system_title) DO UPDATE SET next_own = excluded.next_own",
                (system_title, first + count),
            )
            return first

        def durable(db: sqlite3.Connection) -> int:
            db.execute("PRAGMA synchronous=FULL")
            try:
                return self._in_transaction(reserve)
            finally:
                db.execute("PRAGMA synchronous=NORMAL")

        return await self._run(durable, self._db)

    async def last_received(self, system_title: str) -> int | None:
        def select(db: sqlite3.Connection) -> int | None:
            row = db.execute(
                "SELECT last_received FROM invocation_counters WHERE system_title = ?",
                (system_title,),
            ).fetchone()
            return row[0] if row else None

        return await self._read(select, self._db)

    async def record_received(self, system_title: str, counter: int) -> None:
        def update(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO invocation_counters (system_title, next_own, last_received)"
                " VALUES (?, ?, ?) ON CONFLICT(system_title) DO UPDATE SET last_received ="
                " MAX(COALESCE(last_received, -1), excluded.last_received)",
                (system_title, FIRST_COUNTER, counter),
            )

        await self._transaction(update)


def _rollback(db: sqlite3.Connection) -> None:
    if db.in_transaction:  # some errors (a full disk) have rolled it back already
        db.execute("ROLLBACK")


def _settle(futures: list[asyncio.Future], outcomes: list[tuple[bool, Any]]) -> None:
    for future, (ok, value) in zip(futures, outcomes, strict=True):
        if future.done():  # its caller was cancelled; the write stands
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)


# A resource's tasks, found by their keys ("resource/iteration/device", see Task.key) in the
# primary key's index: an index of their own would be one more to update per task queued and
# per task completed, for the sake of rare cancels and deletes.
_RESOURCE_TASKS = "key >= ? AND key < ? AND resource_id = ?"


def _resource_tasks(resource_id: str) -> tuple[str, str, str]:
    return f"{resource_id}/", f"{resource_id}0", resource_id  # "0" follows "/"


# Queued tasks (tasks_queued) and those whose lease ran out (tasks_leased), merged in claim
# order: a claim does not step over the tasks being worked on (up to a worker's concurrency
# of them sit at the head of the order while they run). Fields come split for _Decoded.
_CLAIM_TASKS = (
    "SELECT rowid, json_remove(fields, '$.device_id'), json_extract(fields, '$.device_id'),"
    " owner, priority, due, key FROM tasks"
    " WHERE owner IS NULL AND (not_before IS NULL OR not_before <= ?)"
    " UNION ALL"
    " SELECT rowid, json_remove(fields, '$.device_id'), json_extract(fields, '$.device_id'),"
    " owner, priority, due, key FROM tasks"
    " WHERE owner IS NOT NULL AND lease_until < ? AND (not_before IS NULL OR not_before <= ?)"
    " ORDER BY priority DESC, due, key LIMIT ?"
)


def _count(
    db: sqlite3.Connection,
    known: dict[tuple[str, int], _Counted],
    key: tuple[str, int],
    results_ok: int,
    results_failed: int,
) -> Iteration | None:
    """Count a completed task in its iteration's stored fields; the iteration as counted, or
    None when it is gone.

    The fields as this store last wrote them (``known``) are written again with the new
    counts only where the row still holds exactly that text: then they are what they were,
    and need neither be read nor decoded nor encoded (an iteration's tasks are counted one
    after another). Else (first count here, the iteration was finished, a write rolled
    back) they are read and decoded."""
    counted = known.get(key)
    if counted is not None:
        new = counted.add(results_ok, results_failed)
        if db.execute(_COUNT_AGAIN, (new.text, *key, counted.text)).rowcount:
            known[key] = new
            return new.iteration()
    row = db.execute(
        "SELECT fields FROM iterations WHERE resource_id = ? AND number = ?", key
    ).fetchone()
    if row is None:
        known.pop(key, None)
        return None
    fields = json.loads(row[0])
    fields["tasks_done"] += 1
    fields["results_ok"] += results_ok
    fields["results_failed"] += results_failed
    iteration = iteration_from_dict(fields)
    new = _Counted.split(fields, iteration)
    if new is None:
        known.pop(key, None)
        text = json.dumps(fields)
    else:
        if len(known) >= _COUNTED_LIMIT:
            known.clear()
        known[key] = new
        text = new.text
    db.execute(
        "UPDATE iterations SET fields = ? WHERE resource_id = ? AND number = ?", (text, *key)
    )
    return iteration


_COUNT_AGAIN = (
    "UPDATE iterations SET fields = ? WHERE resource_id = ? AND number = ? AND fields = ?"
)
_COUNTED_LIMIT = 256  # iterations whose fields are kept (those being worked on: a few)
_COUNTERS = ("tasks_done", "results_ok", "results_failed")


class _Counted:
    """An iteration's fields as stored: their text, that text as a template of the counts (it
    is the ``json.dumps`` of the fields, whatever the counts), the counts and the values of
    the Iteration's other fields."""

    __slots__ = ("counts", "template", "text", "values")

    def __init__(self, template: str, values: dict[str, Any], counts: tuple[int, int, int]):
        self.template, self.values, self.counts = template, values, counts
        done, ok, failed = counts
        self.text = template.format(tasks_done=done, results_ok=ok, results_failed=failed)

    @classmethod
    def split(cls, fields: dict[str, Any], iteration: Iteration) -> _Counted | None:
        """None when a counter cannot be told apart in the text."""
        marked = dict(fields)
        for name in _COUNTERS:
            marked[name] = _MARK + name
        template = json.dumps(marked).replace("{", "{{").replace("}", "}}")
        for name in _COUNTERS:
            mark = encode_basestring_ascii(_MARK + name)
            if template.count(mark) != 1:
                return None
            template = template.replace(mark, f"{{{name}}}")
        values = {k: v for k, v in vars(iteration).items() if k not in _COUNTERS}
        return cls(template, values, tuple(fields[name] for name in _COUNTERS))

    def add(self, ok: int, failed: int) -> _Counted:
        """One more task done, with that many results."""
        done, was_ok, was_failed = self.counts
        return _Counted(self.template, self.values, (done + 1, was_ok + ok, was_failed + failed))

    def iteration(self) -> Iteration:
        done, ok, failed = self.counts
        return Iteration(**self.values, tasks_done=done, results_ok=ok, results_failed=failed)


_MARK = "\x00count\x00"


class _Decoded:
    """Tasks' stored fields decoded once per distinct text less the device id (SQLite splits
    it off): the tasks of an iteration share one. The key is the text itself, so an entry
    cannot go stale. Used by the store's thread only."""

    LIMIT = 256  # distinct texts kept (retried tasks add some): then it starts over

    def __init__(self) -> None:
        self._tasks: dict[str, dict[str, Any]] = {}

    def task(self, static: str, device_id: str, *, recovered: bool, token: str) -> Task:
        values = self._tasks.get(static)
        if values is None:
            fields = json.loads(static)
            fields["device_id"] = device_id
            decoded = task_from_dict(fields, recovered=False, token=None)
            if len(self._tasks) >= self.LIMIT:
                self._tasks.clear()
            values = {k: v for k, v in vars(decoded).items() if k not in _TASK_OWN}
            self._tasks[static] = values
        return Task(**values, device_id=device_id, recovered=recovered, lease_token=token)


# A task's values that are not those of every task of its iteration (the last two are not in
# its stored fields).
_TASK_OWN = ("device_id", "recovered", "lease_token")


# Host parameters in one IN (...) list (SQLite's limit is 999 before 3.32).
_IN_LIMIT = 500


def _start_iteration(db: sqlite3.Connection, iteration: Iteration, tasks: Sequence[Task]) -> bool:
    try:
        db.execute(
            "INSERT INTO iterations (resource_id, number, fields, status, started)"
            " VALUES (?, ?, ?, ?, ?)",
            (
                iteration.resource_id,
                iteration.number,
                json.dumps(iteration_to_dict(iteration)),
                str(iteration.status),
                epoch(iteration.started),
            ),
        )
    except sqlite3.IntegrityError:
        return False
    db.executemany(
        "INSERT OR IGNORE INTO tasks (key, resource_id, fields, priority, due, not_before)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        _task_rows(tasks),
    )
    return True


def _task_rows(tasks: Iterable[Task]) -> list[tuple[Any, ...]]:
    """Rows of the tasks table. The tasks of an iteration differ by their device only: the
    stored fields (``task_to_dict`` as JSON) are encoded once for all of them, around the
    device id, and the times converted once."""
    encoded: dict[tuple[Any, ...], tuple[str, str, float | None, float | None] | None] = {}
    rows = []
    for task in tasks:
        shared = _task_shared(task)
        parts = encoded.get(shared, False)
        if parts is False:
            parts = encoded[shared] = _task_parts(task)
        if parts is None:  # the device id cannot be told apart in the text
            fields = json.dumps(task_to_dict(task))
            due, not_before = epoch(task.due), epoch(task.not_before)
        else:
            head, tail, due, not_before = parts
            fields = head + encode_basestring_ascii(task.device_id) + tail
        rows.append((task.key, task.resource_id, fields, task.priority, due, not_before))
    return rows


def _task_parts(task: Task) -> tuple[str, str, float | None, float | None] | None:
    """The task's stored fields as JSON text before and after its device id (None if the
    split would be ambiguous), and its due and not_before times."""
    fields = task_to_dict(task)
    fields["device_id"] = _DEVICE_MARK
    parts = json.dumps(fields).split(encode_basestring_ascii(_DEVICE_MARK))
    if len(parts) != 2:
        return None
    return parts[0], parts[1], fields["due"], fields["not_before"]


# What a task's stored fields hold but its device (attrgetter: a tuple, in one call).
_task_shared = attrgetter(*(f.name for f in dataclasses.fields(Task) if f.name not in _TASK_OWN))
_DEVICE_MARK = "\x00device\x00"


def _update_fields(
    db: sqlite3.Connection, resource_id: str, stored: Mapping[str, Any], blocked: set[str]
) -> tuple[dict[str, Any], bytes] | None:
    """Set stored fields of a resource unless its status is blocked: (fields, request)."""
    row = db.execute(
        "SELECT fields, request FROM resources WHERE id = ?", (resource_id,)
    ).fetchone()
    if row is None:
        return None
    fields = json.loads(row[0])
    if fields["status"] in blocked:
        return None
    fields.update(stored)
    db.execute("UPDATE resources SET fields = ? WHERE id = ?", (json.dumps(fields), resource_id))
    return fields, row[1]


def _patch_fields(
    db: sqlite3.Connection, resource_id: str, stored: Mapping[str, Any], blocked: set[str]
) -> bool:
    """``_update_fields`` inside SQLite (json_set), without reading the resource back: each
    value goes in as the JSON text Python writes, so the stored text is the same."""
    if not stored:
        return _update_fields(db, resource_id, stored, blocked) is not None
    paths = ", ".join(f"'$.{name}', json(?)" for name in stored)  # names checked by the caller
    statuses = ", ".join("?" * len(blocked))
    return (
        db.execute(
            f"UPDATE resources SET fields = json_set(fields, {paths}) WHERE id = ?"
            f" AND json_extract(fields, '$.status') NOT IN ({statuses})",
            [*(json.dumps(value) for value in stored.values()), resource_id, *blocked],
        ).rowcount
        > 0
    )


_RESULT_COLUMNS = (
    "resource_id, iteration, device_id, access_index, captured, ok, xml, request_key, seq"
)


def _result(row: tuple) -> StoredResult:
    rid, number, device, index, captured, ok, xml, key, seq = row
    return StoredResult(rid, number, device, index, moment(captured), bool(ok), xml, key, seq)


def _insert_results(db: sqlite3.Connection, results: Sequence[StoredResult]) -> None:
    db.executemany(
        "INSERT INTO results (resource_id, iteration, device_id, access_index, captured, ok, xml,"
        " request_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                r.resource_id,
                r.iteration,
                r.device_id,
                r.access_index,
                epoch(r.captured),
                int(r.ok),
                r.xml,
                r.request_key,
            )
            for r in results
        ],
    )
