"""The CAS operations: one handler per (verb, noun), called with a parsed request.

The HTTP layer parses and authenticates, then calls :meth:`CasService.handle`, which returns
the ResponseMessage to send or raises a MessageError (answered as Result FAILED, since the
header was understood).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from cas.access.device_run import DeviceRunner
from cas.access.ondemand import accesses, device_ids, run_on_demand
from cas.messages import ErrorCode, MessageError, ParsedRequest, build_response
from generated import device_access as dev
from generated import message as mes

Handler = Callable[[ParsedRequest], Awaitable[mes.ResponseMessage]]


def new_resource_id() -> str:
    return f"R-{uuid.uuid4().hex[:16]}"


class CasService:
    """What the gateway does for a request, independent of HTTP."""

    def __init__(self, runner: DeviceRunner, *, device_concurrency: int = 64) -> None:
        self.runner = runner
        self.device_concurrency = device_concurrency
        self._handlers: dict[tuple[str, str], Handler] = {
            ("create", "DeviceAccess"): self.create_device_access,
        }

    async def handle(self, request: ParsedRequest) -> mes.ResponseMessage:
        handler = self._handlers.get((request.header.verb, request.header.noun))
        if handler is None:
            raise _refuse(
                request,
                ErrorCode.NOT_SUPPORTED,
                f"{request.header.verb} {request.header.noun} is not supported yet",
            )
        return await handler(request)

    async def create_device_access(self, request: ParsedRequest) -> mes.ResponseMessage:
        access = request.payload
        if not isinstance(access, dev.DeviceAccessType):
            raise _refuse(request, ErrorCode.PAYLOAD_ELEMENTS_MISSING, "no DeviceAccess payload")
        if _is_scheduled(access) or request.header.async_reply_flag:
            raise _refuse(
                request,
                ErrorCode.NOT_SUPPORTED,
                "scheduled and asynchronous DeviceAccess are not supported yet",
            )
        if access.accept_data_notification:
            raise _refuse(
                request,
                ErrorCode.NOT_SUPPORTED,
                "data-notification resources are not supported yet",
            )
        references = access.devices_reference_list
        if references is not None and any(
            isinstance(item, dev.GroupReferenceType)
            for item in references.device_reference_or_group_reference
        ):
            raise _refuse(request, ErrorCode.NOT_SUPPORTED, "GroupReference is not supported yet")
        if not device_ids(access):
            raise _refuse(
                request, ErrorCode.PAYLOAD_ELEMENTS_MISSING, "DevicesReferenceList names no device"
            )
        if not accesses(access):
            raise _refuse(request, ErrorCode.PAYLOAD_ELEMENTS_MISSING, "CosemAccessList is empty")
        resource_id = new_resource_id()
        outcome = await run_on_demand(
            self.runner, access, resource_id, concurrency=self.device_concurrency
        )
        return build_response(
            request.header,
            result=outcome.result,
            errors=outcome.errors,
            ids=[resource_id],
            payload=outcome.payload,
        )


def _is_scheduled(access: dev.DeviceAccessType) -> bool:
    return any(
        value is not None
        for value in (access.activates, access.repeating_interval, access.duration)
    )


def _refuse(request: ParsedRequest, code: ErrorCode, reason: str) -> MessageError:
    return MessageError(code, reason, soap_version=request.soap_version, header=request.header)
