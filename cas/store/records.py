"""Store values as plain JSON-able dicts (both backends keep resources and tasks this way)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from cas.store.model import (
    Iteration,
    IterationStatus,
    OutboxMessage,
    Resource,
    ResourceKind,
    ResourceStatus,
    Task,
)

_RESOURCE_TIMES = ("created", "activates", "expires", "not_older_than", "last_activation")


def epoch(moment: datetime | None) -> float | None:
    """Seconds since 1970 (UTC) for an aware datetime; None stays None."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise ValueError("store times must be timezone-aware")
    return moment.timestamp()


def moment(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def _fields(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


# Field names in declaration order: a dict built from them is what dataclasses.asdict gives
# for these flat records (their only containers, a resource's lists, are copied), at a
# fraction of asdict's cost (it deep-copies every value).
_RESOURCE_NAMES = tuple(name for name in _fields(Resource) if name != "request")
_ITERATION_NAMES = _fields(Iteration)
_TASK_NAMES = tuple(name for name in _fields(Task) if name not in ("lease_token", "recovered"))


def resource_to_dict(resource: Resource) -> dict[str, Any]:
    data = {name: getattr(resource, name) for name in _RESOURCE_NAMES}
    data["devices"] = list(resource.devices)
    data["groups"] = list(resource.groups)
    for name in _RESOURCE_TIMES:
        data[name] = epoch(data[name])
    data["kind"] = str(resource.kind)
    data["status"] = str(resource.status)
    return data


def resource_from_dict(data: dict[str, Any], request: bytes) -> Resource:
    values = dict(data)
    for name in _RESOURCE_TIMES:
        values[name] = moment(values.get(name))
    values["kind"] = ResourceKind(values["kind"])
    values["status"] = ResourceStatus(values["status"])
    return Resource(request=request, **values)


def resource_change(name: str, value: Any) -> Any:
    """A field value as resource_to_dict stores it (for partial updates)."""
    if name not in _CHANGEABLE:
        raise ValueError(f"not a changeable resource field: {name!r}")
    if name in _RESOURCE_TIMES:
        return epoch(value)
    if name in ("kind", "status"):
        return str(value)
    if name in ("devices", "groups"):
        return list(value)
    return value


def iteration_to_dict(iteration: Iteration) -> dict[str, Any]:
    data = {name: getattr(iteration, name) for name in _ITERATION_NAMES}
    for name in ("due", "started", "deadline", "finished"):
        data[name] = epoch(data[name])
    data["status"] = str(iteration.status)
    return data


def iteration_from_dict(data: dict[str, Any]) -> Iteration:
    values = dict(data)
    for name in ("due", "started", "deadline", "finished"):
        values[name] = moment(values.get(name))
    values["status"] = IterationStatus(values["status"])
    return Iteration(**values)


def task_to_dict(task: Task) -> dict[str, Any]:
    data = {name: getattr(task, name) for name in _TASK_NAMES}
    for name in ("due", "deadline", "not_before"):
        data[name] = epoch(data[name])
    return data


def task_from_dict(data: dict[str, Any], *, recovered: bool, token: str | None) -> Task:
    values = {k: v for k, v in data.items() if k in _TASK_FIELDS}
    for name in ("due", "deadline", "not_before"):
        values[name] = moment(values.get(name))
    return Task(**values, recovered=recovered, lease_token=token)


_TASK_FIELDS = {f.name for f in dataclasses.fields(Task)} - {"recovered", "lease_token"}
_CHANGEABLE = frozenset(_RESOURCE_NAMES) - {"id"}


def outbox_to_dict(message: OutboxMessage) -> dict[str, Any]:
    data = dataclasses.asdict(message)
    data.pop("body")
    data.pop("lease_token")
    data["created"] = epoch(message.created)
    data["next_attempt"] = epoch(message.next_attempt)
    return data


def outbox_from_dict(data: dict[str, Any], body: bytes, token: str | None) -> OutboxMessage:
    values = {k: v for k, v in data.items() if k in _OUTBOX_FIELDS}
    values["created"] = moment(values["created"])
    values["next_attempt"] = moment(values.get("next_attempt"))
    return OutboxMessage(body=body, lease_token=token, **values)


_OUTBOX_FIELDS = {f.name for f in dataclasses.fields(OutboxMessage)} - {"body", "lease_token"}
