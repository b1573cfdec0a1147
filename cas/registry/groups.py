"""Device groups: what a group is and which meters it names (pure: no store, no I/O).

Three kinds of group:

- ``EXPLICIT``: the device references listed (system titles or device ids, as the client gave
  them). Resolving gives them back in their order, unknown ones included: the access layer
  reports an unknown member as 2.4 for that member alone.
- ``PREFIX``: every meter whose system title (any case: titles are hex) or device id (exact
  case) starts with the prefix.
- ``SELECTOR``: every meter whose registry attributes equal every (attribute, value) pair.
  Attributes are the non-secret fields of :class:`~cas.registry.model.Meter`
  (:data:`SELECTOR_ATTRIBUTES`); an unknown attribute, or a value the attribute cannot take,
  is refused when the group is defined.

The built-in :data:`ALL_METERS` (``DG_ALL_METERS``: every meter of the registry) is a selector
without conditions; it cannot be created, changed or deleted.

PREFIX, SELECTOR and DG_ALL_METERS resolve to system titles, one per meter, sorted: the same
registry gives the same list on every node, so a client can page through it.
"""

from __future__ import annotations

import enum
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields

from cas.registry.model import Authentication, Meter, SecurityPolicy, Transport

ALL_METERS_ID = "DG_ALL_METERS"
MAX_ID_LENGTH = 256  # IdentifierType of the schema: GroupID, DeviceID, Prefix

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tab, newlines allowed


class GroupKind(enum.StrEnum):
    EXPLICIT = "EXPLICIT"
    PREFIX = "PREFIX"
    SELECTOR = "SELECTOR"


class InvalidGroup(ValueError):
    """A group definition that cannot be accepted.

    ``part`` says where: ``id``, ``type``, ``description``, ``members`` (``key``: the index of
    the member), ``prefix``, ``selector`` (``key``: the attribute name, or None when the
    selector as a whole is wrong) or ``selector-value`` (``key``: the attribute whose value is
    wrong). Callers turn it into an xpath (SOAP) or a file entry (group files)."""

    def __init__(self, reason: str, part: str, key: str | int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.part = part
        self.key = key


@dataclass(frozen=True, slots=True)
class DeviceGroup:
    """A group definition. Build one with :func:`define_group` (which validates it)."""

    id: str
    kind: GroupKind
    description: str | None = None
    members: tuple[str, ...] = ()  # EXPLICIT: device references as given
    prefix: str | None = None  # PREFIX
    selector: tuple[tuple[str, str], ...] = ()  # SELECTOR: (attribute, canonical value), sorted
    built_in: bool = False


ALL_METERS = DeviceGroup(
    id=ALL_METERS_ID,
    kind=GroupKind.SELECTOR,
    description="Every meter in the registry (built in)",
    built_in=True,
)


def is_built_in(group_id: str) -> bool:
    """True for DG_ALL_METERS, in any case (a look-alike id is refused, never created)."""
    return group_id.upper() == ALL_METERS_ID


# --- selector attributes ------------------------------------------------------------------

_TEXT = ("system_title", "device_id", "host", "network_segment", "meter_type")
_INTEGER = ("port", "client_address", "server_address", "physical_address", "max_pdu_size")
_NUMBER = ("inactivity_timeout", "response_timeout")
_CHOICES: dict[str, type[enum.StrEnum]] = {
    "transport": Transport,
    "authentication": Authentication,
    "security": SecurityPolicy,
}
SECRET_FIELDS = frozenset({"password", "keys"})
SELECTOR_ATTRIBUTES: tuple[str, ...] = tuple(
    f.name for f in fields(Meter) if f.name not in SECRET_FIELDS
)
"""Registry attributes a selector may match on, in the order of the Meter fields."""


def _typed(attribute: str, canonical: str) -> object:
    """The Meter field value a canonical selector text stands for (compared with ``==``)."""
    if attribute in _INTEGER:
        return int(canonical)
    if attribute in _NUMBER:
        return float(canonical)
    if attribute in _CHOICES:
        return _CHOICES[attribute](canonical)
    return canonical


def selector_value(attribute: str, value: object) -> str:
    """``value`` as the canonical text a meter's ``attribute`` is compared with.

    Raises InvalidGroup for an unknown attribute (the reason lists the valid ones) or a value
    the attribute cannot take (a number that is not one, a transport that does not exist)."""
    if attribute not in SELECTOR_ATTRIBUTES:
        raise InvalidGroup(
            f"unknown selector attribute {attribute!r}; valid attributes: "
            + ", ".join(SELECTOR_ATTRIBUTES),
            "selector",
            attribute,
        )
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidGroup(
            f"selector {attribute}: the value must be text or a number, got {value!r}",
            "selector-value",
            attribute,
        )
    text = str(value).strip()
    if not text:
        raise InvalidGroup(f"selector {attribute}: empty value", "selector-value", attribute)
    if attribute in _CHOICES:
        choices = [str(item) for item in _CHOICES[attribute]]
        if text.lower() not in choices:
            raise InvalidGroup(
                f"selector {attribute}: {text!r} is not one of {', '.join(choices)}",
                "selector-value",
                attribute,
            )
        return text.lower()
    if attribute in _INTEGER:
        if not re.fullmatch(r"[0-9]+", text):
            raise InvalidGroup(
                f"selector {attribute}: {text!r} is not a whole number",
                "selector-value",
                attribute,
            )
        return str(int(text))
    if attribute in _NUMBER:
        try:
            return repr(float(text))
        except ValueError:
            raise InvalidGroup(
                f"selector {attribute}: {text!r} is not a number", "selector-value", attribute
            ) from None
    return text.upper() if attribute == "system_title" else text


# --- definition ---------------------------------------------------------------------------


def define_group(
    group_id: str,
    *,
    kind: GroupKind | str | None = None,
    description: str | None = None,
    members: Iterable[str] = (),
    prefix: str | None = None,
    selector: Mapping[str, object] | Iterable[tuple[str, object]] | None = None,
) -> DeviceGroup:
    """A validated group. Without ``kind``: PREFIX when a prefix is given, SELECTOR when a
    selector is, EXPLICIT otherwise. Repeated members are kept once (the first). An EXPLICIT
    group may be empty. Raises InvalidGroup."""
    _check_identifier(group_id, "GroupID", "id")
    if is_built_in(group_id):
        raise InvalidGroup(f"{ALL_METERS_ID} is built in: it cannot be defined", "id")
    members = list(members)
    pairs = _selector_pairs(selector)
    kind = _kind(kind, prefix, pairs)
    if description is not None and (
        not isinstance(description, str) or _CONTROL_IN_TEXT.search(description)
    ):
        raise InvalidGroup("the description must be text without control characters", "description")
    if kind is GroupKind.EXPLICIT:
        if prefix is not None:
            raise InvalidGroup("an EXPLICIT group has no prefix", "prefix")
        if pairs is not None:
            raise InvalidGroup("an EXPLICIT group has no selector", "selector")
        return DeviceGroup(group_id, kind, description, members=_members(members))
    if members:
        raise InvalidGroup(
            f"a {kind} group has no listed members (they come from the registry)", "members"
        )
    if kind is GroupKind.PREFIX:
        if pairs is not None:
            raise InvalidGroup("a PREFIX group has no selector", "selector")
        if prefix is None:
            raise InvalidGroup("a PREFIX group needs a prefix", "prefix")
        _check_identifier(prefix, "the prefix", "prefix")
        return DeviceGroup(group_id, kind, description, prefix=prefix)
    if prefix is not None:
        raise InvalidGroup("a SELECTOR group has no prefix", "prefix")
    if not pairs:
        raise InvalidGroup(
            "a SELECTOR group needs at least one attribute to match; valid attributes: "
            + ", ".join(SELECTOR_ATTRIBUTES),
            "selector",
        )
    canonical: dict[str, str] = {}
    for attribute, value in pairs:
        if not isinstance(attribute, str):
            raise InvalidGroup(f"selector attribute {attribute!r} is not a name", "selector")
        if attribute in canonical:
            raise InvalidGroup(
                f"selector attribute {attribute!r} given twice", "selector", attribute
            )
        canonical[attribute] = selector_value(attribute, value)
    return DeviceGroup(group_id, kind, description, selector=tuple(sorted(canonical.items())))


def _kind(
    kind: GroupKind | str | None, prefix: str | None, pairs: list[tuple[str, object]] | None
) -> GroupKind:
    if kind is None:
        if prefix is not None and pairs is not None:
            raise InvalidGroup("give a prefix or a selector, not both", "type")
        if prefix is not None:
            return GroupKind.PREFIX
        return GroupKind.SELECTOR if pairs is not None else GroupKind.EXPLICIT
    try:
        return GroupKind(str(kind).upper())
    except ValueError:
        raise InvalidGroup(
            f"unknown group type {kind!r}; one of {', '.join(GroupKind)}", "type"
        ) from None


def _selector_pairs(
    selector: Mapping[str, object] | Iterable[tuple[str, object]] | None,
) -> list[tuple[str, object]] | None:
    if selector is None:
        return None
    if isinstance(selector, Mapping):
        return list(selector.items())
    if isinstance(selector, str | bytes):
        raise InvalidGroup("the selector must map attributes to values", "selector")
    return list(selector)


def _members(members: list[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for index, member in enumerate(members):
        _check_identifier(member, "a member", "members", index)
        seen.setdefault(member, None)
    return tuple(seen)


def _check_identifier(value: object, what: str, part: str, key: int | None = None) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidGroup(f"{what} must be non-empty text, got {value!r}", part, key)
    if len(value) > MAX_ID_LENGTH:
        raise InvalidGroup(f"{what} is longer than {MAX_ID_LENGTH} characters", part, key)
    if value != value.strip() or _CONTROL.search(value):
        raise InvalidGroup(
            f"{what} {value!r} has leading/trailing spaces or control characters", part, key
        )


# --- resolution ---------------------------------------------------------------------------


def resolve(group: DeviceGroup, registry: Iterable[Meter]) -> list[str]:
    """The DeviceIDs the group names now: EXPLICIT as listed; otherwise the system titles of
    the matching meters of ``registry``, sorted."""
    if group.kind is GroupKind.EXPLICIT:
        return list(group.members)
    matches = _matcher(group)
    if matches is None:
        return sorted(meter.system_title for meter in registry)
    return sorted(meter.system_title for meter in registry if matches(meter))


def member_count(group: DeviceGroup, registry: Iterable[Meter]) -> int:
    if group.kind is GroupKind.EXPLICIT:
        return len(group.members)
    matches = _matcher(group)
    if matches is None:
        return sum(1 for _meter in registry)
    return sum(1 for meter in registry if matches(meter))


def _matcher(group: DeviceGroup) -> Callable[[Meter], bool] | None:
    """A predicate on meters (None: every meter)."""
    if group.kind is GroupKind.PREFIX:
        prefix = group.prefix or ""
        upper = prefix.upper()

        def by_prefix(meter: Meter) -> bool:
            return meter.system_title.startswith(upper) or (
                meter.device_id is not None and meter.device_id.startswith(prefix)
            )

        return by_prefix
    if not group.selector:
        return None
    if any(attribute not in SELECTOR_ATTRIBUTES for attribute, _value in group.selector):
        return lambda meter: False  # stored by a version with other attributes: matches none
    names = tuple(attribute for attribute, _value in group.selector)
    expected = tuple(_typed(attribute, value) for attribute, value in group.selector)
    values = operator.attrgetter(*names)
    if len(names) == 1:
        (single,) = expected
        return lambda meter: values(meter) == single
    return lambda meter: values(meter) == expected


__all__ = [
    "ALL_METERS",
    "ALL_METERS_ID",
    "SELECTOR_ATTRIBUTES",
    "DeviceGroup",
    "GroupKind",
    "InvalidGroup",
    "define_group",
    "is_built_in",
    "member_count",
    "resolve",
    "selector_value",
]
