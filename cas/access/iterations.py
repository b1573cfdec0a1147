"""The end of an iteration: its status, the resource's status, and the messages to deliver.

An iteration is ITERATION-OK when every device x access result succeeded, ITERATION-FAILED
when none did, ITERATION-EMPTY when it had no device, ITERATION-NOT-COMPLETED otherwise
(some failed or ran out of time). A resource that will not run again becomes FINISHED.

When the resource has a ReplyAddress, the iteration's results are queued in the outbox: an
EventMessage (Verb created, CorrelationID = the resource id, Property Iteration) for a
scheduled resource, the ResponseMessage the client did not wait for (CorrelationID = its
MessageID) for an asynchronous on-demand one. Large iterations are split into several
messages of at most ``MESSAGE_RESULTS`` results (Header Property Part = "i/n", in both kinds),
each rendered and queued as its page of results is read from the store: a 10,000-member
group access never has all its results in memory. Message ids are derived from resource,
iteration and part, so a message queued twice is delivered once and a receiver can drop
duplicates.
"""

from __future__ import annotations

import copy
import logging
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

logger = logging.getLogger(__name__)

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


def part_count(iteration: Iteration) -> int:
    """How many messages the iteration's results make (at least one, even without results)."""
    total = iteration.results_ok + iteration.results_failed
    return max(1, -(-total // MESSAGE_RESULTS))


def reply_message(
    resource: Resource,
    iteration: Iteration,
    part: int,
    parts: int,
    results: Sequence[StoredResult],
    now: datetime,
) -> OutboxMessage:
    """Part ``part`` of ``parts`` of what to POST to the resource's ReplyAddress."""
    assert resource.reply_address is not None
    mid = message_id(resource.id, iteration.number, part)
    payload = results_payload(resource, results)
    part_of = [("Part", f"{part}/{parts}")] if parts > 1 else []
    if resource.scheduled:
        properties = [("Iteration", str(iteration.number)), *part_of]
        if resource.missed_iterations:
            properties.append(("MissedIterations", str(resource.missed_iterations)))
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
            properties=part_of,
        )
        body = render_response(response, SoapVersion.V12)
    return OutboxMessage(
        message_id=mid,
        url=resource.reply_address,
        body=body,
        content_type=content_type(SoapVersion.V12),
        created=now,
        resource_id=resource.id,
    )


async def queue_replies(
    store: Store, resource: Resource, iteration: Iteration, now: datetime
) -> None:
    """Queue the iteration's messages in the outbox, one part per page of results read (never
    all of them in memory).

    The number of parts comes from the iteration's final counts (results_ok + results_failed
    is what its tasks stored). Parts already in the outbox are not queued twice."""
    parts = part_count(iteration)
    after = 0
    for part in range(1, parts + 1):
        last = part == parts
        # one more on the last page: results beyond the counts would be noticed
        wanted = MESSAGE_RESULTS + 1 if last else MESSAGE_RESULTS
        page = await store.results(
            resource.id, iteration=iteration.number, after=after, limit=wanted
        )
        if len(page) > MESSAGE_RESULTS or (not last and len(page) < MESSAGE_RESULTS):
            logger.warning(
                "resource %s iteration %d: the stored results do not match its counts"
                " (%d ok, %d failed); part %d/%d has %d",
                resource.id,
                iteration.number,
                iteration.results_ok,
                iteration.results_failed,
                part,
                parts,
                min(len(page), MESSAGE_RESULTS),
            )
            page = page[:MESSAGE_RESULTS]
        if page:
            after = page[-1].sequence
        await store.outbox_put([reply_message(resource, iteration, part, parts, page, now)])


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

    Its messages are queued before it is closed: a closer that dies midway leaves the
    iteration EXECUTING, and the sweeper's run queues the same message ids again (those
    already in the outbox are ignored; one delivered meanwhile may arrive twice). While the
    resource is being cancelled they are queued only if this close wins (a STOPPED iteration
    sends nothing).

    ``counted``: the iteration as the store returned it when its last task was completed
    (its counts are final then), instead of reading it again."""
    iteration = counted if counted is not None else await store.get_iteration(resource_id, number)
    if iteration is None or iteration.status is not IterationStatus.EXECUTING:
        return False
    status = status or iteration_status(iteration)
    resource = await store.get_resource(resource_id)
    to_send = (
        resource
        if resource is not None and resource.reply_address and status is not IterationStatus.STOPPED
        else None
    )
    queued = False
    if to_send is not None and to_send.status is not ResourceStatus.CANCELLED:
        await queue_replies(store, to_send, iteration, now)
        queued = True
    closed = await store.finish_iteration(resource_id, number, status, now)
    if closed and to_send is not None and not queued:
        await queue_replies(store, to_send, iteration, now)
        queued = True
    if queued and on_outbox is not None:
        on_outbox()
    if not closed or resource is None:
        return closed
    if resource.last_iteration == number and resource.status not in TERMINAL_STATUSES:
        new_status = (
            ResourceStatus(str(status)) if runs_again(resource, number) else ResourceStatus.FINISHED
        )
        await store.update_resource(
            resource_id, {"status": new_status}, unless_status=TERMINAL_STATUSES
        )
    return True
