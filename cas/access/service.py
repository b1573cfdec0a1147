"""The CAS operations: one handler per (verb, noun), called with a parsed request.

The HTTP layer parses and authenticates, then calls :meth:`CasService.handle`, which returns
the ResponseMessage to send or raises a MessageError (answered as Result FAILED, since the
header was understood).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from cas.access.device_run import DeviceRunner
from cas.access.groups import DeviceGroups
from cas.access.keeper import ResultKeeper
from cas.access.lifecycle import Resources, new_resource_id, refuse
from cas.access.ondemand import accesses, device_ids, run_on_demand
from cas.access.resources import (
    RequestRefused,
    devices_of,
    is_scheduled,
    resource_kind,
    utc,
)
from cas.access.stored import request_bytes
from cas.messages import (
    DEFAULT_PRIORITY,
    ErrorCode,
    ErrorDetail,
    ErrorLevel,
    ParsedRequest,
    ResultType,
    build_response,
)
from cas.store import IterationStatus, Resource, ResourceStatus
from generated import device_access as dev
from generated import message as mes

Handler = Callable[[ParsedRequest], Awaitable[mes.ResponseMessage]]
GroupMembers = Callable[[str], Awaitable[list[str] | None]]
"""A GroupID's member DeviceIDs now (None: no such group)."""


class CasService:
    """What the gateway does for a request, independent of HTTP.

    Without ``resources`` (no store) only on-demand DeviceAccess is served. An on-demand
    request's results are kept in the store (for ``get DeviceAccess`` by its ID and for later
    NotOlderThan requests) when it carries NotOlderThan, or always with ``keep_on_demand``;
    keeping costs CPU on the hot path, so by default plain on-demand reads are not kept."""

    def __init__(
        self,
        runner: DeviceRunner,
        *,
        resources: Resources | None = None,
        keeper: ResultKeeper | None = None,
        keep_on_demand: bool = False,
        device_concurrency: int = 64,
        group_members: GroupMembers | None = None,
        group_wait: float = 600.0,
    ) -> None:
        self.runner = runner
        self.resources = resources
        self.keeper = keeper
        self.keep_on_demand = keep_on_demand
        self.group_members = group_members
        self.group_wait = group_wait
        self.device_concurrency = device_concurrency
        self._handlers: dict[tuple[str, str], Handler] = {
            ("create", "DeviceAccess"): self.create_device_access,
        }
        if resources is not None:
            self._handlers.update(
                {
                    ("get", "DeviceAccess"): resources.get,
                    ("get", "ResourceDirectory"): self.get_directory,
                    ("change", "DeviceAccess"): self.change_device_access,
                    ("cancel", "DeviceAccess"): resources.cancel,
                    ("delete", "DeviceAccess"): resources.delete,
                }
            )
            self._handlers.update(DeviceGroups(resources.store, runner.registry).handlers())

    async def handle(self, request: ParsedRequest) -> mes.ResponseMessage:
        handler = self._handlers.get((request.header.verb, request.header.noun))
        if handler is None:
            raise refuse(
                request,
                ErrorCode.NOT_SUPPORTED,
                f"{request.header.verb} {request.header.noun} is not supported yet",
            )
        return await handler(request)

    async def create_device_access(self, request: ParsedRequest) -> mes.ResponseMessage:
        access = self._payload(request)
        if access.accept_data_notification:
            raise refuse(
                request,
                ErrorCode.NOT_SUPPORTED,
                "data-notification resources are not supported yet",
            )
        devices, groups = devices_of(access)
        if not devices and not groups:
            raise refuse(
                request, ErrorCode.PAYLOAD_ELEMENTS_MISSING, "DevicesReferenceList names no device"
            )
        if not accesses(access):
            raise refuse(request, ErrorCode.PAYLOAD_ELEMENTS_MISSING, "CosemAccessList is empty")
        if groups:
            await self._check_groups(request, groups)
        waits = not (is_scheduled(access) or request.header.async_reply_flag)
        if not waits or groups:
            if self.resources is None:
                raise refuse(
                    request, ErrorCode.NOT_SUPPORTED, "scheduled and group access need a store"
                )
            if waits:
                return await self._group_on_demand(request, access)
            return await self.resources.create(request, access)
        return await self._on_demand(request, access)

    async def _check_groups(self, request: ParsedRequest, groups: list[str]) -> None:
        if self.group_members is None:
            raise refuse(request, ErrorCode.NOT_SUPPORTED, "device groups are not configured")
        for group_id in groups:
            if await self.group_members(group_id) is None:
                raise refuse(
                    request,
                    ErrorCode.INVALID_DEVICE_GROUP,
                    f"no device group {group_id!r}",
                    "/mes:RequestMessage/mes:Payload/mes:DeviceAccess/dev:DevicesReferenceList",
                )

    async def _group_on_demand(
        self, request: ParsedRequest, access: dev.DeviceAccessType
    ) -> mes.ResponseMessage:
        """A group read the client waits for: it runs as a one-shot resource on the workers
        (results go to the store as they arrive, never all held in memory); the reply carries
        the first page of results, and get DeviceAccess with its ID pages through the rest.
        After ``group_wait`` seconds the reply says so (0.1, PARTIAL) and the work goes on."""
        resources = self.resources
        resource = await resources.create_resource(request, access)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.group_wait
        pause = 0.02
        while True:
            iteration = await resources.store.get_iteration(resource.id, 0)
            if iteration is not None and iteration.status is not IterationStatus.EXECUTING:
                return await resources.first_page(request, resource, iteration)
            if loop.time() > deadline:
                reason = (
                    f"still running after {self.group_wait:.0f} s: get DeviceAccess"
                    f" {resource.id} for the results"
                )
                return build_response(
                    request.header,
                    result=ResultType.PARTIAL,
                    errors=[
                        ErrorDetail(
                            ErrorCode.PARTIAL_RESULT_MORE_TO_FOLLOW, reason, level=ErrorLevel.INFORM
                        )
                    ],
                    ids=[resource.id],
                )
            await asyncio.sleep(pause)
            pause = min(pause * 1.5, 0.2)  # one get_iteration per 0.2 s at most: cheap

    async def _on_demand(
        self, request: ParsedRequest, access: dev.DeviceAccessType
    ) -> mes.ResponseMessage:
        resource_id = new_resource_id()
        not_older_than = utc(access.not_older_than)
        keep = self.keeper is not None and (self.keep_on_demand or not_older_than is not None)
        store = self.resources.store if self.resources is not None else None
        outcome = await run_on_demand(
            self.runner,
            access,
            resource_id,
            store=store if keep or not_older_than is not None else None,
            not_older_than=not_older_than,
            concurrency=self.device_concurrency,
            priority=access.priority if access.priority is not None else DEFAULT_PRIORITY,
        )
        if keep:
            now = self.runner.clock()
            self.keeper.keep(
                Resource(
                    id=resource_id,
                    kind=resource_kind(access),
                    status=ResourceStatus.FINISHED,
                    request=request_bytes(access),
                    created=now,
                    devices=device_ids(access),
                    access_count=len(accesses(access)),
                    message_id=request.header.message_id,
                    last_activation=now,
                    last_iteration=0,
                ),
                outcome.stored,
            )
        return build_response(
            request.header,
            result=outcome.result,
            errors=outcome.errors,
            ids=[resource_id],
            payload=outcome.payload,
        )

    async def change_device_access(self, request: ParsedRequest) -> mes.ResponseMessage:
        return await self.resources.change(request, self._payload(request))

    async def get_directory(self, request: ParsedRequest) -> mes.ResponseMessage:
        """The ResourceDirectory: every resource, or those named by Request/ID."""
        directory = await self.resources.directory(request.request.ids)
        return build_response(request.header, payload=directory)

    @staticmethod
    def _payload(request: ParsedRequest) -> dev.DeviceAccessType:
        access = request.payload
        if not isinstance(access, dev.DeviceAccessType):
            raise refuse(request, ErrorCode.PAYLOAD_ELEMENTS_MISSING, "no DeviceAccess payload")
        return access


__all__ = ["CasService", "RequestRefused"]
