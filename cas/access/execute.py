"""One device's share of a DeviceAccess, with the rules that wrap the meter exchange.

Used by on-demand requests and by workers alike:
- NotOlderThan: a GET whose same question was answered by that device at or after the given
  time is answered from the store, without touching the meter;
- an interrupted write (the task was recovered after its worker died) is reported
  indeterminate (5.104) instead of being sent again, unless the request allows repeats;
- a deadline bounds the whole exchange: what is not done by then is reported not completed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cas.access.device_run import DeviceRun, DeviceRunner
from cas.access.outcomes import error_result, is_success
from cas.access.stored import is_write, request_key, result_bytes, result_from_bytes
from cas.messages import ErrorCode
from cas.store import Store, StoredResult
from generated import device_access as dev


@dataclass(frozen=True)
class DeviceWork:
    device_id: str
    accesses: Sequence[dev.CosemAccessType]
    not_older_than: datetime | None = None
    deadline: datetime | None = None
    interrupted: bool = False  # a previous attempt died midway (recovered task)
    repeat_writes: bool = False
    priority: int = 4  # a higher value gets a connection first under contention
    keep_session: bool = True  # False: one-shot work, the association is released after use
    # request_key of each access, when the caller has them already (the same request for
    # thousands of group members): else computed per access
    request_keys: Sequence[str | None] | None = None


async def execute_device(runner: DeviceRunner, store: Store | None, work: DeviceWork) -> DeviceRun:
    run = DeviceRun.empty(len(work.accesses))
    now = runner.clock()
    if work.deadline is not None and now >= work.deadline:
        _fill(run, work, ErrorCode.REQUEST_TIMED_OUT, "not started before the iteration ended")
        return run
    if store is not None and work.not_older_than is not None:
        await _from_store(store, work, run)
    if work.interrupted and not work.repeat_writes:
        for index, access in enumerate(work.accesses):
            if run.results[index] is None and is_write(access):
                run.results[index] = [
                    error_result(
                        work.device_id,
                        ErrorCode.OUTCOME_INDETERMINATE,
                        "the gateway stopped while this write was under way; it is not sent"
                        " again (the meter may or may not have executed it)",
                        now,
                    )
                ]
    todo = [index for index, results in enumerate(run.results) if results is None]
    if not todo:
        return run
    timeout = None if work.deadline is None else (work.deadline - now).total_seconds()
    try:
        async with asyncio.timeout(timeout):
            await runner.run(
                work.device_id,
                work.accesses,
                only=todo,
                into=run,
                priority=work.priority,
                keep_session=work.keep_session,
            )
    except TimeoutError:
        _fill(run, work, ErrorCode.REQUEST_TIMED_OUT, "not completed before the iteration ended")
    return run


async def _from_store(store: Store, work: DeviceWork, run: DeviceRun) -> None:
    for index, access in enumerate(work.accesses):
        key = request_key(access)
        if key is None:
            continue
        hit = await store.cached_result(work.device_id, key, work.not_older_than)
        if hit is not None:
            run.results[index] = [result_from_bytes(hit.xml)]
            run.reused.add(index)


def _fill(run: DeviceRun, work: DeviceWork, code: ErrorCode, reason: str) -> None:
    for index, results in enumerate(run.results):
        if results is None:
            run.results[index] = [error_result(work.device_id, code, reason)]


def stored_results(
    resource_id: str, iteration: int, work: DeviceWork, run: DeviceRun
) -> list[StoredResult]:
    """The run's results as the store keeps them (a GET that reached the meter gets its
    request key, so later NotOlderThan requests can reuse it)."""
    stored = []
    for index, results in enumerate(run.results):
        if index in run.reused:
            key = None
        elif work.request_keys is not None:
            key = work.request_keys[index]
        else:
            key = request_key(work.accesses[index])
        for result in results or ():
            captured = result.activated.to_datetime() if result.activated else None
            stored.append(
                StoredResult(
                    resource_id=resource_id,
                    iteration=iteration,
                    device_id=work.device_id,
                    access_index=index,
                    captured=captured or datetime.now(UTC),
                    ok=is_success(result),
                    xml=result_bytes(result),
                    request_key=key if is_success(result) else None,
                )
            )
    return stored
