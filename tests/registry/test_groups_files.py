"""Group files (device_groups/*.yaml): the format, the shipped example, and every fault named
with its file and entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from cas.registry.group_files import (
    GroupFileError,
    default_directory,
    load_group_directory,
    load_group_file,
)
from cas.registry.groups import GroupKind, define_group, resolve
from cas.simulator import MeterFleet

SHIPPED = Path(__file__).resolve().parents[2] / "device_groups"

GOOD = """
groups:
  - id: PILOT
    description: three pilot meters
    members: [53494D0000000001, SIM-0002-1, "0012345678901234"]
  - id: SIMULATED
    prefix: 53494D
  - id: NORTH_E1
    type: SELECTOR
    selector:
      network_segment: north
      meter_type: E1
      port: 4059
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_kind_loads(tmp_path):
    write(tmp_path, "a.yaml", GOOD)
    groups = {g.id: g for g in load_group_directory(tmp_path)}
    assert groups["PILOT"] == define_group(
        "PILOT",
        description="three pilot meters",
        members=["53494D0000000001", "SIM-0002-1", "0012345678901234"],
    )
    assert groups["SIMULATED"].kind is GroupKind.PREFIX and groups["SIMULATED"].prefix == "53494D"
    assert groups["NORTH_E1"].selector == (
        ("meter_type", "E1"),
        ("network_segment", "north"),
        ("port", "4059"),
    )


def test_files_are_read_in_name_order_and_others_ignored(tmp_path):
    write(tmp_path, "b.yml", "groups:\n  - {id: B, prefix: '4C'}\n")
    write(tmp_path, "a.yaml", "groups:\n  - {id: A, prefix: '53'}\n")
    write(tmp_path, "notes.txt", "not a group file")
    write(tmp_path, "empty.yaml", "groups: []\n")
    assert [g.id for g in load_group_directory(tmp_path)] == ["A", "B"]


def test_default_directory(tmp_path):
    assert default_directory(tmp_path) is None
    (tmp_path / "device_groups").mkdir()
    assert default_directory(tmp_path) == tmp_path / "device_groups"


async def test_the_shipped_example_names_the_demo_meters():
    groups = {g.id: g for g in load_group_directory(SHIPPED)}
    assert groups, "device_groups/ ships at least one group"
    async with MeterFleet(count=3) as fleet:  # what cas demo starts (seed 1)
        titles = sorted(m.system_title for m in fleet.meters)
        for group in groups.values():
            assert resolve(group, fleet.meters), f"{group.id} names no demo meter"
        prefix_groups = [g for g in groups.values() if g.kind is GroupKind.PREFIX]
        assert prefix_groups and resolve(prefix_groups[0], fleet.meters) == titles


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("groups: [\n  {id: A\n", "not valid YAML (line"),
        ("", "one key, 'groups'"),
        ("meters: []\n", "one key, 'groups'"),
        ("groups: {id: A}\n", "'groups' must be a list"),
        ("groups:\n  - just-a-name\n", "groups[0]: an entry is a mapping"),
        ("groups:\n  - {description: no id}\n", "groups[0]: the entry has no 'id'"),
        ("groups:\n  - {id: A, colour: red}\n", "groups[0] (id A): unknown key(s) colour"),
        (
            "groups:\n  - {id: A, prefix: '53'}\n  - {id: B, selector: {colour: red}}\n",
            "groups[1] (id B): selector.colour: unknown selector attribute 'colour'; valid"
            " attributes: system_title, host, port, device_id",
        ),
        (
            "groups:\n  - {id: B, selector: {transport: serial}}\n",
            "groups[0] (id B): selector.transport: selector transport: 'serial' is not one of",
        ),
        ("groups:\n  - {id: B, selector: [network_segment]}\n", "selector: a mapping"),
        ("groups:\n  - {id: B, members: SIM-1}\n", "members: a list"),
        ("groups:\n  - {id: B, members: [SIM-1, 1234]}\n", "members[1]: 1234 was read as a number"),
        ("groups:\n  - {id: B, prefix: 5349}\n", "prefix: 5349 was read as a number: write it"),
        ("groups:\n  - {id: B, members: [SIM-1, '']}\n", "members[1]: a member must be non-empty"),
        ("groups:\n  - {id: B, prefix: '53', members: [X]}\n", "members: a PREFIX group has no"),
        ("groups:\n  - {id: B, type: PREFIX}\n", "prefix: a PREFIX group needs a prefix"),
        ("groups:\n  - {id: DG_ALL_METERS, prefix: '53'}\n", "id: DG_ALL_METERS is built in"),
        ("groups:\n  - {id: 12, prefix: '53'}\n", "groups[0]: id: GroupID must be non-empty"),
        ("groups:\n  - {id: A, prefix: '53'}\n  - {id: A, prefix: '4C'}\n", "already used by"),
    ],
)
def test_a_broken_file_names_the_file_and_the_entry(tmp_path, text, words):
    path = write(tmp_path, "broken.yaml", text)
    with pytest.raises(GroupFileError) as raised:
        load_group_file(path)
    message = str(raised.value)
    assert message.startswith(str(path)), message
    assert words in message, message


def test_an_id_in_two_files_names_both(tmp_path):
    first = write(tmp_path, "a.yaml", "groups:\n  - {id: A, prefix: '53'}\n")
    second = write(tmp_path, "b.yaml", "groups:\n  - {id: A, prefix: '4C'}\n")
    with pytest.raises(GroupFileError) as raised:
        load_group_directory(tmp_path)
    assert str(second) in str(raised.value) and str(first) in str(raised.value)


def test_a_missing_directory_is_an_error(tmp_path):
    with pytest.raises(GroupFileError, match="not a directory"):
        load_group_directory(tmp_path / "nowhere")
