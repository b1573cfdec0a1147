"""The storage protocol: everything durable the gateway keeps, as domain operations.

Two implementations pass one contract test suite (tests/store): ``SqliteStore`` (one node,
the default: a file, no setup) and ``RedisStore`` (several nodes sharing the work). Each
operation is atomic on its own. Work is handed out under leases: a claim that is not
completed before its lease runs out (its worker died) is handed out again, marked
``recovered``; completing a task whose lease was lost to another worker is ignored, so a
result is stored once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from cas.dlms.counters import InvocationCounterStore
from cas.store.model import (
    Iteration,
    IterationStatus,
    OutboxMessage,
    Resource,
    ResourceStatus,
    StoredResult,
    Task,
)


@runtime_checkable
class Store(InvocationCounterStore, Protocol):
    # --- resources ------------------------------------------------------------------------

    async def create_resource(self, resource: Resource, first_due: datetime | None) -> None:
        """Store a new resource and, when ``first_due`` is given, schedule it then."""

    async def get_resource(self, resource_id: str) -> Resource | None: ...

    async def list_resources(self) -> list[Resource]:
        """Every resource, oldest first."""

    async def update_resource(
        self,
        resource_id: str,
        changes: Mapping[str, Any],
        *,
        unless_status: Iterable[ResourceStatus] = (),
    ) -> Resource | None:
        """Set the named fields; nothing happens (None) when the resource is missing or its
        status is one of ``unless_status``. Returns the resource as updated."""

    async def delete_resource(self, resource_id: str) -> bool:
        """The resource, its schedule, iterations, queued tasks and results; False if absent."""

    # --- schedule ---------------------------------------------------------------------------

    async def claim_due(
        self, now: datetime, limit: int, owner: str, lease: float
    ) -> list[tuple[str, datetime]]:
        """Up to ``limit`` (resource id, due time) whose due time is <= now, earliest first,
        claimed for ``lease`` seconds (claims whose lease ran out are handed out again)."""

    async def reschedule(self, resource_id: str, due: datetime | None) -> None:
        """Next due time (None: not scheduled any more); ends a claim from claim_due."""

    async def next_due(self) -> datetime | None:
        """The earliest due time scheduled (claimed ones excluded), for sleeping until it."""

    # --- iterations and device tasks ---------------------------------------------------------

    async def start_iteration(self, iteration: Iteration, tasks: Sequence[Task]) -> bool:
        """Record the iteration and queue its tasks. Idempotent: False (and nothing queued)
        when that iteration number already exists."""

    async def get_iteration(self, resource_id: str, number: int) -> Iteration | None: ...

    async def iterations(self, resource_id: str) -> list[Iteration]:
        """The resource's iterations, by number."""

    async def claim_tasks(self, owner: str, now: datetime, limit: int, lease: float) -> list[Task]:
        """Up to ``limit`` queued tasks whose not_before has passed: highest priority first,
        then earliest due. A task whose claim expired is handed out again with
        ``recovered`` set."""

    async def extend_lease(self, task: Task, owner: str, until: datetime) -> bool:
        """Keep a claim alive until ``until`` (a long task); False when it was lost."""

    async def retry_task(self, task: Task, not_before: datetime) -> None:
        """Give a claimed task back to run again at ``not_before`` (attempt + 1)."""

    async def complete_task(
        self, task: Task, owner: str, results: Sequence[StoredResult]
    ) -> Iteration | None:
        """Store the task's results, remove it from the queue and count it in its iteration,
        all at once. Returns the iteration as counted, or None (nothing stored) when the claim
        was lost or the task is gone (cancelled, deleted)."""

    async def finish_iteration(
        self, resource_id: str, number: int, status: IterationStatus, finished: datetime
    ) -> bool:
        """Close an EXECUTING iteration; False when it was already closed (someone else)."""

    async def cancel_tasks(self, resource_id: str) -> int:
        """Drop the resource's queued tasks (claimed ones finish, their results are dropped);
        returns how many were dropped."""

    async def unfinished_iterations(self, older_than: datetime) -> list[Iteration]:
        """EXECUTING iterations whose tasks are all done, started before ``older_than``
        (their finisher died): the sweeper closes them."""

    # --- batches: what a dispatcher does to the resources it claimed, in one step ------------

    async def get_resources(self, resource_ids: Sequence[str]) -> list[Resource | None]:
        """``get_resource`` of each id, in that order (None where absent), in one read."""

    async def start_iterations(
        self, starts: Sequence[tuple[Iteration, Sequence[Task]]]
    ) -> list[bool]:
        """``start_iteration`` of each (iteration, tasks) in order, as one atomic step;
        whether each iteration was new."""

    async def update_resources(
        self,
        updates: Sequence[tuple[str, Mapping[str, Any]]],
        *,
        unless_status: Iterable[ResourceStatus] = (),
    ) -> list[bool]:
        """``update_resource`` of each (resource id, changes) in order, as one atomic step;
        whether each was applied (False: missing, or its status is one of ``unless_status``)."""

    async def reschedule_many(self, schedule: Sequence[tuple[str, datetime | None]]) -> None:
        """``reschedule`` of each (resource id, due) in order, as one atomic step."""

    # --- results ----------------------------------------------------------------------------

    async def put_results(self, results: Sequence[StoredResult]) -> None:
        """Store results outside a task (on-demand requests, so NotOlderThan can reuse them)."""

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
        """Results captured in [start, end], of those devices / that iteration, with
        sequence > ``after``, in sequence order, at most ``limit``. ``latest_only``: the last
        successful result per (device, access) only (LastValidData)."""

    async def cached_result(
        self, device_id: str, request_key: str, not_older_than: datetime
    ) -> StoredResult | None:
        """The latest successful result of that device for that request captured at or after
        ``not_older_than``."""

    # --- outbox ----------------------------------------------------------------------------

    async def outbox_put(self, messages: Sequence[OutboxMessage]) -> None:
        """Queue messages for delivery now; a message id already queued is not queued twice."""

    async def outbox_claim(
        self, owner: str, now: datetime, limit: int, lease: float
    ) -> list[OutboxMessage]:
        """Messages due for a delivery attempt, oldest first, claimed for ``lease`` seconds."""

    async def outbox_delivered(self, message: OutboxMessage) -> None: ...

    async def outbox_retry(
        self, message: OutboxMessage, next_attempt: datetime, error: str
    ) -> None:
        """Count a failed attempt and hold the message until ``next_attempt``."""

    async def outbox_dead(self, message: OutboxMessage, error: str) -> None:
        """Give up on a message (too old); it is kept aside for inspection."""

    async def outbox_pending(self) -> int: ...

    # --- per-meter exclusivity across nodes ---------------------------------------------------

    async def acquire_meter(self, system_title: str, owner: str, ttl: float) -> bool:
        """Take (or, for the same owner, renew) the meter's lock for ``ttl`` seconds."""

    async def release_meter(self, system_title: str, owner: str) -> None:
        """Release the lock if ``owner`` holds it."""

    # --- lifecycle -------------------------------------------------------------------------

    async def close(self) -> None: ...
