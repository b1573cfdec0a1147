"""On-demand DeviceAccess: run every access on every referenced meter now, answer at once.

Meters run concurrently (bounded); each meter's accesses run in order on one association.
The response echoes the request's DeviceAccess with, in each CosemAccess, one
CosemAccessResult per device (in the order of DevicesReferenceList), and the Reply result:
OK when every device answered every access, FAILED when none did, PARTIAL otherwise.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cas.access.device_run import DeviceRun, DeviceRunner
from cas.access.execute import DeviceWork, execute_device, stored_results
from cas.access.outcomes import is_success
from cas.messages import ErrorCode, ErrorDetail, ErrorLevel, ResultType
from cas.store import Store, StoredResult
from generated import device_access as dev
from generated import message as mes


@dataclass
class AccessOutcome:
    """What an executed DeviceAccess gives the reply: the payload, the result, the errors."""

    payload: dev.DeviceAccessType
    result: ResultType
    errors: list[ErrorDetail] = field(default_factory=list)
    stored: list[StoredResult] = field(default_factory=list)


def device_ids(access: dev.DeviceAccessType) -> list[str]:
    references = access.devices_reference_list
    if references is None:
        return []
    return [
        item.device_id
        for item in references.device_reference_or_group_reference
        if isinstance(item, dev.DeviceReferenceType)
    ]


def accesses(access: dev.DeviceAccessType) -> list[dev.CosemAccessType]:
    return list(access.cosem_access_list.cosem_access) if access.cosem_access_list else []


async def run_on_demand(
    runner: DeviceRunner,
    request: dev.DeviceAccessType,
    resource_id: str,
    *,
    store: Store | None = None,
    not_older_than: datetime | None = None,
    concurrency: int = 64,
    priority: int = 4,
) -> AccessOutcome:
    """Run the request now. With a store, a GET is answered from a stored result captured at
    or after ``not_older_than`` when there is one, and ``outcome.stored`` holds the results
    to keep (the caller writes them behind the reply)."""
    devices = device_ids(request)
    items = accesses(request)
    limit = asyncio.Semaphore(concurrency)

    async def one(device_id: str) -> DeviceRun:
        async with limit:
            work = DeviceWork(device_id, items, not_older_than=not_older_than, priority=priority)
            return await execute_device(runner, store, work)

    if len(devices) == 1:  # the usual on-demand request: no task to create and schedule
        runs = [await one(devices[0])]
    else:
        runs = await asyncio.gather(*(one(device_id) for device_id in devices))
    outcome = assemble(request, resource_id, devices, items, [run.results for run in runs])
    if store is not None:
        outcome.stored = [
            result
            for device_id, run in zip(devices, runs, strict=True)
            for result in stored_results(resource_id, 0, DeviceWork(device_id, items), run)
        ]
    return outcome


def assemble(
    request: dev.DeviceAccessType,
    resource_id: str,
    devices: Sequence[str],
    items: Sequence[dev.CosemAccessType],
    per_device: Sequence[Sequence[Sequence[dev.CosemAccessResultType]]],
) -> AccessOutcome:
    """Fold per-device results into the response DeviceAccess and its Reply result."""
    response_items = []
    for index, item in enumerate(items):
        results = [result for device in per_device for result in device[index]]
        response_items.append(
            dev.CosemAccessType(
                cosem_access_descriptor=item.cosem_access_descriptor, cosem_access_result=results
            )
        )
    payload = mes.DeviceAccess(  # the Payload's own element class: the reply wraps it, no copy
        id=resource_id,
        devices_reference_list=request.devices_reference_list,
        cosem_access_list=dev.CosemAccessListType(cosem_access=response_items),
        priority=request.priority,
    )
    every = [result for item in response_items for result in item.cosem_access_result]
    failed = [result for result in every if not is_success(result)]
    if not every or not failed:
        outcome = ResultType.OK
    elif len(failed) == len(every):
        outcome = ResultType.FAILED
    else:
        outcome = ResultType.PARTIAL
    return AccessOutcome(payload, outcome, reply_errors(failed, outcome))


def reply_errors(
    failed: Sequence[dev.CosemAccessResultType], outcome: ResultType
) -> list[ErrorDetail]:
    """One Reply/Error per device and code, naming the device, so a client can act without
    walking the payload."""
    level = ErrorLevel.FATAL if outcome is ResultType.FAILED else ErrorLevel.WARNING
    seen: dict[tuple[str, str], ErrorDetail] = {}
    for result in failed:
        choice = result.choice
        if isinstance(choice, dev.ErrorResultType):
            code, reason = ErrorCode.from_code(choice.code), choice.reason or ""
        else:  # ACSEResult: the meter refused the association
            code, reason = ErrorCode.DEVICE_SECURITY_FAILURE, "the meter refused the association"
        key = (result.device_id, code.code)
        if key not in seen:
            seen[key] = ErrorDetail(code, f"{result.device_id}: {reason}", level=level)
    return list(seen.values())
