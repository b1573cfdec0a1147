"""Wiring: the objects one gateway process runs, built from its configuration.

Kept apart from the HTTP edge so that commands (``cas serve``, ``cas demo``), tests and
benchmarks build the same gateway. A process has a role: ``api`` answers web-service
requests (on-demand access runs here too), ``worker`` runs the scheduler, the device
workers, the sweeper and the delivery outbox, ``all`` does both (the default; the only role
an SQLite store allows, since it serves one process).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from cas.access.device_run import DeviceRunner, utc_now
from cas.access.groups import members
from cas.access.keeper import ResultKeeper
from cas.access.lifecycle import Resources
from cas.access.notices import SCHEDULE, TASKS, WorkNotices
from cas.access.scheduler import Scheduler
from cas.access.service import CasService
from cas.access.worker import RetryPolicy, Sweeper, TaskWorker
from cas.dlms import SessionPool, SessionSettings
from cas.dlms.admission import Admission, SegmentLimit
from cas.dlms.shared_segments import SharedAdmission
from cas.registry import Registry
from cas.store import Store

logger = logging.getLogger(__name__)

ROLES = ("all", "api", "worker")


@dataclass
class GatewaySettings:
    device_concurrency: int = 64  # meters worked on at once for one on-demand request
    keep_on_demand: bool = False  # keep every on-demand result (not only NotOlderThan ones)
    worker_concurrency: int = 64  # device tasks run at once by this node's worker
    max_sessions: int = 1000  # associations held open at once
    shared_max_idle: float = 5.0  # with Redis: s an idle association keeps the meter's lock
    segment_default: SegmentLimit = field(default_factory=SegmentLimit)  # per network segment
    segment_limits: dict[str, SegmentLimit] = field(default_factory=dict)
    task_lease: float = 60.0  # s a claimed task stays with a worker that stopped answering
    poll_interval: float = 1.0  # s between looks at the store for work queued by other nodes
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    session: SessionSettings = field(default_factory=SessionSettings)


def node_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Gateway:
    """Registry, store, session pool, CAS service and (by role) the background workers."""

    def __init__(
        self,
        registry: Registry,
        store: Store,
        settings: GatewaySettings | None = None,
        *,
        role: str = "all",
        clock: Callable[[], datetime] = utc_now,
        node: str | None = None,
    ) -> None:
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, got {role!r}")
        self.settings = settings or GatewaySettings()
        self.role = role
        self.node = node or node_name()
        self.registry = registry
        self.store = store
        self.clock = clock
        shared = is_shared(store)
        self.pool = SessionPool(
            store,
            settings=self.settings.session,
            max_sessions=self.settings.max_sessions,
            guard=store if shared else None,
            owner=self.node,
            max_idle=self.settings.shared_max_idle if shared else None,
            admission=self._admission(shared),
        )
        self.runner = DeviceRunner(registry, self.pool, clock)
        self.keeper = ResultKeeper(store)
        # a GroupID's members, resolved anew at each iteration / on-demand request
        self.group_members = functools.partial(members, store, registry)
        self.scheduler: Scheduler | None = None
        self.worker: TaskWorker | None = None
        self.sweeper: Sweeper | None = None
        self.delivery = None
        if role in ("all", "worker"):
            self._build_workers()
        # with a shared store, work queued here is announced to the other nodes at once
        self.notices: WorkNotices | None = None
        if shared:
            handlers = {}
            if self.scheduler is not None and self.worker is not None:
                handlers = {SCHEDULE: self.scheduler.wake, TASKS: self.worker.wake}
            self.notices = WorkNotices(store, handlers)
        self.resources = Resources(store, clock=clock, wake=self._resources_changed)
        self.service = CasService(
            self.runner,
            resources=self.resources,
            keeper=self.keeper,
            keep_on_demand=self.settings.keep_on_demand,
            device_concurrency=self.settings.device_concurrency,
            group_members=self.group_members,
        )
        self._background: list[asyncio.Task] = []
        self._listener: asyncio.Task | None = None  # other nodes' work notices

    def _admission(self, shared: bool) -> Admission:
        """Segment limits for this process alone, or for every node sharing the store."""
        limits = (self.settings.max_sessions, self.settings.segment_limits)
        if shared:
            return SharedAdmission(self.store, self.node, *limits, self.settings.segment_default)
        return Admission(*limits, self.settings.segment_default)

    def _build_workers(self) -> None:
        from cas.notify.outbox import OutboxDelivery

        settings = self.settings
        self.delivery = OutboxDelivery(self.store, owner=self.node, clock=self.clock)
        self.worker = TaskWorker(
            self.store,
            self.runner,
            owner=self.node,
            clock=self.clock,
            concurrency=settings.worker_concurrency,
            lease=settings.task_lease,
            poll_interval=settings.poll_interval,
            retry=settings.retry,
            on_outbox=self.delivery.wake,
        )
        self.scheduler = Scheduler(
            self.store,
            owner=self.node,
            clock=self.clock,
            poll_interval=settings.poll_interval,
            on_tasks=self._tasks_queued,
            on_outbox=self.delivery.wake,
            resolve_group=self.group_members,
        )
        self.worker.hold = self.scheduler.quiet  # due iterations start before more work
        self.sweeper = Sweeper(self.store, clock=self.clock, on_outbox=self.delivery.wake)

    def _resources_changed(self) -> None:
        """A resource was created or changed here: this node's dispatcher looks at once;
        without one (an api node), the other nodes' dispatchers are told."""
        if self.scheduler is not None:
            self.scheduler.wake()
        elif self.notices is not None:
            self.notices.announce(SCHEDULE)

    def _tasks_queued(self) -> None:
        """This node's dispatcher queued device tasks: every node's worker claims."""
        if self.worker is not None:
            self.worker.wake()
        if self.notices is not None:
            self.notices.announce(TASKS)

    async def start(self) -> None:
        """Start the background loops of this node's role."""
        loops = [self.keeper.run()]
        for part in (self.scheduler, self.worker, self.sweeper, self.delivery):
            if part is not None:
                loops.append(part.run())
        self._background = [asyncio.create_task(loop) for loop in loops]
        if self.notices is not None:
            self._listener = asyncio.create_task(self.notices.listen())

    def health(self) -> dict:
        return {
            "role": self.role,
            "node": self.node,
            "meters": len(self.registry),
            "open_sessions": self.pool.open_sessions,
        }

    async def close(self) -> None:
        for part in (self.scheduler, self.worker, self.sweeper, self.delivery):
            if part is not None:
                part.stop()
        await self.keeper.stop()
        if self.notices is not None:
            await self.notices.close()
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
        for task in self._background:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, timeout=10)
        await self.pool.close()
        await self.store.close()


def is_shared(store: Store) -> bool:
    """Several gateway processes may use this store (and so reach the same meters)."""
    from cas.store.redis import RedisStore

    return isinstance(store, RedisStore)


def default_db_path() -> str:
    return os.environ.get("CAS_DB", "cas.db")
