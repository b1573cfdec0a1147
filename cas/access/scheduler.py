"""The dispatcher: starts the iterations of resources whose due time has come.

It claims due resources from the store (several dispatchers on several nodes never start the
same iteration: claims are leased and iteration numbers unique), starts the iteration — one
device task per meter, queued with the resource's priority — records iterations missed while
the gateway was down, and schedules the next due time. It sleeps until the earliest due time
(or a wake-up when a resource is created or changed, or a poll interval for other nodes).

A GroupReference whose group no longer exists (deleted after the resource was created) is
reported in each iteration as an errorResult 2.101 per access, with the GroupID as DeviceID;
it counts as one failed member of the iteration (so the iteration is not OK or EMPTY), and
the other devices and groups run as usual.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cas.access.device_run import utc_now
from cas.access.iterations import finalize
from cas.access.outcomes import error_result
from cas.access.schedule import Expired, due_time, plan
from cas.access.stored import result_bytes
from cas.messages import ErrorCode
from cas.store import (
    TERMINAL_STATUSES,
    Iteration,
    IterationStatus,
    Resource,
    ResourceStatus,
    Store,
    StoredResult,
    Task,
)

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
GroupResolver = Callable[[str], Awaitable[list[str] | None]]
"""A GroupID's member DeviceIDs at this moment (None: the group no longer exists)."""


@dataclass
class _Batch:
    """The writes that start the iterations of one batch of claimed resources."""

    starts: list[tuple[Iteration, list[Task]]] = field(default_factory=list)
    activated: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    finished: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    schedule: list[tuple[str, datetime | None]] = field(default_factory=list)
    empty: list[tuple[str, int]] = field(default_factory=list)  # iterations without devices
    gone: list[tuple[Resource, int, list[str]]] = field(default_factory=list)
    """(resource, iteration, GroupIDs that no longer exist): reported 2.101."""
    queued: bool = False


class Scheduler:
    def __init__(
        self,
        store: Store,
        *,
        owner: str,
        clock: Clock = utc_now,
        batch: int = 200,
        lease: float = 60.0,
        poll_interval: float = 1.0,
        resolve_group: GroupResolver | None = None,
        on_tasks: Callable[[], None] | None = None,
        on_outbox: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.owner = owner
        self.clock = clock
        self.batch = batch
        self.lease = lease
        self.poll_interval = poll_interval
        self.resolve_group = resolve_group
        self.on_tasks = on_tasks
        self.on_outbox = on_outbox
        self._wake = asyncio.Event()
        self._stopped = False
        self.quiet = asyncio.Event()
        """Set while this dispatcher is not starting iterations. A worker in the same process
        waits for it before claiming (``TaskWorker(hold=...)``): a burst of due resources is
        dispatched first, so that every due iteration is started on time and its tasks are
        all queued (and ordered by priority) before the worker competes for the CPU and the
        store."""
        self.quiet.set()

    def wake(self) -> None:
        """A resource was created or changed: look at the schedule now."""
        self._wake.set()

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()

    async def run(self) -> None:
        while not self._stopped:
            # Cleared before looking at the schedule: a wake-up from now on is not lost.
            self._wake.clear()
            try:
                await self.dispatch_due()  # everything due now (it stops on a short claim)
            except Exception:
                logger.exception("dispatching due resources failed; retrying")
            await self._sleep()

    async def _sleep(self) -> None:
        """Until the next due time (at once if it has come), a wake-up or a poll interval."""
        delay = self.poll_interval
        try:
            upcoming = await self.store.next_due()
        except Exception:
            logger.exception("reading the next due time failed; retrying")
            upcoming = None
        if upcoming is not None:
            delay = min(delay, max(0.0, (upcoming - self.clock()).total_seconds()))
        if delay <= 0 or self._wake.is_set():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=delay)

    async def dispatch_due(self) -> int:
        """Start every iteration due now; returns how many resources were handled."""
        handled = 0
        self.quiet.clear()
        try:
            while True:
                now = self.clock()
                claimed = await self.store.claim_due(now, self.batch, self.owner, self.lease)
                if claimed:
                    try:
                        await self._activate_batch(claimed)
                    except Exception:  # the store failed: the claims lapse and are tried again
                        logger.exception(
                            "could not start the iterations of %d resources", len(claimed)
                        )
                handled += len(claimed)
                if len(claimed) < self.batch:
                    return handled
        finally:
            self.quiet.set()

    async def _activate_batch(self, claimed: list[tuple[str, datetime]]) -> None:
        """Start the iterations of the claimed resources: one read of the resources, then one
        batch per kind of write (iterations and tasks, resource fields, next due times).

        A resource that cannot be planned keeps its claim (it is tried again after the
        lease) without holding back the others."""
        resources = await self.store.get_resources([rid for rid, _ in claimed])
        groups = await self._group_members(resources)
        now = self.clock()
        batch = _Batch()
        for (resource_id, due), resource in zip(claimed, resources, strict=True):
            try:
                self._plan(batch, resource_id, due, resource, now, groups)
            except Exception:
                logger.exception("resource %s: could not start its iteration", resource_id)
        started = self.clock()  # the moment the iterations are recorded and the tasks queued
        for iteration, _tasks in batch.starts:
            if iteration.status is IterationStatus.EXECUTING:
                iteration.started = started
        for _rid, changes in batch.activated:
            changes["last_activation"] = started
        # Before the iterations exist: whoever closes one finds these results with the others.
        await self._report_gone_groups(batch.gone, started)
        await self.store.start_iterations(batch.starts)
        await self.store.update_resources(
            batch.activated + batch.finished, unless_status=TERMINAL_STATUSES
        )
        await self.store.reschedule_many(batch.schedule)
        for resource_id, number in batch.empty:
            await finalize(self.store, resource_id, number, started, on_outbox=self.on_outbox)
        if batch.queued and self.on_tasks is not None:
            self.on_tasks()

    def _plan(
        self,
        batch: _Batch,
        resource_id: str,
        due: datetime,
        resource: Resource | None,
        now: datetime,
        groups: dict[str, list[str] | None],
    ) -> None:
        """Add what starting this resource's due iteration writes to ``batch``."""
        if resource is None or resource.status in TERMINAL_STATUSES:
            batch.schedule.append((resource_id, None))
            return
        chosen = plan(resource, due, now)
        if isinstance(chosen, Expired):
            self._expire(batch, resource, chosen.missed, now)
            return
        if chosen.number <= resource.last_iteration:
            # this iteration already started (a dispatcher died after starting it)
            batch.schedule.append((resource_id, chosen.next_due))
            return
        devices, gone = self._devices(resource, groups)
        batch.starts.extend((missed, []) for missed in _missed(resource, chosen.missed, now))
        iteration = Iteration(
            resource_id=resource.id,
            number=chosen.number,
            due=chosen.due,
            started=now,
            deadline=chosen.deadline,
            # a group that is gone counts as a member done (and failed) at once
            tasks=len(devices) + len(gone),
            tasks_done=len(gone),
            results_failed=len(gone) * resource.access_count,
        )
        if gone:
            batch.gone.append((resource, chosen.number, gone))
        tasks = [
            Task(
                resource_id=resource.id,
                iteration=chosen.number,
                device_id=device_id,
                priority=resource.priority,
                due=chosen.due,
                deadline=chosen.deadline,
            )
            for device_id in devices
        ]
        batch.starts.append((iteration, tasks))
        batch.activated.append(
            (
                resource.id,
                {
                    "status": ResourceStatus.EXECUTING,
                    "last_activation": now,
                    "last_iteration": chosen.number,
                    "missed_iterations": resource.missed_iterations + len(chosen.missed),
                },
            )
        )
        batch.schedule.append((resource.id, chosen.next_due))
        if chosen.missed:
            logger.warning(
                "resource %s: %d iteration(s) missed while the gateway was down; ran %d",
                resource.id,
                len(chosen.missed),
                chosen.number,
            )
        if devices:
            batch.queued = True
        else:
            batch.empty.append((resource.id, chosen.number))

    @staticmethod
    def _expire(batch: _Batch, resource: Resource, numbers: list[int], now: datetime) -> None:
        """Nothing starts after Expires: record what was due before it as missed, finish."""
        missed = _missed(resource, numbers, now)
        batch.starts.extend((iteration, []) for iteration in missed)
        changes: dict[str, Any] = {"status": ResourceStatus.FINISHED}
        if missed:
            changes["last_iteration"] = missed[-1].number
            changes["missed_iterations"] = resource.missed_iterations + len(missed)
            logger.warning(
                "resource %s: %d iteration(s) missed while the gateway was down; expired"
                " since, none runs",
                resource.id,
                len(missed),
            )
        batch.finished.append((resource.id, changes))
        batch.schedule.append((resource.id, None))

    async def _report_gone_groups(
        self, gone: list[tuple[Resource, int, list[str]]], started: datetime
    ) -> None:
        """Store an errorResult 2.101 per access for each group that no longer exists, once
        per iteration (a dispatcher that died after storing them left them there)."""
        results = []
        for resource, number, group_ids in gone:
            if await self.store.results(resource.id, iteration=number, devices=group_ids, limit=1):
                continue
            for group_id in group_ids:
                result = result_bytes(
                    error_result(
                        group_id,
                        ErrorCode.INVALID_DEVICE_GROUP,
                        f"no device group {group_id!r}: it was deleted after this access was"
                        " created",
                        started,
                    )
                )
                results.extend(
                    StoredResult(
                        resource_id=resource.id,
                        iteration=number,
                        device_id=group_id,
                        access_index=index,
                        captured=started,
                        ok=False,
                        xml=result,
                    )
                    for index in range(resource.access_count)
                )
        if results:
            await self.store.put_results(results)

    async def _group_members(self, resources: list[Resource | None]) -> dict[str, list[str] | None]:
        """Each group's members as the group is now: membership is taken when an iteration
        starts (a group changed while an iteration runs affects the next one)."""
        wanted = {g for resource in resources if resource is not None for g in resource.groups}
        if not wanted or self.resolve_group is None:
            return {}
        return {group_id: await self.resolve_group(group_id) for group_id in sorted(wanted)}

    @staticmethod
    def _devices(
        resource: Resource, groups: dict[str, list[str] | None]
    ) -> tuple[list[str], list[str]]:
        """The listed devices, then the members of each group (each device once); and the
        groups that no longer exist."""
        devices = list(resource.devices)
        seen = set(devices)
        gone = []
        for group_id in resource.groups:
            members = groups.get(group_id)
            if members is None:
                logger.warning("resource %s: device group %s is gone", resource.id, group_id)
                gone.append(group_id)
                continue
            for device_id in members:
                if device_id not in seen:
                    seen.add(device_id)
                    devices.append(device_id)
        return devices, gone


def _missed(resource: Resource, numbers: list[int], now: datetime) -> list[Iteration]:
    """ITERATION-MISSED records of those iterations not started yet."""
    return [
        Iteration(
            resource_id=resource.id,
            number=number,
            due=due_time(resource, number),
            started=now,
            deadline=None,
            status=IterationStatus.MISSED,
            finished=now,
        )
        for number in numbers
        if number > resource.last_iteration
    ]
