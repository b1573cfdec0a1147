"""Device groups in the store, shared by every node that uses it.

``group_store(store)`` gives the :class:`GroupStore` of an opened SQLite or Redis store (its
own table / key, next to the rest of the state: the ``Store`` protocol is unchanged). Each
operation is atomic. DG_ALL_METERS is built in and never stored.

Outcomes: ``put_group`` raises :class:`GroupExists` (mode CREATE, the id is taken) or
:class:`GroupMissing` (mode REPLACE, no such group); ``get_group`` gives None and
``delete_group`` False for a missing group.
"""

from __future__ import annotations

import enum
import json
import weakref
from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from cas.registry.groups import DeviceGroup, GroupKind, is_built_in

FORMAT_VERSION = 1


class PutMode(enum.Enum):
    CREATE = "create"  # only a new id (GroupExists otherwise)
    REPLACE = "replace"  # only an existing id (GroupMissing otherwise)
    UPSERT = "upsert"  # either (group files at start)


class GroupStoreError(Exception):
    def __init__(self, group_id: str, message: str) -> None:
        super().__init__(message)
        self.group_id = group_id


class GroupExists(GroupStoreError):
    def __init__(self, group_id: str) -> None:
        super().__init__(group_id, f"device group {group_id!r} already exists")


class GroupMissing(GroupStoreError):
    def __init__(self, group_id: str) -> None:
        super().__init__(group_id, f"no device group {group_id!r}")


@runtime_checkable
class GroupStore(Protocol):
    async def put_group(self, group: DeviceGroup, mode: PutMode = PutMode.CREATE) -> None:
        """Store ``group`` (see PutMode); raises GroupExists / GroupMissing, and ValueError for
        the built-in group."""

    async def get_group(self, group_id: str) -> DeviceGroup | None: ...

    async def list_groups(self) -> list[DeviceGroup]:
        """Every stored group, by id."""

    async def delete_group(self, group_id: str) -> bool:
        """False when there is no such group."""


def group_to_json(group: DeviceGroup) -> str:
    if group.built_in or is_built_in(group.id):
        raise ValueError(f"{group.id} is built in and is not stored")
    data: dict = {"v": FORMAT_VERSION, "id": group.id, "kind": str(group.kind)}
    if group.description is not None:
        data["description"] = group.description
    if group.members:
        data["members"] = list(group.members)
    if group.prefix is not None:
        data["prefix"] = group.prefix
    if group.selector:
        data["selector"] = [list(pair) for pair in group.selector]
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def group_from_json(text: str | bytes) -> DeviceGroup:
    data = json.loads(text)
    return DeviceGroup(
        id=data["id"],
        kind=GroupKind(data["kind"]),
        description=data.get("description"),
        members=tuple(data.get("members", ())),
        prefix=data.get("prefix"),
        selector=tuple((attribute, value) for attribute, value in data.get("selector", ())),
    )


_opened: weakref.WeakKeyDictionary[object, GroupStore] = weakref.WeakKeyDictionary()


def group_store(store: object) -> GroupStore:
    """The GroupStore of an opened store (SqliteStore or RedisStore; another object may offer
    its own as ``store.groups``)."""
    groups = _opened.get(store)
    if groups is not None:
        return groups
    from cas.store.redis import RedisStore
    from cas.store.sqlite import SqliteStore

    if isinstance(store, SqliteStore):
        from cas.store.groups_sqlite import SqliteGroupStore

        groups = SqliteGroupStore(store)
    elif isinstance(store, RedisStore):
        from cas.store.groups_redis import RedisGroupStore

        groups = RedisGroupStore(store)
    else:
        groups = getattr(store, "groups", None)
        if not isinstance(groups, GroupStore):
            raise TypeError(f"{type(store).__name__} keeps no device groups")
        return groups
    _opened[store] = groups
    return groups


async def put_groups(
    groups: GroupStore, definitions: Iterable[DeviceGroup], mode: PutMode = PutMode.UPSERT
) -> int:
    """Put each group (group files at start: UPSERT, a file replaces a stored group)."""
    count = 0
    for group in definitions:
        await groups.put_group(group, mode)
        count += 1
    return count


__all__ = [
    "GroupExists",
    "GroupMissing",
    "GroupStore",
    "GroupStoreError",
    "PutMode",
    "group_from_json",
    "group_store",
    "group_to_json",
    "put_groups",
]
