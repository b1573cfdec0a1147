"""The shared store: Redis, for several gateway processes sharing the work.

Every operation is one Redis command, one MULTI/EXEC, or one Lua script (``redis_scripts``),
so each is atomic across nodes. Leases are judged by the callers' clock (the ``now`` and
``until`` arguments: nodes need synchronised clocks, tests inject time); only the per-meter
locks run on Redis's own clock (``SET NX PX``). Times are stored as epoch seconds written
with ``repr`` (exact round trip); payloads (request, result XML, message bodies) as bytes.

Redis must persist: run it with ``appendonly yes`` (``appendfsync everysec`` loses at most a
second of work on a power cut; invocation counters are reserved in blocks and the block is
skipped, not reused, only if the write is kept, so use ``appendfsync always`` or Redis >= 7.2,
where ``reserve`` waits for the fsync with WAITAOF). One server or a primary with replicas:
the scripts pick keys at run time, so Redis Cluster is not supported.

Key layout (``P`` is the prefix, ``cas:`` by default; ``{n}`` an iteration number, ``{len}``
the byte length of the string after it, which keeps two free-form parts apart):

Resources and schedule
    P resources                 zset   resource id, score created (list oldest first)
    P res:{rid}                 hash   one field per Resource field, each JSON; ``request``
                                       raw bytes
    P sched                     zset   resource id, score due (scheduled, not claimed)
    P sched:leases              zset   resource id, score claim expiry (claimed by claim_due)
    P sched:claimed             hash   resource id -> its due time while claimed
Iterations
    P iter:{n}:{rid}            hash   one field per Iteration field, each JSON (counters are
                                       plain integers: HINCRBY)
    P iters:{rid}               zset   iteration numbers of the resource
    P running                   zset   "{n}:{rid}" of EXECUTING iterations, score started
Device tasks (a reliable queue)
    P task:{task key}           hash   data (JSON), prio, member, nb (not_before), owner,
                                       token, recovered
    P rtasks:{rid}              set    task keys of the resource
    P queue:ready               zset   member "<due µs, 20 digits> <task key>", score
                                       -priority: ZRANGE 0 n gives priority desc, due asc,
                                       then key, exactly (no precision traded in a score)
    P queue:delayed             zset   task key, score not_before (a retry waiting)
    P queue:leased              zset   task key, score lease expiry
Results
    P seq                       string the result sequence (INCR), shared by all resources
    P results:{rid}             zset   meta "[seq,iteration,device,access,captured,ok,key]",
                                       score seq: paging by sequence is ZRANGEBYSCORE
    P riter:{n}:{rid}           zset   the same metas of one iteration
    P rdev:{len}:{rid}:{device} zset   the same metas of one device
    P rindex:{rid}              set    names of the resource's riter/rdev keys
    P rxml:{rid}                hash   seq -> result XML
    P cache:{len}:{device}:{request key}
                                zset   "<seq, 15 digits>:{rid}" of successful results, score
                                       captured (NotOlderThan: the highest score wins)
    P rcache:{rid}              hash   cache member -> cache key (removed with the resource)
Outbox
    P msg:{message id}          hash   data (JSON), body, created, attempts, next_attempt,
                                       last_error, state (pending|dead), member, owner, token
    P outbox:seq                string put sequence (INCR)
    P outbox:ready              zset   member "<put sequence, 15 digits> <message id>",
                                       score created (ties keep the order of putting)
    P outbox:delayed            zset   message id, score next attempt
    P outbox:leased             zset   message id, score lease expiry
    P outbox:dead               zset   message id, score created (kept aside)
Meter locks and invocation counters
    P meter:{system title}      string owner, with a TTL (PX)
    P ctr:own                   hash   system title -> next own invocation counter
    P ctr:received              hash   system title -> highest counter seen from the meter
Segment limits shared by the nodes (Redis's clock)
    P seg:open:{segment}        zset   "{node}:{n}" of each connection open in the segment,
                                       score its expiry (ms; renewed while it is open)
    P seg:next:{segment}        string the segment's next free start (µs), with a TTL
Pub/sub channels (nothing stored)
    P meters-wanted             a node waiting for a meter another node holds names it
    P work-notices              a node that queued work names its kind (cas.access.notices)

A task claim carries a token; extending, retrying and completing check it, so a worker whose
lease ran out and was taken over cannot store anything. A task whose lease ran out goes back
to the ready set (marked ``recovered``) keeping its owner and token until another claim takes
it: as on SQLite, a slow worker nobody replaced may still complete.

Connection faults: redis-py retries a command on a connection error with exponential backoff
(about 5 s in all), so a Redis restart within that time is invisible; past it, calls raise
``redis.exceptions.ConnectionError`` and the next call after Redis is back works again.
A retried script whose first run reached Redis before the connection dropped runs twice:
claims are then only delayed by a lease; ``put_results`` may store a result twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.connection import AbstractConnection
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import DataError, ResponseError

try:
    import hiredis
except ImportError:  # redis-py without its hiredis extra: Python packing
    hiredis = None

from cas.dlms.counters import FIRST_COUNTER
from cas.dlms.errors import SecurityError
from cas.dlms.gcm import MAX_INVOCATION_COUNTER
from cas.store import redis_scripts as lua
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

logger = logging.getLogger(__name__)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EXECUTING = json.dumps(str(IterationStatus.EXECUTING))
# Scanning with a filter the index cannot apply reads metas in chunks of this many.
_SCAN_CHUNK = 1000
# A devices filter naming up to this many devices reads their own indexes; more: one scan.
_MAX_DEVICE_INDEXES = 32
# Connections to Redis per store (redis-py's default limit); a command beyond it waits up to
# CONNECTION_WAIT seconds for one to be free.
MAX_CONNECTIONS = 100
CONNECTION_WAIT = 20.0


class RedisKeys:
    """Every key name of one store (see the module docstring for the layout)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = p = prefix
        self.resources = p + "resources"
        self.sched = p + "sched"
        self.sched_leases = p + "sched:leases"
        self.sched_claimed = p + "sched:claimed"
        self.running = p + "running"
        self.ready = p + "queue:ready"
        self.delayed = p + "queue:delayed"
        self.leased = p + "queue:leased"
        self.seq = p + "seq"
        self.outbox_ready = p + "outbox:ready"
        self.outbox_delayed = p + "outbox:delayed"
        self.outbox_leased = p + "outbox:leased"
        self.outbox_dead = p + "outbox:dead"
        self.outbox_seq = p + "outbox:seq"
        self.own_counters = p + "ctr:own"
        self.received_counters = p + "ctr:received"

    def resource(self, rid: str) -> str:
        return f"{self.prefix}res:{rid}"

    def iteration(self, rid: str, number: int) -> str:
        return f"{self.prefix}iter:{number}:{rid}"

    def iterations(self, rid: str) -> str:
        return f"{self.prefix}iters:{rid}"

    def task(self, key: str) -> str:
        return f"{self.prefix}task:{key}"

    def resource_tasks(self, rid: str) -> str:
        return f"{self.prefix}rtasks:{rid}"

    def results(self, rid: str) -> str:
        return f"{self.prefix}results:{rid}"

    def iteration_results(self, rid: str, number: int) -> str:
        return f"{self.prefix}riter:{number}:{rid}"

    def device_results(self, rid: str, device: str) -> str:
        return f"{self.prefix}rdev:{_size(rid)}:{rid}:{device}"

    def result_indexes(self, rid: str) -> str:
        return f"{self.prefix}rindex:{rid}"

    def result_xml(self, rid: str) -> str:
        return f"{self.prefix}rxml:{rid}"

    def cache(self, device: str, request_key: str) -> str:
        return f"{self.prefix}cache:{_size(device)}:{device}:{request_key}"

    def result_cache(self, rid: str) -> str:
        return f"{self.prefix}rcache:{rid}"

    def message(self, message_id: str) -> str:
        return f"{self.prefix}msg:{message_id}"

    def meter(self, system_title: str) -> str:
        return f"{self.prefix}meter:{system_title}"

    @property
    def meters_wanted(self) -> str:
        """Pub/sub channel: a node waiting for a meter another node holds names it here."""
        return f"{self.prefix}meters-wanted"

    def segment_connections(self, segment: str) -> str:
        return f"{self.prefix}seg:open:{segment}"

    def segment_next_start(self, segment: str) -> str:
        return f"{self.prefix}seg:next:{segment}"

    @property
    def work_notices(self) -> str:
        """Pub/sub channel: a node that queued work says which kind (cas.access.notices)."""
        return f"{self.prefix}work-notices"


def running_member(rid: str, number: int) -> str:
    return f"{number}:{rid}"


def _size(text: str) -> int:
    return len(text.encode())


def _score(moment_: datetime) -> str:
    """An aware datetime as epoch seconds, written so that Redis parses the same double."""
    return repr(epoch(moment_))


def _optional_score(moment_: datetime | None) -> str:
    return "" if moment_ is None else _score(moment_)


def _ready_member(task: Task) -> str:
    micros = (task.due - _EPOCH) // timedelta(microseconds=1)
    if not 0 <= micros < 10**20:
        raise ValueError(f"task due time out of range: {task.due}")
    return f"{micros:020d} {task.key}"


def _json_fields(data: Mapping[str, Any]) -> list[str]:
    pairs: list[str] = []
    for name, value in data.items():
        pairs += [name, json.dumps(value)]
    return pairs


def _from_json_fields(raw: Mapping[bytes, bytes]) -> dict[str, Any]:
    """A hash whose values are JSON texts, decoded as one JSON object (one parse)."""
    return json.loads(b"{" + b",".join(b'"%s":%s' % item for item in raw.items()) + b"}")


def _pairs(flat: Sequence[Any]) -> dict[bytes, bytes]:
    return dict(zip(flat[::2], flat[1::2], strict=True))


def _token_base() -> str:
    return uuid.uuid4().hex


class RedisStore:
    """``await RedisStore.open("redis://host:6379/0")``: see the module docstring."""

    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self._client = client
        self.prefix = prefix
        self.keys = RedisKeys(prefix)
        self._wait_for_fsync = False
        self._scripts = {
            name: client.register_script(getattr(lua, name))
            for name in (
                "CREATE_RESOURCE",
                "SEGMENT_ENTER",
                "SEGMENT_RENEW",
                "SEGMENT_START",
                "UPDATE_RESOURCE",
                "DELETE_RESOURCE",
                "CLAIM_DUE",
                "RESCHEDULE",
                "START_ITERATION",
                "CLAIM_TASKS",
                "EXTEND_LEASE",
                "RETRY_TASK",
                "COMPLETE_TASK",
                "PUT_RESULTS",
                "FINISH_ITERATION",
                "CANCEL_TASKS",
                "OUTBOX_PUT",
                "OUTBOX_CLAIM",
                "OUTBOX_DELIVERED",
                "OUTBOX_RETRY",
                "OUTBOX_DEAD",
                "ACQUIRE_METER",
                "RELEASE_METER",
                "RESERVE",
                "RECORD_RECEIVED",
            )
        }

    @classmethod
    async def open(cls, url: str, *, prefix: str = "cas:", retries: int = 10) -> RedisStore:
        """Connect (checked with a PING) and load the scripts. A command that meets a
        connection error is tried again up to ``retries`` times, with backoff from 50 ms to
        1 s (the default rides out a restart of a few seconds)."""
        # As aioredis.from_url, with a pool that makes a command wait for a free connection
        # instead of failing (MaxConnectionsError) when more than MAX_CONNECTIONS commands
        # are under way at once: a worker's tasks, meter lock renewals and the dispatcher.
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=MAX_CONNECTIONS,
            timeout=CONNECTION_WAIT,
            decode_responses=False,
            socket_connect_timeout=5,
            retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=1.0), retries=retries),
        )
        pool.connection_class = _hiredis_packing(pool.connection_class)
        client = aioredis.Redis(connection_pool=pool)
        client.auto_close_connection_pool = True
        store = cls(client, prefix)
        try:
            await client.ping()
            for script in store._scripts.values():
                await client.script_load(script.script)
            await store._check_persistence()
        except BaseException:
            await client.aclose()
            raise
        return store

    async def _check_persistence(self) -> None:
        try:
            info = await self._client.info("server")
            persistence = await self._client.info("persistence")
        except ResponseError:  # INFO disabled (some managed services): nothing to check
            return
        version = tuple(int(part) for part in str(info.get("redis_version", "0")).split(".")[:2])
        if not persistence.get("aof_enabled"):
            logger.warning(
                "Redis runs without AOF persistence (appendonly no): a restart loses "
                "schedules, queued work and invocation counters"
            )
            return
        self._wait_for_fsync = version >= (7, 2)

    async def close(self) -> None:
        await self._client.aclose()

    async def _run(self, name: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
        return await self._scripts[name](keys=keys, args=args)

    # --- resources -------------------------------------------------------------------------

    async def create_resource(self, resource: Resource, first_due: datetime | None) -> None:
        k = self.keys
        fields = [*_json_fields(resource_to_dict(resource)), "request", resource.request]
        created = await self._run(
            "CREATE_RESOURCE",
            [k.resource(resource.id), k.resources, k.sched],
            [resource.id, _score(resource.created), _optional_score(first_due), *fields],
        )
        if not created:
            raise ValueError(f"resource {resource.id!r} already exists")

    async def get_resource(self, resource_id: str) -> Resource | None:
        raw = await self._client.hgetall(self.keys.resource(resource_id))
        return _resource(raw) if raw else None

    async def list_resources(self) -> list[Resource]:
        ids = await self._client.zrange(self.keys.resources, 0, -1)
        async with self._client.pipeline(transaction=False) as pipe:
            for rid in ids:
                pipe.hgetall(self.keys.resource(rid.decode()))
            rows = await pipe.execute()
        return [_resource(raw) for raw in rows if raw]

    async def update_resource(
        self,
        resource_id: str,
        changes: Mapping[str, Any],
        *,
        unless_status: Iterable[ResourceStatus] = (),
    ) -> Resource | None:
        blocked = [json.dumps(str(status)) for status in unless_status]
        flat = await self._run("UPDATE_RESOURCE", *self._update_args(resource_id, changes, blocked))
        return _resource(_pairs(flat)) if flat else None

    def _update_args(
        self, resource_id: str, changes: Mapping[str, Any], blocked: list[str]
    ) -> tuple[list, list]:
        stored = {name: resource_change(name, value) for name, value in changes.items()}
        return [self.keys.resource(resource_id)], [len(blocked), *blocked, *_json_fields(stored)]

    async def delete_resource(self, resource_id: str) -> bool:
        k = self.keys
        existed = await self._run(
            "DELETE_RESOURCE",
            [
                k.resource(resource_id),
                k.resources,
                k.sched,
                k.sched_leases,
                k.sched_claimed,
                k.iterations(resource_id),
                k.running,
                k.resource_tasks(resource_id),
                k.ready,
                k.delayed,
                k.leased,
                k.result_indexes(resource_id),
                k.result_cache(resource_id),
                k.results(resource_id),
                k.result_xml(resource_id),
            ],
            [self.prefix, resource_id],
        )
        return bool(existed)

    # --- schedule ----------------------------------------------------------------------------

    async def claim_due(
        self, now: datetime, limit: int, owner: str, lease: float
    ) -> list[tuple[str, datetime]]:
        if limit <= 0:
            return []
        k = self.keys
        flat = await self._run(
            "CLAIM_DUE",
            [k.sched, k.sched_leases, k.sched_claimed],
            [_score(now), _score(now + timedelta(seconds=lease)), limit],
        )
        return [
            (rid.decode(), moment(float(due)))
            for rid, due in zip(flat[::2], flat[1::2], strict=True)
        ]

    async def reschedule(self, resource_id: str, due: datetime | None) -> None:
        await self._run("RESCHEDULE", *self._reschedule_args(resource_id, due))

    def _reschedule_args(self, resource_id: str, due: datetime | None) -> tuple[list, list]:
        k = self.keys
        keys = [k.resource(resource_id), k.sched, k.sched_leases, k.sched_claimed]
        return keys, [resource_id, _optional_score(due)]

    async def next_due(self) -> datetime | None:
        first = await self._client.zrange(self.keys.sched, 0, 0, withscores=True)
        return moment(first[0][1]) if first else None

    # --- iterations and tasks ------------------------------------------------------------------

    async def start_iteration(self, iteration: Iteration, tasks: Sequence[Task]) -> bool:
        return bool(await self._run("START_ITERATION", *self._start_args(iteration, tasks)))

    def _start_args(self, iteration: Iteration, tasks: Sequence[Task]) -> tuple[list, list]:
        k = self.keys
        rid, number = iteration.resource_id, iteration.number
        fields = _json_fields(iteration_to_dict(iteration))
        executing = iteration.status is IterationStatus.EXECUTING
        args: list[Any] = [
            self.prefix,
            number,
            running_member(rid, number) if executing else "",
            _score(iteration.started),
            len(fields),
            *fields,
        ]
        for task in tasks:
            args += [
                task.key,
                k.resource_tasks(task.resource_id),
                json.dumps(task_to_dict(task)),
                -task.priority,
                _ready_member(task),
                _optional_score(task.not_before),
            ]
        return [k.iteration(rid, number), k.iterations(rid), k.running, k.ready, k.delayed], args

    async def get_iteration(self, resource_id: str, number: int) -> Iteration | None:
        raw = await self._client.hgetall(self.keys.iteration(resource_id, number))
        return iteration_from_dict(_from_json_fields(raw)) if raw else None

    async def iterations(self, resource_id: str) -> list[Iteration]:
        numbers = await self._client.zrange(self.keys.iterations(resource_id), 0, -1)
        return await self._iterations([(resource_id, int(n)) for n in numbers])

    async def _iterations(self, which: Sequence[tuple[str, int]]) -> list[Iteration]:
        async with self._client.pipeline(transaction=False) as pipe:
            for rid, number in which:
                pipe.hgetall(self.keys.iteration(rid, number))
            rows = await pipe.execute()
        return [iteration_from_dict(_from_json_fields(raw)) for raw in rows if raw]

    async def claim_tasks(self, owner: str, now: datetime, limit: int, lease: float) -> list[Task]:
        if limit <= 0:
            return []
        k = self.keys
        flat = await self._run(
            "CLAIM_TASKS",
            [k.ready, k.delayed, k.leased],
            [
                self.prefix,
                _score(now),
                _score(now + timedelta(seconds=lease)),
                limit,
                owner,
                _token_base(),
            ],
        )
        return [
            task_from_dict(json.loads(data), recovered=recovered == b"1", token=token.decode())
            for data, recovered, token in zip(flat[::3], flat[1::3], flat[2::3], strict=True)
        ]

    async def extend_lease(self, task: Task, owner: str, until: datetime) -> bool:
        kept = await self._run(
            "EXTEND_LEASE",
            [self.keys.task(task.key), self.keys.leased, self.keys.ready],
            [task.key, owner, task.lease_token or "", _score(until)],
        )
        return bool(kept)

    async def retry_task(self, task: Task, not_before: datetime) -> None:
        k = self.keys
        again = Task(
            task.resource_id,
            task.iteration,
            task.device_id,
            task.priority,
            task.due,
            deadline=task.deadline,
            attempt=task.attempt + 1,
            not_before=not_before,
        )
        await self._run(
            "RETRY_TASK",
            [k.task(task.key), k.leased, k.ready, k.delayed],
            [task.key, task.lease_token or "", json.dumps(task_to_dict(again)), _score(not_before)],
        )

    async def complete_task(
        self, task: Task, owner: str, results: Sequence[StoredResult]
    ) -> Iteration | None:
        k = self.keys
        ok = sum(1 for r in results if r.ok)
        flat = await self._run(
            "COMPLETE_TASK",
            [
                k.task(task.key),
                k.leased,
                k.ready,
                k.delayed,
                k.resource_tasks(task.resource_id),
                k.iteration(task.resource_id, task.iteration),
                k.seq,
            ],
            [
                task.key,
                owner,
                task.lease_token or "",
                ok,
                len(results) - ok,
                self.prefix,
                *self._result_args(results),
            ],
        )
        return iteration_from_dict(_from_json_fields(_pairs(flat))) if flat else None

    async def finish_iteration(
        self, resource_id: str, number: int, status: IterationStatus, finished: datetime
    ) -> bool:
        done = await self._run(
            "FINISH_ITERATION",
            [self.keys.iteration(resource_id, number), self.keys.running],
            [
                _EXECUTING,
                json.dumps(str(status)),
                json.dumps(epoch(finished)),
                running_member(resource_id, number),
            ],
        )
        return bool(done)

    async def cancel_tasks(self, resource_id: str) -> int:
        k = self.keys
        return int(
            await self._run(
                "CANCEL_TASKS",
                [k.resource_tasks(resource_id), k.ready, k.delayed, k.leased],
                [self.prefix],
            )
        )

    async def unfinished_iterations(self, older_than: datetime) -> list[Iteration]:
        members = await self._client.zrangebyscore(
            self.keys.running, "-inf", f"({_score(older_than)}"
        )
        which = []
        for member in members:
            number, rid = member.decode().split(":", 1)
            which.append((rid, int(number)))
        found = await self._iterations(which)
        return [i for i in found if i.status is IterationStatus.EXECUTING and i.complete]

    # --- batches: one MULTI/EXEC of the single operations' scripts (one round trip) ---------

    async def _batch(self, calls: Sequence[tuple[str, tuple[list, list]]]) -> list[Any]:
        if not calls:
            return []
        async with self._client.pipeline(transaction=True) as pipe:
            for name, (keys, args) in calls:
                await self._scripts[name](keys=keys, args=args, client=pipe)
            return await pipe.execute()

    async def get_resources(self, resource_ids: Sequence[str]) -> list[Resource | None]:
        if not resource_ids:
            return []
        async with self._client.pipeline(transaction=False) as pipe:
            for rid in resource_ids:
                pipe.hgetall(self.keys.resource(rid))
            rows = await pipe.execute()
        return [_resource(raw) if raw else None for raw in rows]

    async def start_iterations(
        self, starts: Sequence[tuple[Iteration, Sequence[Task]]]
    ) -> list[bool]:
        calls = [("START_ITERATION", self._start_args(it, tasks)) for it, tasks in starts]
        return [bool(started) for started in await self._batch(calls)]

    async def update_resources(
        self,
        updates: Sequence[tuple[str, Mapping[str, Any]]],
        *,
        unless_status: Iterable[ResourceStatus] = (),
    ) -> list[bool]:
        blocked = [json.dumps(str(status)) for status in unless_status]
        calls = [
            ("UPDATE_RESOURCE", self._update_args(rid, changes, blocked))
            for rid, changes in updates
        ]
        return [bool(flat) for flat in await self._batch(calls)]

    async def reschedule_many(self, schedule: Sequence[tuple[str, datetime | None]]) -> None:
        await self._batch(
            [("RESCHEDULE", self._reschedule_args(rid, due)) for rid, due in schedule]
        )

    # --- results --------------------------------------------------------------------------

    def _result_args(self, results: Sequence[StoredResult]) -> list[Any]:
        k = self.keys
        args: list[Any] = []
        for r in results:
            rid = r.resource_id
            captured = epoch(r.captured)
            tail = json.dumps(
                [r.iteration, r.device_id, r.access_index, captured, r.ok, r.request_key],
                separators=(",", ":"),
            )[1:]
            cacheable = r.ok and r.request_key is not None
            args += [
                rid,
                k.iteration_results(rid, r.iteration),
                k.device_results(rid, r.device_id),
                k.cache(r.device_id, r.request_key) if cacheable else "",
                tail,
                r.xml,
                repr(captured),
            ]
        return args

    async def put_results(self, results: Sequence[StoredResult]) -> None:
        if results:
            await self._run(
                "PUT_RESULTS", [self.keys.seq], [self.prefix, *self._result_args(results)]
            )

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
        if limit is not None and limit <= 0:
            return []
        k = self.keys
        low, high = epoch(start), epoch(end)
        wanted = set(devices) if devices is not None else None
        # The narrowest index that answers the query; whatever it does not filter, we do.
        if wanted is not None and len(wanted) <= _MAX_DEVICE_INDEXES:
            sources = [k.device_results(resource_id, device) for device in sorted(wanted)]
            exact = iteration is None
        elif iteration is not None:
            sources = [k.iteration_results(resource_id, iteration)]
            exact = wanted is None
        else:
            sources = [k.results(resource_id)]
            exact = wanted is None
        exact = exact and low is None and high is None

        def keep(meta: list[Any]) -> bool:
            _, number, device, _, captured, ok, _ = meta
            return (
                (not latest_only or ok)
                and (iteration is None or number == iteration)
                and (wanted is None or device in wanted)
                and (low is None or captured >= low)
                and (high is None or captured <= high)
            )

        if latest_only:
            latest: dict[tuple[str, int], list[Any]] = {}
            for source in sources:
                for meta in await self._scan(source, 0, None, keep, exact=False):
                    slot = (meta[2], meta[3])
                    if slot not in latest or latest[slot][0] < meta[0]:
                        latest[slot] = meta
            chosen = sorted((m for m in latest.values() if m[0] > after), key=lambda m: m[0])
        else:
            chosen = []
            for source in sources:
                chosen += await self._scan(source, after, limit, keep, exact=exact)
            chosen.sort(key=lambda m: m[0])
        if limit is not None:
            chosen = chosen[:limit]
        if not chosen:
            return []
        xmls = await self._client.hmget(k.result_xml(resource_id), [m[0] for m in chosen])
        return [
            _stored_result(resource_id, meta, xml)
            for meta, xml in zip(chosen, xmls, strict=True)
            if xml is not None  # deleted meanwhile
        ]

    async def _scan(
        self, source: str, after: int, limit: int | None, keep: Any, *, exact: bool
    ) -> list[list[Any]]:
        """Metas of ``source`` with sequence > after that ``keep`` accepts, at most limit."""
        chunk = limit if exact else max(limit or 0, _SCAN_CHUNK)
        found: list[list[Any]] = []
        cursor = after
        while True:
            if chunk is None:
                batch = await self._client.zrangebyscore(source, f"({cursor}", "+inf")
            else:
                batch = await self._client.zrangebyscore(
                    source, f"({cursor}", "+inf", start=0, num=chunk
                )
            for raw in batch:
                meta = json.loads(raw)
                cursor = meta[0]
                if keep(meta):
                    found.append(meta)
                    if limit is not None and len(found) >= limit:
                        return found
            if chunk is None or len(batch) < chunk:
                return found

    async def cached_result(
        self, device_id: str, request_key: str, not_older_than: datetime
    ) -> StoredResult | None:
        k = self.keys
        newest = await self._client.zrevrangebyscore(
            k.cache(device_id, request_key), "+inf", _score(not_older_than), start=0, num=1
        )
        if not newest:
            return None
        seq_text, rid = newest[0].decode().split(":", 1)
        seq = int(seq_text)
        async with self._client.pipeline(transaction=False) as pipe:
            pipe.zrangebyscore(k.results(rid), seq, seq)
            pipe.hget(k.result_xml(rid), seq)
            metas, xml = await pipe.execute()
        if not metas or xml is None:
            return None
        return _stored_result(rid, json.loads(metas[0]), xml)

    # --- outbox ------------------------------------------------------------------------------

    async def outbox_put(self, messages: Sequence[OutboxMessage]) -> None:
        if not messages:
            return
        args: list[Any] = [self.prefix]
        for m in messages:
            args += [
                m.message_id,
                json.dumps(outbox_to_dict(m)),
                m.body,
                _score(m.created),
                m.attempts,
                json.dumps(epoch(m.next_attempt)),
                json.dumps(m.last_error),
                _optional_score(m.next_attempt),
            ]
        k = self.keys
        await self._run("OUTBOX_PUT", [k.outbox_ready, k.outbox_delayed, k.outbox_seq], args)

    async def outbox_claim(
        self, owner: str, now: datetime, limit: int, lease: float
    ) -> list[OutboxMessage]:
        if limit <= 0:
            return []
        k = self.keys
        flat = await self._run(
            "OUTBOX_CLAIM",
            [k.outbox_ready, k.outbox_delayed, k.outbox_leased],
            [
                self.prefix,
                _score(now),
                _score(now + timedelta(seconds=lease)),
                limit,
                owner,
                _token_base(),
            ],
        )
        claimed = []
        for i in range(0, len(flat), 6):
            data, body, attempts, next_attempt, last_error, token = flat[i : i + 6]
            fields = json.loads(data)
            fields["attempts"] = int(attempts)
            fields["next_attempt"] = json.loads(next_attempt)
            fields["last_error"] = json.loads(last_error)
            claimed.append(outbox_from_dict(fields, body, token.decode()))
        return claimed

    async def outbox_delivered(self, message: OutboxMessage) -> None:
        k = self.keys
        mid = message.message_id
        await self._run(
            "OUTBOX_DELIVERED",
            [k.message(mid), k.outbox_ready, k.outbox_delayed, k.outbox_leased],
            [mid],
        )

    async def outbox_retry(
        self, message: OutboxMessage, next_attempt: datetime, error: str
    ) -> None:
        k = self.keys
        mid = message.message_id
        await self._run(
            "OUTBOX_RETRY",
            [k.message(mid), k.outbox_ready, k.outbox_delayed, k.outbox_leased],
            [mid, _score(next_attempt), json.dumps(error)],
        )

    async def outbox_dead(self, message: OutboxMessage, error: str) -> None:
        k = self.keys
        mid = message.message_id
        await self._run(
            "OUTBOX_DEAD",
            [k.message(mid), k.outbox_ready, k.outbox_delayed, k.outbox_leased, k.outbox_dead],
            [mid, json.dumps(error)],
        )

    async def outbox_pending(self) -> int:
        k = self.keys
        async with self._client.pipeline(transaction=True) as pipe:
            for queue in (k.outbox_ready, k.outbox_delayed, k.outbox_leased):
                pipe.zcard(queue)
            counts = await pipe.execute()
        return sum(counts)

    # --- per-meter locks (Redis's clock) -------------------------------------------------------

    async def acquire_meter(self, system_title: str, owner: str, ttl: float) -> bool:
        millis = max(1, round(ttl * 1000))
        taken = await self._run("ACQUIRE_METER", [self.keys.meter(system_title)], [owner, millis])
        return bool(taken)

    async def release_meter(self, system_title: str, owner: str) -> None:
        await self._run("RELEASE_METER", [self.keys.meter(system_title)], [owner])

    async def want_meter(self, system_title: str) -> None:
        """Ask the node holding the meter's lock to release it once it is idle."""
        await self._client.publish(self.keys.meters_wanted, system_title)

    def wanted_meters(self) -> AsyncIterator[str]:
        """The meters other nodes wait for, as they ask (subscribed again after a lost
        connection; a request made meanwhile is lost, and the waiter asks again)."""
        return self._listen(self.keys.meters_wanted, "wanted meters")

    # --- segment limits shared by the nodes (cas.dlms.shared_segments) ------------------------

    async def segment_enter(self, segment: str, holder: str, max_open: int, ttl: float) -> bool:
        """Count ``holder`` among the segment's open connections unless ``max_open`` are;
        the entry lapses after ``ttl`` seconds unless renewed."""
        entered = await self._run(
            "SEGMENT_ENTER",
            [self.keys.segment_connections(segment)],
            [holder, max_open, _millis(ttl)],
        )
        return bool(entered)

    async def segment_leave(self, segment: str, holder: str) -> None:
        await self._client.zrem(self.keys.segment_connections(segment), holder)

    async def segment_renew(self, held: Mapping[str, Sequence[str]], ttl: float) -> None:
        """Push the expiry of the entries still counted (segment -> holders) by ``ttl``."""
        async with self._client.pipeline(transaction=False) as pipe:
            for segment, holders in held.items():
                if holders:
                    await self._scripts["SEGMENT_RENEW"](
                        keys=[self.keys.segment_connections(segment)],
                        args=[_millis(ttl), *holders],
                        client=pipe,
                    )
            await pipe.execute()

    async def segment_start(self, segment: str, per_second: float) -> float:
        """Reserve the segment's next start of a new connection, ``1 / per_second`` after
        the last one reserved by any node; the seconds to wait for it."""
        waited = await self._run(
            "SEGMENT_START",
            [self.keys.segment_next_start(segment)],
            [max(1, round(1_000_000 / per_second))],
        )
        return int(waited) / 1_000_000

    # --- work notices between nodes -----------------------------------------------------------

    async def announce(self, notice: str) -> None:
        """Tell every node sharing this store (this one too) that work of a kind is queued."""
        await self._client.publish(self.keys.work_notices, notice)

    def notices(self) -> AsyncIterator[str]:
        """The notices announced by any node, as they come (subscribed again after a lost
        connection; a notice sent meanwhile is lost: the nodes' polls find its work)."""
        return self._listen(self.keys.work_notices, "work notices")

    async def _listen(self, channel: str, what: str) -> AsyncIterator[str]:
        while True:
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(channel)
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        yield message["data"].decode("ascii", "replace")
            except (RedisConnectionError, OSError) as error:
                logger.warning("listening for %s: %s; subscribing again", what, error)
                await asyncio.sleep(1.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    # --- invocation counters ------------------------------------------------------------------

    async def reserve(self, system_title: str, count: int) -> int:
        if count < 1:
            raise ValueError("reserve at least one counter")
        first = await self._run(
            "RESERVE",
            [self.keys.own_counters],
            [system_title, count, FIRST_COUNTER, MAX_INVOCATION_COUNTER],
        )
        if first < 0:
            raise SecurityError(
                "the gateway's invocation counter for this meter is exhausted: rekey"
            )
        if self._wait_for_fsync:
            # Redis >= 7.2: the new high-water mark is on disk before a counter is used.
            await self._client.execute_command("WAITAOF", 1, 0, 0)
        return int(first)

    async def last_received(self, system_title: str) -> int | None:
        value = await self._client.hget(self.keys.received_counters, system_title)
        return None if value is None else int(value)

    async def record_received(self, system_title: str, counter: int) -> None:
        await self._run("RECORD_RECEIVED", [self.keys.received_counters], [system_title, counter])


@functools.cache
def _hiredis_packing(base: type[AbstractConnection]) -> type[AbstractConnection]:
    """``base`` packing commands with hiredis (C) instead of Python: redis-py's asyncio
    connections always pack in Python (its sync ones use hiredis when installed), ~45 us
    for a script call of 60 arguments against ~4 us; the bytes sent are the same."""
    if hiredis is None:
        return base

    class HiredisPacking(base):  # type: ignore[misc, valid-type]
        def pack_command(self, *args: Any) -> list[bytes]:
            # as redis-py's HiredisRespSerializer: a command name may hold several words
            if isinstance(args[0], str):
                args = (*args[0].encode().split(), *args[1:])
            elif b" " in args[0]:
                args = (*args[0].split(), *args[1:])
            items = tuple(bytes(a) if isinstance(a, bytearray | memoryview) else a for a in args)
            try:
                return [hiredis.pack_command(items)]
            except TypeError as error:
                raise DataError(str(error)) from error

    HiredisPacking.__name__ = HiredisPacking.__qualname__ = f"HiredisPacking{base.__name__}"
    return HiredisPacking


def _resource(raw: Mapping[bytes, bytes]) -> Resource:
    fields = dict(raw)
    request = fields.pop(b"request")
    return resource_from_dict(_from_json_fields(fields), request)


def _stored_result(rid: str, meta: list[Any], xml: bytes) -> StoredResult:
    seq, number, device, index, captured, ok, key = meta
    return StoredResult(rid, number, device, index, moment(captured), ok, xml, key, seq)


def _millis(seconds: float) -> int:
    return max(1, round(seconds * 1000))
