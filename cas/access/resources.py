"""From a create DeviceAccess request to a stored Resource, with the checks a scheduler needs.

Refusals raise ``RequestRefused`` with an IEC 61968-9 code and the xpath of the element at
fault: the message layer has already checked the schema; these are the rules the schema
cannot say (Activates in the past, Expires before Activates, a RepeatingInterval in months).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from xsdata.models.datatype import XmlDateTime, XmlDuration

from cas.access.stored import access_kind, request_bytes
from cas.messages import DEFAULT_PRIORITY, ErrorCode, ParsedRequest
from cas.store import Resource, ResourceKind, ResourceStatus
from generated import device_access as dev

PAYLOAD_XPATH = "/mes:RequestMessage/mes:Payload/mes:DeviceAccess"
ACTIVATES_GRACE = timedelta(seconds=60)  # a client's clock may be a little behind ours
REPEAT_WRITES = "RepeatInterruptedWrites"
"""Header Property: Value true lets a SET/ACTION interrupted by a gateway crash be sent again
(by default it is reported indeterminate, code 5.104, and not repeated)."""

_KIND_ORDER = ("UPGRADE", "ACTION", "SET", "TIMESYNC", "GET")


class RequestRefused(Exception):
    def __init__(self, code: ErrorCode, reason: str, xpath: str | None = None) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.xpath = xpath


def utc(value: XmlDateTime | None) -> datetime | None:
    """An xs:dateTime as an aware datetime (no time zone given: UTC)."""
    if value is None:
        return None
    moment = value.to_datetime()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def seconds(value: XmlDuration | None, name: str) -> float | None:
    """An xs:duration in seconds; months and years have no fixed length and are refused."""
    if value is None:
        return None
    if value.years or value.months:
        raise RequestRefused(
            ErrorCode.SCHEMA_VALIDATION_FAILED,
            f"{name} in years or months has no fixed length: use days (e.g. P30D)",
            f"{PAYLOAD_XPATH}/dev:{name}",
        )
    total = timedelta(
        days=value.days or 0,
        hours=value.hours or 0,
        minutes=value.minutes or 0,
        seconds=float(value.seconds or 0),
    ).total_seconds()
    return -total if value.negative else total


def devices_of(access: dev.DeviceAccessType) -> tuple[list[str], list[str]]:
    """(DeviceIDs, GroupIDs) named in DevicesReferenceList."""
    references = access.devices_reference_list
    items = references.device_reference_or_group_reference if references else []
    devices = [i.device_id for i in items if isinstance(i, dev.DeviceReferenceType)]
    groups = [i.group_id for i in items if isinstance(i, dev.GroupReferenceType)]
    return devices, groups


def resource_kind(access: dev.DeviceAccessType) -> ResourceKind:
    """The strongest kind among the accesses (a SET among GETs makes it a SET resource)."""
    if access.accept_data_notification:
        return ResourceKind.DATA_NOTIFICATION
    items = access.cosem_access_list.cosem_access if access.cosem_access_list else []
    kinds = {access_kind(item) for item in items}
    for kind in _KIND_ORDER:
        if kind in kinds:
            return ResourceKind(kind)
    return ResourceKind.GET


def is_scheduled(access: dev.DeviceAccessType) -> bool:
    return any(
        v is not None for v in (access.activates, access.repeating_interval, access.duration)
    )


def schedule_fields(access: dev.DeviceAccessType, now: datetime) -> dict:
    """The schedule of a create or change request, checked against each other and ``now``."""
    activates = utc(access.activates)
    expires = utc(access.expires)
    interval = seconds(access.repeating_interval, "RepeatingInterval")
    duration = seconds(access.duration, "Duration")
    if activates is not None and activates < now - ACTIVATES_GRACE:
        raise RequestRefused(
            ErrorCode.CANCELED_BY_BUSINESS_RULE,
            f"Activates {activates.isoformat()} is in the past",
            f"{PAYLOAD_XPATH}/dev:Activates",
        )
    if interval is not None and interval < 60:
        raise RequestRefused(
            ErrorCode.SCHEMA_VALIDATION_FAILED,
            "RepeatingInterval must be at least one minute (PT1M)",
            f"{PAYLOAD_XPATH}/dev:RepeatingInterval",
        )
    if duration is not None and duration <= 0:
        raise RequestRefused(
            ErrorCode.SCHEMA_VALIDATION_FAILED,
            "Duration must be positive",
            f"{PAYLOAD_XPATH}/dev:Duration",
        )
    if expires is not None and expires <= max(activates or now, now):
        raise RequestRefused(
            ErrorCode.CANCELED_BY_BUSINESS_RULE,
            f"Expires {expires.isoformat()} is not after Activates and now",
            f"{PAYLOAD_XPATH}/dev:Expires",
        )
    return {
        "activates": activates,
        "repeating_interval": interval,
        "duration": duration,
        "expires": expires,
        "not_older_than": utc(access.not_older_than),
        "priority": access.priority if access.priority is not None else DEFAULT_PRIORITY,
    }


def new_resource(
    request: ParsedRequest, access: dev.DeviceAccessType, resource_id: str, now: datetime
) -> Resource:
    """The Resource a create DeviceAccess makes (not stored yet)."""
    devices, groups = devices_of(access)
    header = request.header
    repeat = (header.property_value(REPEAT_WRITES) or "").strip().lower() in ("true", "1")
    items = access.cosem_access_list.cosem_access if access.cosem_access_list else []
    return Resource(
        id=resource_id,
        kind=resource_kind(access),
        status=ResourceStatus.ACCEPTED,
        request=request_bytes(access),
        created=now,
        devices=devices,
        groups=groups,
        access_count=len(items),
        reply_address=header.reply_address,
        async_reply=header.async_reply_flag,
        bypass_retry=header.bypass_retry,
        repeat_writes=repeat,
        message_id=header.message_id,
        **schedule_fields(access, now),
    )
