"""Workers: claim device tasks from the store and run them against the meters.

A worker runs up to ``concurrency`` tasks at once, highest priority first (the store hands
them out in that order). A task's claim is leased and kept alive while it runs; if the worker
dies the task is handed to another worker after the lease, marked recovered (its writes are
then not repeated blindly). A meter that cannot be reached is tried again with backoff within
the iteration, unless the request said BypassRetry. The worker that completes an iteration's
last task closes it (status, outbox); a sweeper closes iterations whose closer died.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cas.access.device_run import DeviceRunner, utc_now
from cas.access.execute import DeviceWork, execute_device, stored_results
from cas.access.iterations import finalize
from cas.access.stored import request_from_bytes, request_key
from cas.store import Resource, ResourceStatus, Store, Task

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
HOLD_LIMIT = 5.0  # s a worker waits for its dispatcher at most before claiming anyway
KEYS_CACHED = 256  # requests whose request keys a worker keeps


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of a meter that could not be reached: attempts after the first, and delays."""

    attempts: int = 3
    first_delay: float = 5.0
    factor: float = 3.0
    max_delay: float = 300.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        base = min(self.max_delay, self.first_delay * self.factor**attempt)
        return base * (0.8 + 0.4 * rng.random())  # jitter: meters retried apart


class TaskWorker:
    def __init__(
        self,
        store: Store,
        runner: DeviceRunner,
        *,
        owner: str,
        clock: Clock = utc_now,
        concurrency: int = 64,
        lease: float = 60.0,
        poll_interval: float = 1.0,
        retry: RetryPolicy | None = None,
        rng: random.Random | None = None,
        on_outbox: Callable[[], None] | None = None,
        hold: asyncio.Event | None = None,
    ) -> None:
        """``hold``: claim only while this event is set (the local dispatcher's ``quiet``:
        due iterations are started before more tasks are taken on), or after waiting
        ``HOLD_LIMIT`` seconds for it."""
        self.store = store
        self.runner = runner
        self.hold = hold
        self.owner = owner
        self.clock = clock
        self.concurrency = concurrency
        self.lease = lease
        self.poll_interval = poll_interval
        self.retry = retry or RetryPolicy()
        self.rng = rng or random.Random()
        self.on_outbox = on_outbox
        self._running: set[asyncio.Task] = set()
        self._leased: dict[str, Task] = {}  # tasks under way, by key: their leases are kept
        self._keeper: asyncio.Task | None = None
        self._keys_by_request: dict[bytes, list[str | None]] = {}
        self._wake = asyncio.Event()
        self._slot_free = asyncio.Event()
        self._stopped = False
        self._drained = False

    def wake(self) -> None:
        """Tasks were queued: claim now."""
        self._wake.set()

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()

    async def run(self) -> None:
        try:
            while not self._stopped:
                # Cleared before claiming: a wake-up or a freed slot from now on is not lost.
                self._wake.clear()
                self._slot_free.clear()
                try:
                    claimed = await self.work_once()
                except Exception:
                    logger.exception("claiming tasks failed; retrying")
                    claimed = 0
                if claimed and not self._drained and len(self._running) < self.concurrency:
                    continue  # there may be more queued than the slots asked for
                await self._idle()
        finally:
            await self.drain()

    async def _idle(self) -> None:
        waits = [asyncio.ensure_future(self._wake.wait())]
        if len(self._running) >= self.concurrency:
            waits = [asyncio.ensure_future(self._slot_free.wait())]
        try:
            await asyncio.wait(waits, timeout=self.poll_interval)
        finally:
            for waiter in waits:
                waiter.cancel()

    async def work_once(self) -> int:
        """Claim as many tasks as there are free slots and start them; returns how many."""
        if self.hold is not None and not self.hold.is_set():
            with contextlib.suppress(TimeoutError):  # a dispatcher stuck on the store
                await asyncio.wait_for(self.hold.wait(), timeout=HOLD_LIMIT)
        free = self.concurrency - len(self._running)
        if free <= 0:
            return 0
        tasks = await self.store.claim_tasks(self.owner, self.clock(), free, self.lease)
        self._drained = len(tasks) < free  # the queue had no more ready tasks just now
        if not tasks:
            return 0
        # One read for the claimed tasks' resources (a group's tasks share one), not one each.
        wanted = list(dict.fromkeys(task.resource_id for task in tasks))
        resources = dict(zip(wanted, await self.store.get_resources(wanted), strict=True))
        for task in tasks:
            running = asyncio.create_task(self.execute(task, resources[task.resource_id]))
            self._running.add(running)
            running.add_done_callback(self._done)
        return len(tasks)

    def _done(self, running: asyncio.Task) -> None:
        self._running.discard(running)
        self._slot_free.set()
        if not running.cancelled() and running.exception() is not None:
            logger.error("task failed inside the gateway", exc_info=running.exception())

    async def drain(self) -> None:
        """Wait for the tasks under way (tests, shutdown)."""
        while self._running:
            await asyncio.gather(*list(self._running), return_exceptions=True)
        self._stop_keeper()

    async def execute(self, task: Task, resource: Resource | None) -> None:
        """Run one claimed task; ``resource``: its resource, as read when it was claimed."""
        if resource is None or resource.status is ResourceStatus.CANCELLED:
            # Cancelled or deleted: the store dropped the task; completing it stores nothing.
            await self.store.complete_task(task, self.owner, [])
            return
        request = request_from_bytes(resource.request)
        accesses = request.cosem_access_list.cosem_access if request.cosem_access_list else []
        work = DeviceWork(
            device_id=task.device_id,
            accesses=accesses,
            not_older_than=resource.not_older_than,
            deadline=task.deadline,
            interrupted=task.recovered,
            repeat_writes=resource.repeat_writes,
            priority=task.priority,
            # a one-shot group access touches each member once: its associations are
            # released after use instead of piling up idle (and being evicted one by one)
            keep_session=bool(resource.repeating_interval) or not resource.groups,
            request_keys=self._request_keys(resource.request, accesses),
        )
        self._keep_lease(task)
        try:
            run = await execute_device(self.runner, self.store, work)
        finally:
            self._leased.pop(task.key, None)
            if not self._leased:
                self._stop_keeper()
        if run.transient and self._may_retry(task, resource.bypass_retry):
            delay = self.retry.delay(task.attempt, self.rng)
            logger.info(
                "device %s unreachable (%s); retry %d in %.0f s",
                task.device_id,
                run.failure,
                task.attempt + 1,
                delay,
            )
            await self.store.retry_task(task, self.clock() + timedelta(seconds=delay))
            return
        results = stored_results(task.resource_id, task.iteration, work, run)
        iteration = await self.store.complete_task(task, self.owner, results)
        if iteration is not None and iteration.complete:
            await finalize(
                self.store,
                iteration.resource_id,
                iteration.number,
                self.clock(),
                on_outbox=self.on_outbox,
                counted=iteration,
            )

    def _request_keys(self, request: bytes, accesses: list) -> list[str | None]:
        """The accesses' request keys, computed once per request (not per member)."""
        keys = self._keys_by_request.get(request)
        if keys is None:
            if len(self._keys_by_request) >= KEYS_CACHED:
                self._keys_by_request.clear()
            keys = self._keys_by_request[request] = [request_key(a) for a in accesses]
        return keys

    def _may_retry(self, task: Task, bypass: bool) -> bool:
        if bypass or task.attempt >= self.retry.attempts:
            return False
        next_try = self.clock() + timedelta(seconds=self.retry.first_delay)
        return task.deadline is None or next_try < task.deadline

    def _keep_lease(self, task: Task) -> None:
        """Keep the task's lease alive while it runs (a long load profile, a slow meter).

        One keeper per worker extends the leases of all its running tasks every third of
        the lease, instead of a keeper task per device task (created and cancelled for each
        of thousands of meters in a group read)."""
        self._leased[task.key] = task
        if self._keeper is None:
            self._keeper = asyncio.get_running_loop().create_task(self._keep_leases())

    async def _keep_leases(self) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            until = self.clock() + timedelta(seconds=self.lease)
            tasks = list(self._leased.values())
            kept = await asyncio.gather(
                *(self.store.extend_lease(task, self.owner, until) for task in tasks),
                return_exceptions=True,
            )
            for task, outcome in zip(tasks, kept, strict=True):
                if isinstance(outcome, BaseException):
                    logger.warning("task %s: lease not extended (%s)", task.key, outcome)
                elif not outcome:
                    logger.warning("task %s: lease lost to another worker", task.key)
                    self._leased.pop(task.key, None)

    def _stop_keeper(self) -> None:
        if self._keeper is not None:
            self._keeper.cancel()
            self._keeper = None


class Sweeper:
    """Closes iterations whose tasks are all done but whose closer died before closing."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock = utc_now,
        grace: float = 60.0,
        interval: float = 30.0,
        on_outbox: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.grace = grace
        self.interval = interval
        self.on_outbox = on_outbox
        self._stopped = asyncio.Event()

    def stop(self) -> None:
        self._stopped.set()

    async def sweep(self) -> int:
        now = self.clock()
        stuck = await self.store.unfinished_iterations(now - timedelta(seconds=self.grace))
        closed = 0
        for iteration in stuck:
            if await finalize(
                self.store, iteration.resource_id, iteration.number, now, on_outbox=self.on_outbox
            ):
                closed += 1
        return closed

    async def run(self) -> None:
        while not self._stopped.is_set():
            try:
                await self.sweep()
            except Exception:
                logger.exception("sweeping unfinished iterations failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), timeout=self.interval)
