"""The end of an iteration: its status, the resource's status, and the messages to deliver.

An iteration is ITERATION-OK when every device x access result succeeded, ITERATION-FAILED
when none did, ITERATION-EMPTY when it had no device, ITERATION-NOT-COMPLETED otherwise
(some failed or ran out of time). A resource that will not run again becomes FINISHED.

When the resource has a ReplyAddress, the iteration's results are queued in the outbox: an
EventMessage (Verb created, CorrelationID = the resource id, Property Iteration) for a
scheduled resource, the ResponseMessage the client did not wait for (CorrelationID = its
MessageID) for an asynchronous on-demand one. Large iterations are split into several
messages of at most ``MESSAGE_RESULTS`` results (Property Part = "i/n"). Message ids are
derived from resource, iteration and part, so a message queued twice is delivered once and
a receiver can drop duplicates.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime

from cas.access.schedule import due_time
from cas.access.stored import request_from_bytes, result_from_bytes
from cas.messages import (
    ResultType,
    build_event,
    build_response,
    content_type,
    render_event,
    render_response,
)
from cas.messages.namespaces import SoapVersion
from cas.store import (
    TERMINAL_STATUSES,
    Iteration,
    IterationStatus,
    OutboxMessage,
    Resource,
    ResourceStatus,
    Store,
    StoredResult,
)
from generated import device_access as dev

MESSAGE_RESULTS = 1000
_MESSAGE_IDS = uuid.UUID("6a1f6d0e-4c2b-4f55-9a59-43415347570a")


def iteration_status(iteration: Iteration) -> IterationStatus:
    if iteration.tasks == 0:
        return IterationStatus.EMPTY
    if iteration.results_failed == 0:
        return IterationStatus.OK
    if iteration.results_ok == 0:
        return IterationStatus.FAILED
    return IterationStatus.NOT_COMPLETED


def reply_result(iteration: Iteration) -> ResultType:
    status = iteration_status(iteration)
    if status in (IterationStatus.OK, IterationStatus.EMPTY):
        return ResultType.OK
    return ResultType.FAILED if status is IterationStatus.FAILED else ResultType.PARTIAL


def runs_again(resource: Resource, number: int) -> bool:
    if not resource.repeating_interval or resource.status in TERMINAL_STATUSES:
        return False
    return resource.expires is None or due_time(resource, number + 1) <= resource.expires


def results_payload(resource: Resource, results: Sequence[StoredResult]) -> dev.DeviceAccessType:
    """The resource's request with each CosemAccess carrying its results (in store order)."""
    request = copy.deepcopy(request_from_bytes(resource.request))
    request.id = resource.id
    items = request.cosem_access_list.cosem_access if request.cosem_access_list else []
    for item in items:
        item.cosem_access_result = []
    for stored in results:
        if stored.access_index < len(items):
            items[stored.access_index].cosem_access_result.append(result_from_bytes(stored.xml))
    return request


def message_id(resource_id: str, iteration: int, part: int) -> str:
    return str(uuid.uuid5(_MESSAGE_IDS, f"{resource_id}/{iteration}/{part}"))


def reply_messages(
    resource: Resource,
    iteration: Iteration,
    results: Sequence[StoredResult],
    now: datetime,
) -> list[OutboxMessage]:
    """What to POST to the resource's ReplyAddress for this iteration."""
    if not resource.reply_address:
        return []
    chunks = [
        results[start : start + MESSAGE_RESULTS]
        for start in range(0, max(len(results), 1), MESSAGE_RESULTS)
    ]
    messages = []
    for part, chunk in enumerate(chunks, 1):
        mid = message_id(resource.id, iteration.number, part)
        payload = results_payload(resource, chunk)
        properties = [("Iteration", str(iteration.number))]
        if len(chunks) > 1:
            properties.append(("Part", f"{part}/{len(chunks)}"))
        if resource.missed_iterations:
            properties.append(("MissedIterations", str(resource.missed_iterations)))
        if resource.scheduled:
            body = render_event(
                build_event(
                    payload,
                    correlation_id=resource.id,
                    message_id=mid,
                    timestamp=now,
                    properties=properties,
                )
            )
        else:
            response = build_response(
                None,
                result=reply_result(iteration),
                ids=[resource.id],
                payload=payload,
                noun="DeviceAccess",
                message_id=mid,
                correlation_id=resource.message_id,
                timestamp=now,
            )
            body = render_response(response, SoapVersion.V12)
        messages.append(
            OutboxMessage(
                message_id=mid,
                url=resource.reply_address,
                body=body,
                content_type=content_type(SoapVersion.V12),
                created=now,
                resource_id=resource.id,
            )
        )
    return messages


async def finalize(
    store: Store,
    resource_id: str,
    number: int,
    now: datetime,
    *,
    status: IterationStatus | None = None,
    on_outbox: Callable[[], None] | None = None,
    counted: Iteration | None = None,
) -> bool:
    """Close a finished iteration once (whoever calls first); False if already closed.

    ``counted``: the iteration as the store returned it when its last task was completed
    (its counts are final then), instead of reading it again."""
    iteration = counted if counted is not None else await store.get_iteration(resource_id, number)
    if iteration is None:
        return False
    status = status or iteration_status(iteration)
    if not await store.finish_iteration(resource_id, number, status, now):
        return False
    resource = await store.get_resource(resource_id)
    if resource is None:
        return True
    if resource.last_iteration == number and resource.status not in TERMINAL_STATUSES:
        new_status = (
            ResourceStatus(str(status)) if runs_again(resource, number) else ResourceStatus.FINISHED
        )
        await store.update_resource(
            resource_id, {"status": new_status}, unless_status=TERMINAL_STATUSES
        )
    if resource.reply_address and status is not IterationStatus.STOPPED:
        results = await store.results(resource_id, iteration=number)
        await store.outbox_put(reply_messages(resource, iteration, results, now))
        if on_outbox is not None:
            on_outbox()
    return True
