"""Device group files: ``device_groups/*.yaml``, read at start and put into the store.

Each file is a mapping with one key, ``groups``, holding a list of entries; an entry has an
``id`` and at most one of ``members``, ``prefix``, ``selector`` (none: an empty EXPLICIT
group)::

    groups:
      - id: PILOT                      # GroupID: 1..256 characters
        description: three pilot meters  # optional
        members: [53494D0000000001, SIM-0002-1]   # system titles or device ids -> EXPLICIT
      - id: SIMULATED
        prefix: 53494D                 # title (any case) or device id starts with it -> PREFIX
      - id: NORTH_E1
        selector:                      # every pair must match -> SELECTOR
          network_segment: north
          meter_type: E1
        type: SELECTOR                 # optional: EXPLICIT | PREFIX | SELECTOR (checked)

Selector attributes are the registry's meter fields except the secrets (see
``cas.registry.groups.SELECTOR_ATTRIBUTES``). ``DG_ALL_METERS`` is built in and cannot appear.
A group id appears once across all files. Files are read in name order (``.yaml``, ``.yml``).
Any fault stops the start with a :class:`GroupFileError` naming the file and the entry.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from cas.registry.groups import DeviceGroup, InvalidGroup, define_group

DEFAULT_DIRECTORY = "device_groups"
_KEYS = ("id", "description", "type", "members", "prefix", "selector")
_PARTS = {  # InvalidGroup.part -> the key of the entry it is about
    "id": "id",
    "type": "type",
    "description": "description",
    "members": "members",
    "prefix": "prefix",
    "selector": "selector",
    "selector-value": "selector",
}


class GroupFileError(Exception):
    """A group file cannot be used; the message names the file and the entry."""


def default_directory(cwd: str | os.PathLike[str] = ".") -> Path | None:
    """``./device_groups`` when it exists, else None."""
    path = Path(cwd) / DEFAULT_DIRECTORY
    return path if path.is_dir() else None


def startup_groups(
    directory: str | os.PathLike[str] | None, cwd: str | os.PathLike[str] = "."
) -> tuple[Path | None, list[DeviceGroup]]:
    """(directory read, its groups): ``directory``, else ./device_groups when it exists."""
    folder = Path(directory) if directory is not None else default_directory(cwd)
    if folder is None:
        return None, []
    return folder, load_group_directory(folder)


def group_files(directory: str | os.PathLike[str]) -> list[Path]:
    folder = Path(directory)
    if not folder.is_dir():
        raise GroupFileError(f"{folder}: not a directory of group files")
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def load_group_directory(directory: str | os.PathLike[str]) -> list[DeviceGroup]:
    """Every group of every file in ``directory``; a group id defined twice is an error."""
    groups: list[DeviceGroup] = []
    origin: dict[str, str] = {}
    for path in group_files(directory):
        for where, group in load_group_file(path):
            if group.id in origin:
                raise GroupFileError(
                    f"{where}: group {group.id!r} is already defined in {origin[group.id]}"
                )
            origin[group.id] = where
            groups.append(group)
    return groups


def load_group_file(path: str | os.PathLike[str]) -> list[tuple[str, DeviceGroup]]:
    """(where, group) for each entry of one file; ``where`` is "file: groups[i] (id X)"."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise GroupFileError(f"{path}: cannot be read: {error}") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise GroupFileError(f"{path}: not valid YAML{at}: {problem}") from None
    if not isinstance(document, Mapping) or set(document) != {"groups"}:
        raise GroupFileError(f"{path}: expected a mapping with one key, 'groups' (a list)")
    entries = document["groups"]
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise GroupFileError(f"{path}: 'groups' must be a list of group entries")
    seen: dict[str, int] = {}
    loaded = []
    for index, entry in enumerate(entries):
        where = f"{path}: groups[{index}]"
        if isinstance(entry, Mapping) and isinstance(entry.get("id"), str):
            where = f"{where} (id {entry['id']})"
        group = _group(entry, where)
        if group.id in seen:
            raise GroupFileError(f"{where}: id already used by groups[{seen[group.id]}]")
        seen[group.id] = index
        loaded.append((where, group))
    return loaded


def _group(entry: Any, where: str) -> DeviceGroup:
    if not isinstance(entry, Mapping):
        raise GroupFileError(f"{where}: an entry is a mapping with an 'id', got {entry!r}")
    unknown = [str(key) for key in entry if key not in _KEYS]
    if unknown:
        raise GroupFileError(
            f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(_KEYS)}"
        )
    if "id" not in entry:
        raise GroupFileError(f"{where}: the entry has no 'id'")
    members = entry.get("members") or []
    if not isinstance(members, list):
        raise GroupFileError(f"{where}: members: a list of system titles or device ids")
    for index, member in enumerate(members):
        _text(member, f"{where}: members[{index}]")
    selector = entry.get("selector")
    if selector is not None and not isinstance(selector, Mapping):
        raise GroupFileError(f"{where}: selector: a mapping of attribute: value")
    prefix = entry.get("prefix")
    if prefix is not None:
        _text(prefix, f"{where}: prefix")
    try:
        return define_group(
            entry["id"],
            kind=entry.get("type"),
            description=entry.get("description"),
            members=members,
            prefix=prefix,
            selector=selector,
        )
    except InvalidGroup as invalid:
        key = _PARTS.get(invalid.part, invalid.part)
        if invalid.part == "members" and isinstance(invalid.key, int) and members:
            key = f"members[{invalid.key}]"
        elif invalid.part in ("selector", "selector-value") and invalid.key is not None:
            key = f"selector.{invalid.key}"
        raise GroupFileError(f"{where}: {key}: {invalid.reason}") from None


def _text(value: Any, where: str) -> None:
    """A device reference or prefix must be YAML text: digits alone read as a number, and a
    number loses leading zeros (or is read as octal), so it is refused rather than guessed."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise GroupFileError(f"{where}: {value!r} was read as a number: write it in quotes")


__all__ = [
    "DEFAULT_DIRECTORY",
    "GroupFileError",
    "default_directory",
    "group_files",
    "load_group_directory",
    "load_group_file",
    "startup_groups",
]
