"""DeviceAccess as a resource: create (scheduled / asynchronous), get, change, cancel, delete,
and the ResourceDirectory.

- ``create`` with Activates / RepeatingInterval / Duration, or with AsyncReplyFlag, stores the
  resource and answers at once with its Reply/ID; workers execute it.
- ``get DeviceAccess`` with Request/ID returns the results gathered so far (filters: Request
  StartTime/EndTime on the execution time, LastValidData: the last successful result per device
  and access, a DevicesReferenceList in the payload). Results come in pages of at most
  ``PageSize`` (Request/Option, default 1000): a page with more to follow is PARTIAL with Error
  0.1 and a Reply/ID of idType "NextPage" to send back as Request/Option "After".
  Without an ID it lists the resources (a ResourceDirectory).
- ``change`` updates the schedule fields and Priority of a resource that has not finished.
- ``cancel`` stops it (queued work dropped, the running iteration stopped) and keeps results.
- ``delete`` removes it and its results.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from xsdata.models.datatype import XmlDateTime, XmlDuration

from cas.access.descriptors import touched
from cas.access.iterations import finalize, results_payload
from cas.access.paging import mark_page, page_options
from cas.access.resources import (
    RequestRefused,
    devices_of,
    is_scheduled,
    new_resource,
    schedule_fields,
)
from cas.access.schedule import due_time, first_due, number_at
from cas.messages import (
    ErrorCode,
    ErrorDetail,
    ErrorLevel,
    MessageError,
    ParsedRequest,
    build_response,
)
from cas.store import (
    TERMINAL_STATUSES,
    IterationStatus,
    Resource,
    ResourceKind,
    ResourceStatus,
    Store,
    StoredResult,
)
from generated import device_access as dev
from generated import message as mes

Clock = Callable[[], datetime]


def new_resource_id() -> str:
    return f"R-{uuid.uuid4().hex[:16]}"


def refuse(request: ParsedRequest, code: ErrorCode, reason: str, xpath: str | None = None):
    return MessageError(
        code, reason, xpath=xpath, soap_version=request.soap_version, header=request.header
    )


class Resources:
    """The resource operations, over a store; ``wake`` nudges the local scheduler."""

    def __init__(self, store: Store, *, clock: Clock, wake: Callable[[], None] | None = None):
        self.store = store
        self.clock = clock
        self.wake = wake or (lambda: None)

    async def create(self, request: ParsedRequest, access: dev.DeviceAccessType):
        resource = await self.create_resource(request, access)
        return build_response(request.header, ids=[resource.id])

    async def create_resource(
        self, request: ParsedRequest, access: dev.DeviceAccessType
    ) -> Resource:
        """Store the resource a create DeviceAccess makes, scheduled at its first due time."""
        now = self.clock()
        try:
            resource = new_resource(request, access, new_resource_id(), now)
        except RequestRefused as refused:
            raise refuse(request, refused.code, refused.reason, refused.xpath) from None
        due = first_due(resource) if resource.scheduled else now
        await self.store.create_resource(resource, due)
        self.wake()
        return resource

    async def first_page(
        self, request: ParsedRequest, resource: Resource, iteration
    ) -> mes.ResponseMessage:
        """The reply to a request that waited for its group access: the first page of
        results, PARTIAL with a NextPage cursor when more follow (get DeviceAccess pages on)."""
        from cas.access.iterations import reply_result

        page, _after = page_options(request)
        results = await self.store.results(resource.id, limit=page + 1)
        more = len(results) > page
        results = results[:page]
        response = build_response(
            request.header,
            result=reply_result(iteration),
            errors=failure_summary(results, iteration.results_failed),
            ids=[resource.id],
            payload=results_payload(resource, results),
        )
        if more:
            mark_page(response, results[-1].sequence, "results")
        return response

    async def get(self, request: ParsedRequest):
        resource_id = request.request.id
        if resource_id is None:
            return build_response(
                request.header, payload=await self.directory(), noun="ResourceDirectory"
            )
        resource = await self._resource(request, resource_id)
        page, after = page_options(request)
        devices = None
        if isinstance(request.payload, dev.DeviceAccessType):
            named, _groups = devices_of(request.payload)
            devices = named or None
        results = await self.store.results(
            resource.id,
            start=_aware(request.request.start_time),
            end=_aware(request.request.end_time),
            devices=devices,
            latest_only=bool(request.request.last_valid_data),
            after=after,
            limit=page + 1,
        )
        more = len(results) > page
        results = results[:page]
        response = build_response(
            request.header, ids=[resource.id], payload=results_payload(resource, results)
        )
        if more:
            mark_page(response, results[-1].sequence, "results")
        return response

    async def change(self, request: ParsedRequest, access: dev.DeviceAccessType):
        resource = await self._resource(request, request.request.id or access.id)
        if resource.status in TERMINAL_STATUSES:
            raise refuse(
                request,
                ErrorCode.CANCELED_BY_BUSINESS_RULE,
                f"resource {resource.id} is {resource.status}: it cannot be changed",
            )
        now = self.clock()
        try:
            fields = schedule_fields(access, now)
        except RequestRefused as refused:
            raise refuse(request, refused.code, refused.reason, refused.xpath) from None
        # A field absent from the change keeps its value.
        changes = {
            name: value
            for name, value in fields.items()
            if value is not None and (name != "priority" or access.priority is not None)
        }
        updated = {**resource.__dict__, **changes}
        candidate = Resource(**updated)
        await self.store.update_resource(resource.id, changes, unless_status=TERMINAL_STATUSES)
        if candidate.scheduled:
            next_number = max(resource.last_iteration + 1, number_at(candidate, now))
            due = due_time(candidate, next_number)
            if candidate.repeating_interval and due < now:
                due = due_time(candidate, next_number + 1)
            expired = candidate.expires is not None and due > candidate.expires
            await self.store.reschedule(resource.id, None if expired else due)
            if expired:
                await self._finish_unless_running(resource)
        self.wake()
        return build_response(request.header, ids=[resource.id])

    async def _finish_unless_running(self, resource: Resource) -> None:
        """No iteration will start any more (Expires moved before the next one): FINISHED
        now, unless an iteration is running (its closing finds it does not run again)."""
        if resource.last_iteration >= 0:
            last = await self.store.get_iteration(resource.id, resource.last_iteration)
            if last is not None and last.status is IterationStatus.EXECUTING:
                return
        await self.store.update_resource(
            resource.id, {"status": ResourceStatus.FINISHED}, unless_status=TERMINAL_STATUSES
        )

    async def cancel(self, request: ParsedRequest):
        resource = await self._resource(request, request.request.id)
        await self._stop(resource)
        return build_response(request.header, ids=[resource.id])

    async def delete(self, request: ParsedRequest):
        resource = await self._resource(request, request.request.id)
        await self._stop(resource)
        await self.store.delete_resource(resource.id)
        return build_response(request.header, ids=[resource.id])

    async def directory(self, ids: Sequence[str] = ()) -> dev.ResourceDirectoryType:
        """Every resource, or those with the given IDs (unknown ones left out)."""
        if ids:
            found = await self.store.get_resources(list(ids))
            listed = [resource for resource in found if resource is not None]
        else:
            listed = await self.store.list_resources()
        entries = []
        for resource in listed:
            iteration = (
                await self.store.get_iteration(resource.id, resource.last_iteration)
                if resource.last_iteration >= 0
                else None
            )
            entries.append(resource_info(resource, iteration))
        return dev.ResourceDirectoryType(resource=entries)

    async def _stop(self, resource: Resource) -> None:
        await self.store.update_resource(resource.id, {"status": ResourceStatus.CANCELLED})
        await self.store.reschedule(resource.id, None)
        await self.store.cancel_tasks(resource.id)
        if resource.last_iteration >= 0:
            await finalize(
                self.store,
                resource.id,
                resource.last_iteration,
                self.clock(),
                status=IterationStatus.STOPPED,
            )

    async def _resource(self, request: ParsedRequest, resource_id: str | None) -> Resource:
        if not resource_id:
            raise refuse(request, ErrorCode.REQUEST_ELEMENTS_MISSING, "Request/ID is required")
        resource = await self.store.get_resource(resource_id)
        if resource is None:
            raise refuse(
                request, ErrorCode.INVALID_REQUEST_ID, f"no resource with ID {resource_id!r}"
            )
        return resource


def failure_summary(results: Sequence[StoredResult], failed_total: int) -> list[ErrorDetail]:
    """One Reply/Error per error code among these results (a group may have thousands of
    failed members: they are counted, not listed; each result names its device)."""
    counts: dict[str, int] = {}
    for stored in results:
        if not stored.ok:
            code = _error_code(stored.xml)
            counts[code] = counts.get(code, 0) + 1
    details = []
    for code, count in sorted(counts.items()):
        try:
            error_code = ErrorCode.from_code(code)
        except ValueError:
            error_code = ErrorCode.TRANSACTION_FAILED
        details.append(
            ErrorDetail(
                error_code,
                f"{count} device result(s) in this reply ({failed_total} failed in all)",
                level=ErrorLevel.WARNING,
            )
        )
    return details


def _error_code(xml: bytes) -> str:
    """The errorResult code of a stored result (ACSEResult: a refused association)."""
    start = xml.find(b"<dev:code>")
    if start < 0:
        return ErrorCode.DEVICE_SECURITY_FAILURE.code
    end = xml.find(b"</dev:code>", start)
    return xml[start + len(b"<dev:code>") : end].decode()


def resource_info(resource: Resource, iteration) -> dev.ResourceInfoType:
    references = [dev.DeviceReferenceType(device_id=d) for d in resource.devices] + [
        dev.GroupReferenceType(group_id=g) for g in resource.groups
    ]
    progress = None
    if iteration is not None and iteration.status is not IterationStatus.MISSED:
        total = iteration.tasks * max(resource.access_count, 1)
        done_results = iteration.results_ok + iteration.results_failed
        progress = dev.ProgressType(
            done=iteration.results_ok,
            failed=iteration.results_failed,
            pending=max(0, total - done_results),
        )
    attributes, methods = touched(resource.request)
    return dev.ResourceInfoType(
        id=resource.id,
        resource_type=dev.ResourceKindType(str(resource.kind)),
        resource_status=dev.ResourceStatusType(str(resource.status)),
        last_activation=_xml_time(resource.last_activation),
        activates=_xml_time(resource.activates),
        expires=_xml_time(resource.expires),
        repeating_interval=_xml_duration(resource.repeating_interval),
        duration=_xml_duration(resource.duration),
        not_older_than=_xml_time(resource.not_older_than),
        priority=resource.priority,
        reply_address=resource.reply_address,
        async_reply_flag=resource.async_reply,
        accept_data_notification=resource.kind is ResourceKind.DATA_NOTIFICATION or None,
        device_reference_or_group_reference=references,
        cosem_attribute_descriptor=list(attributes),
        cosem_method_descriptor=list(methods),
        progress=progress,
    )


def _xml_time(moment: datetime | None) -> XmlDateTime | None:
    return XmlDateTime.from_datetime(moment) if moment is not None else None


def _xml_duration(value: float | None) -> XmlDuration | None:
    if value is None:
        return None
    whole = int(value)
    return XmlDuration(f"PT{whole}S" if whole == value else f"PT{value:.3f}S")


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


__all__ = ["Resources", "is_scheduled", "resource_info"]
