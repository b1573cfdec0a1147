"""What the store keeps: resources, their iterations, device tasks, results, outbox messages.

Plain values, independent of both the SOAP bindings and the storage technology. Times are
aware UTC datetimes; durations are seconds.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class ResourceStatus(enum.StrEnum):
    """ResourceDirectory/Resource/ResourceStatus (IEC TS 62056-9-1, plus CANCELLED)."""

    ACCEPTED = "ACCEPTED"  # created, first iteration not started
    EXECUTING = "EXECUTING"  # an iteration is running
    PAUSED = "PAUSED"
    FINISHED = "FINISHED"  # no iteration will start any more (one-shot done, expired)
    ITERATION_OK = "ITERATION-OK"  # last iteration: every device x access succeeded
    ITERATION_NOT_COMPLETED = "ITERATION-NOT-COMPLETED"  # some failed or ran out of time
    ITERATION_FAILED = "ITERATION-FAILED"  # last iteration: nothing succeeded
    ITERATION_EMPTY = "ITERATION-EMPTY"  # last iteration had no device to access
    ITERATION_STOPPED = "ITERATION-STOPPED"  # last iteration stopped by cancel
    CANCELLED = "CANCELLED"  # stopped by cancel; results kept


TERMINAL_STATUSES = frozenset({ResourceStatus.FINISHED, ResourceStatus.CANCELLED})


class ResourceKind(enum.StrEnum):
    GET = "GET"
    SET = "SET"
    ACTION = "ACTION"
    TIMESYNC = "TIMESYNC"
    UPGRADE = "UPGRADE"
    DATA_NOTIFICATION = "DATA-NOTIFICATION"


@dataclass
class Resource:
    """A DeviceAccess that lives on: scheduled, asynchronous, or kept for its results."""

    id: str
    kind: ResourceKind
    status: ResourceStatus
    request: bytes  # the DeviceAccess payload as received (XML), re-read when executed
    created: datetime
    devices: list[str] = field(default_factory=list)  # DeviceIDs as the client named them
    groups: list[str] = field(default_factory=list)  # GroupIDs (resolved at each iteration)
    access_count: int = 0
    priority: int = 4
    activates: datetime | None = None
    repeating_interval: float | None = None
    duration: float | None = None
    expires: datetime | None = None
    not_older_than: datetime | None = None
    reply_address: str | None = None
    async_reply: bool = False
    bypass_retry: bool = False
    repeat_writes: bool = False  # an interrupted SET/ACTION may be sent again
    message_id: str | None = None  # the creating request's MessageID
    last_activation: datetime | None = None
    last_iteration: int = -1  # number of the last iteration started
    missed_iterations: int = 0  # iterations skipped while the gateway was down

    @property
    def scheduled(self) -> bool:
        return any(v is not None for v in (self.activates, self.repeating_interval, self.duration))


class IterationStatus(enum.StrEnum):
    EXECUTING = "EXECUTING"
    OK = "ITERATION-OK"
    NOT_COMPLETED = "ITERATION-NOT-COMPLETED"
    FAILED = "ITERATION-FAILED"
    EMPTY = "ITERATION-EMPTY"
    STOPPED = "ITERATION-STOPPED"
    MISSED = "ITERATION-MISSED"  # never started: the gateway was down at its due time


@dataclass
class Iteration:
    """One activation of a resource: iteration k is due at Activates + k x RepeatingInterval."""

    resource_id: str
    number: int
    due: datetime
    started: datetime
    deadline: datetime | None  # due + Duration: no device is started after it
    status: IterationStatus = IterationStatus.EXECUTING
    tasks: int = 0  # device tasks in this iteration
    tasks_done: int = 0  # device tasks finished (whatever their outcome)
    results_ok: int = 0  # device x access results that succeeded
    results_failed: int = 0
    finished: datetime | None = None

    @property
    def complete(self) -> bool:
        return self.tasks_done >= self.tasks


@dataclass
class Task:
    """Work for one device in one iteration: all accesses of the resource, in order."""

    resource_id: str
    iteration: int
    device_id: str
    priority: int
    due: datetime  # the iteration's due time (orders work of equal priority)
    deadline: datetime | None = None
    attempt: int = 0  # retries after transient failures (0 = first try)
    not_before: datetime | None = None  # a retry waits until then
    recovered: bool = False  # claimed again after its worker's lease ran out (a crash)
    lease_token: str | None = None  # store-specific handle of the claim

    @property
    def key(self) -> str:
        return f"{self.resource_id}/{self.iteration}/{self.device_id}"


@dataclass
class StoredResult:
    """One CosemAccessResult as it will be returned (XML), with what is needed to find it."""

    resource_id: str
    iteration: int
    device_id: str
    access_index: int
    captured: datetime  # when the access was executed (CosemAccessResult/@Activated)
    ok: bool  # an XDLMSResult (the meter answered)
    xml: bytes  # the serialized CosemAccessResult element
    request_key: str | None = None  # identifies a GET for NotOlderThan reuse (None: not reusable)
    sequence: int = 0  # store-assigned, increasing: the paging cursor


@dataclass
class OutboxMessage:
    """A message to POST to a subscriber until it answers OK (or the message gets too old)."""

    message_id: str  # stable across retries: receivers drop duplicates by it
    url: str
    body: bytes
    content_type: str
    created: datetime
    resource_id: str | None = None
    attempts: int = 0
    next_attempt: datetime | None = None
    last_error: str | None = None
    lease_token: str | None = None
