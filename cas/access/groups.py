"""The DeviceGroup noun over SOAP, and group members for the access layer.

- ``get DeviceGroup`` without a group id lists every group (DG_ALL_METERS first, then by id)
  with Type, Prefix / Selector, Description, MemberCount and BuiltIn, no members. With one
  group id (Request/ID or Payload DeviceGroup@GroupID) it returns that group with its
  members resolved against the registry now, as DeviceReference, in pages: at most
  ``PageSize`` members (Request/Option, default 1000, at most 10000); a page with more to
  follow is PARTIAL with Error 0.1 and a Reply/ID of idType "NextPage" whose value is sent
  back as Request/Option ``After`` (the number of members already received), as for
  ``get DeviceAccess``. MemberCount is always the total. Naming several groups is 3.1.
- ``create DeviceGroup``: one or more groups. ``change``: replaces each named group's
  definition. ``delete``: removes each named group (only GroupID is read).
- Refusals (Result FAILED, nothing written; every problem of the request is listed):
  an invalid definition 1.8 with its xpath (an unknown selector attribute names the valid
  ones), a GroupID given twice 1.8, an existing id on create 2.102, an unknown id on
  get / change / delete 2.101, DG_ALL_METERS (in any case) on create / change / delete 6.1.
  Should another node write the same id between the check and the write, that group alone
  fails (2.102 / 2.101) and the reply is PARTIAL.
- A PREFIX or SELECTOR definition ignores DeviceReference children: the real client echoes
  the members it read back when it changes a prefix group.

:func:`members` is what the access layer calls to turn a GroupReference into DeviceIDs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from cas.access.paging import mark_page, page_options
from cas.messages import (
    ErrorCode,
    ErrorDetail,
    MessageError,
    ParsedRequest,
    ResultType,
    build_response,
)
from cas.registry import Registry
from cas.registry.groups import (
    ALL_METERS,
    DeviceGroup,
    GroupKind,
    InvalidGroup,
    define_group,
    is_built_in,
    member_count,
    resolve,
)
from cas.store.groups import GroupExists, GroupMissing, GroupStore, PutMode, group_store
from generated import device_access as dev
from generated import message as mes

PAYLOAD_XPATH = "/mes:RequestMessage/mes:Payload/mes:DeviceGroup"
REQUEST_ID_XPATH = "/mes:RequestMessage/mes:Request/mes:ID"

Handler = Callable[[ParsedRequest], Awaitable[mes.ResponseMessage]]


async def lookup_group(store: object, group_id: str) -> DeviceGroup | None:
    """The group named ``group_id`` (DG_ALL_METERS in any case is the built-in one)."""
    if is_built_in(group_id):
        return ALL_METERS
    return await group_store(store).get_group(group_id)


async def members(store: object, registry: Registry, group_id: str) -> list[str] | None:
    """The DeviceIDs the group names now; None when there is no such group (2.101).

    Call it at the start of each iteration (scheduled access) or each on-demand request: a
    group changed while an access on it runs affects the next iteration, not the running
    one. EXPLICIT members come as listed (unknown ones included: each is reported 2.4 on
    its own); the other kinds as system titles, sorted."""
    group = await lookup_group(store, group_id)
    return None if group is None else resolve(group, registry)


class DeviceGroups:
    """The DeviceGroup operations over a store (shared by all nodes) and the registry."""

    def __init__(self, store: object, registry: Registry) -> None:
        self.store = store
        self.groups: GroupStore = group_store(store)
        self.registry = registry

    def handlers(self) -> dict[tuple[str, str], Handler]:
        return {
            ("get", "DeviceGroup"): self.get,
            ("create", "DeviceGroup"): self.create,
            ("change", "DeviceGroup"): self.change,
            ("delete", "DeviceGroup"): self.delete,
        }

    # --- get --------------------------------------------------------------------------------

    async def get(self, request: ParsedRequest) -> mes.ResponseMessage:
        named = _named_ids(request)
        if not named:
            return build_response(request.header, payload=await self._listing())
        if len(named) > 1:
            raise _failed(
                request,
                [
                    ErrorDetail(
                        ErrorCode.TOO_MANY_ITEMS,
                        f"get DeviceGroup returns one group's members at a time; {len(named)}"
                        " were named (without a GroupID it lists every group)",
                        named[1][1],
                    )
                ],
            )
        group_id, xpath = named[0]
        group = await lookup_group(self.store, group_id)
        if group is None:
            raise _failed(request, [_unknown(group_id, xpath)])
        page, after = page_options(request)
        resolved = resolve(group, self.registry)
        chunk = resolved[after : after + page]
        response = build_response(
            request.header,
            ids=[group.id],
            payload=dev.DeviceGroupListType(
                device_group=[group_element(group, len(resolved), chunk)]
            ),
        )
        if after + len(chunk) < len(resolved):
            mark_page(response, after + len(chunk), "members")
        return response

    async def _listing(self) -> dev.DeviceGroupListType:
        groups = [ALL_METERS, *await self.groups.list_groups()]
        meters = list(self.registry)
        return dev.DeviceGroupListType(
            device_group=[group_element(g, member_count(g, meters)) for g in groups]
        )

    # --- create / change / delete -----------------------------------------------------------

    async def create(self, request: ParsedRequest) -> mes.ResponseMessage:
        definitions = _definitions(request, "created")
        taken = [
            ErrorDetail(
                ErrorCode.DEVICE_GROUP_EXISTS,
                f"device group {group.id!r} already exists (change DeviceGroup replaces it)",
                f"{xpath}/@GroupID",
            )
            for group, xpath in definitions
            if await self.groups.get_group(group.id) is not None
        ]
        if taken:
            raise _failed(request, taken)
        return await self._write(request, definitions, PutMode.CREATE)

    async def change(self, request: ParsedRequest) -> mes.ResponseMessage:
        definitions = _definitions(request, "changed")
        await self._require_existing(request, [(g.id, xpath) for g, xpath in definitions])
        return await self._write(request, definitions, PutMode.REPLACE)

    async def delete(self, request: ParsedRequest) -> mes.ResponseMessage:
        named = _payload_ids(request, "deleted")
        await self._require_existing(request, named)
        deleted, errors = [], []
        for group_id, xpath in named:
            if await self.groups.delete_group(group_id):
                deleted.append(group_id)
            else:  # deleted by another node since the check
                errors.append(_unknown(group_id, f"{xpath}/@GroupID"))
        return _written(request, deleted, errors)

    async def _require_existing(
        self, request: ParsedRequest, named: Sequence[tuple[str, str]]
    ) -> None:
        missing = [
            _unknown(group_id, f"{xpath}/@GroupID")
            for group_id, xpath in named
            if await self.groups.get_group(group_id) is None
        ]
        if missing:
            raise _failed(request, missing)

    async def _write(
        self,
        request: ParsedRequest,
        definitions: Sequence[tuple[DeviceGroup, str]],
        mode: PutMode,
    ) -> mes.ResponseMessage:
        written, errors = [], []
        for group, xpath in definitions:
            try:
                await self.groups.put_group(group, mode)
            except GroupExists:
                errors.append(
                    ErrorDetail(
                        ErrorCode.DEVICE_GROUP_EXISTS,
                        f"device group {group.id!r} already exists",
                        f"{xpath}/@GroupID",
                    )
                )
            except GroupMissing:
                errors.append(_unknown(group.id, f"{xpath}/@GroupID"))
            else:
                written.append(group.id)
        return _written(request, written, errors)


def group_element(
    group: DeviceGroup, count: int, members: Sequence[str] = ()
) -> dev.DeviceGroupType:
    """A group as the reply carries it: its definition, MemberCount and ``members``."""
    selector = None
    if group.selector:
        selector = dev.SelectorType(
            match=[dev.MatchType(attribute=a, value=v) for a, v in group.selector]
        )
    return dev.DeviceGroupType(
        group_id=group.id,
        type_value=dev.GroupKindType(str(group.kind)),
        prefix=group.prefix,
        built_in=group.built_in,
        member_count=count,
        description=group.description,
        device_reference=[dev.DeviceReferenceType(device_id=m) for m in members],
        selector=selector,
    )


# --- reading the request ------------------------------------------------------------------


def _items(request: ParsedRequest) -> list[dev.DeviceGroupType]:
    payload = request.payload
    return list(payload.device_group) if isinstance(payload, dev.DeviceGroupListType) else []


def _item_xpath(index: int, count: int) -> str:
    position = f"[{index + 1}]" if count > 1 else ""
    return f"{PAYLOAD_XPATH}/dev:DeviceGroup{position}"


def _named_ids(request: ParsedRequest) -> list[tuple[str, str]]:
    """(GroupID, xpath) named by Request/ID and the payload, each id once."""
    named: dict[str, str] = {}
    ids = request.request.ids
    for index, group_id in enumerate(ids):
        position = f"[{index + 1}]" if len(ids) > 1 else ""
        named.setdefault(group_id, REQUEST_ID_XPATH + position)
    items = _items(request)
    for index, item in enumerate(items):
        named.setdefault(item.group_id, f"{_item_xpath(index, len(items))}/@GroupID")
    return list(named.items())


def _payload_ids(request: ParsedRequest, done: str) -> list[tuple[str, str]]:
    """(GroupID, item xpath) of each payload group; refuses built-in and repeated ids."""
    items = _items(request)
    if not items:
        raise _failed(
            request,
            [
                ErrorDetail(
                    ErrorCode.PAYLOAD_ELEMENTS_MISSING,
                    "the request needs DeviceGroup/DeviceGroup with a GroupID",
                    PAYLOAD_XPATH,
                )
            ],
        )
    problems: list[ErrorDetail] = []
    named: list[tuple[str, str]] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        xpath = _item_xpath(index, len(items))
        if is_built_in(item.group_id):
            problems.append(
                ErrorDetail(
                    ErrorCode.CANCELED_BY_BUSINESS_RULE,
                    f"{ALL_METERS.id} is built in: it cannot be {done}",
                    f"{xpath}/@GroupID",
                )
            )
        elif item.group_id in seen:
            problems.append(
                ErrorDetail(
                    ErrorCode.SCHEMA_VALIDATION_FAILED,
                    f"GroupID {item.group_id!r} is given more than once",
                    f"{xpath}/@GroupID",
                )
            )
        seen.add(item.group_id)
        named.append((item.group_id, xpath))
    if problems:
        raise _failed(request, problems)
    return named


def _definitions(request: ParsedRequest, done: str) -> list[tuple[DeviceGroup, str]]:
    """The validated definitions of the payload, with the xpath of each; every problem of
    the request is refused at once."""
    named = _payload_ids(request, done)
    problems: list[ErrorDetail] = []
    definitions: list[tuple[DeviceGroup, str]] = []
    for item, (_group_id, xpath) in zip(_items(request), named, strict=True):
        try:
            definitions.append((definition(item), xpath))
        except InvalidGroup as invalid:
            problems.append(
                ErrorDetail(
                    ErrorCode.SCHEMA_VALIDATION_FAILED,
                    f"device group {item.group_id!r}: {invalid.reason}",
                    f"{xpath}{_where(item, invalid)}",
                )
            )
    if problems:
        raise _failed(request, problems)
    return definitions


def definition(item: dev.DeviceGroupType) -> DeviceGroup:
    """A payload DeviceGroup as a validated definition (raises InvalidGroup)."""
    kind = item.type_value.value if item.type_value is not None else None
    selector = [(m.attribute, m.value) for m in item.selector.match] if item.selector else None
    by_registry = kind in (GroupKind.PREFIX, GroupKind.SELECTOR) or (
        kind is None and (item.prefix is not None or selector is not None)
    )
    return define_group(
        item.group_id,
        kind=kind,
        description=item.description,
        members=[] if by_registry else [r.device_id for r in item.device_reference],
        prefix=item.prefix,
        selector=selector,
    )


def _where(item: dev.DeviceGroupType, invalid: InvalidGroup) -> str:
    """The xpath, below the DeviceGroup element, of what InvalidGroup is about."""
    part, key = invalid.part, invalid.key
    if part == "id":
        return "/@GroupID"
    if part == "type":
        return "/@Type"
    if part == "prefix":
        return "/@Prefix"
    if part == "description":
        return "/dev:Description"
    if part == "members":
        if isinstance(key, int):
            position = f"[{key + 1}]" if len(item.device_reference) > 1 else ""
            return f"/dev:DeviceReference{position}/@DeviceID"
        return "/dev:DeviceReference"
    if part in ("selector", "selector-value"):
        matches = item.selector.match if item.selector else []
        indexes = [i for i, m in enumerate(matches) if m.attribute == key]
        if key is None or not indexes:
            return "/dev:Selector"
        # the last one: an attribute given twice is wrong at its second Match
        index = indexes[-1] if part == "selector" else indexes[0]
        position = f"[{index + 1}]" if len(matches) > 1 else ""
        field = "@Attribute" if part == "selector" else "@Value"
        return f"/dev:Selector/dev:Match{position}/{field}"
    return ""


# --- replies --------------------------------------------------------------------------------


def _unknown(group_id: str, xpath: str) -> ErrorDetail:
    return ErrorDetail(ErrorCode.INVALID_DEVICE_GROUP, f"no device group {group_id!r}", xpath)


def _failed(request: ParsedRequest, problems: Sequence[ErrorDetail]) -> MessageError:
    first, *more = problems
    return MessageError(
        first.code,
        first.reason,
        xpath=first.xpath,
        soap_version=request.soap_version,
        header=request.header,
        more=more,
    )


def _written(
    request: ParsedRequest, ids: list[str], errors: list[ErrorDetail]
) -> mes.ResponseMessage:
    if errors and not ids:
        raise _failed(request, errors)
    return build_response(
        request.header,
        result=ResultType.PARTIAL if errors else ResultType.OK,
        errors=errors,
        ids=ids,
    )


__all__ = ["DeviceGroups", "definition", "group_element", "lookup_group", "members"]
