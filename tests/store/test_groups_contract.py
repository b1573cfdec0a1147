"""The GroupStore contract, on SQLite and on Redis (the ``open_store`` fixture runs each)."""

from __future__ import annotations

import asyncio

import pytest

from cas.registry.groups import ALL_METERS, define_group
from cas.store.groups import (
    GroupExists,
    GroupMissing,
    GroupStore,
    PutMode,
    group_store,
    put_groups,
)

PILOT = define_group("PILOT", description="pilot meters", members=["53494D0000000001", "SIM-2"])
SIM = define_group("SIM", prefix="53494D")
NORTH = define_group("NORTH", selector={"network_segment": "north", "port": "4059"})


async def test_a_store_gives_a_group_store(store):
    groups = group_store(store)
    assert isinstance(groups, GroupStore)
    assert group_store(store) is groups  # one per store
    assert await groups.list_groups() == []


async def test_every_kind_round_trips_and_survives_a_restart(open_store):
    first = group_store(await open_store())
    for group in (PILOT, SIM, NORTH):
        await first.put_group(group)
    again = group_store(await open_store())
    assert await again.get_group("PILOT") == PILOT
    assert await again.get_group("SIM") == SIM
    assert await again.get_group("NORTH") == NORTH
    assert [g.id for g in await again.list_groups()] == ["NORTH", "PILOT", "SIM"]


async def test_create_refuses_an_existing_id_and_keeps_the_first(store):
    groups = group_store(store)
    await groups.put_group(PILOT)
    with pytest.raises(GroupExists) as raised:
        await groups.put_group(define_group("PILOT", prefix="AB"), PutMode.CREATE)
    assert raised.value.group_id == "PILOT"
    assert await groups.get_group("PILOT") == PILOT


async def test_replace_needs_an_existing_group(store):
    groups = group_store(store)
    with pytest.raises(GroupMissing):
        await groups.put_group(SIM, PutMode.REPLACE)
    assert await groups.get_group("SIM") is None
    await groups.put_group(SIM)
    changed = define_group("SIM", selector={"meter_type": "E1"}, description="now a selector")
    await groups.put_group(changed, PutMode.REPLACE)
    assert await groups.get_group("SIM") == changed


async def test_upsert_creates_or_replaces(store):
    groups = group_store(store)
    await groups.put_group(SIM, PutMode.UPSERT)
    replaced = define_group("SIM", prefix="4C47")
    await groups.put_group(replaced, PutMode.UPSERT)
    assert await groups.list_groups() == [replaced]
    assert await put_groups(groups, [PILOT, NORTH]) == 2
    assert len(await groups.list_groups()) == 3


async def test_delete_says_whether_there_was_a_group(store):
    groups = group_store(store)
    await groups.put_group(PILOT)
    assert await groups.delete_group("PILOT") is True
    assert await groups.delete_group("PILOT") is False
    assert await groups.get_group("PILOT") is None
    assert await groups.delete_group("NEVER") is False


async def test_the_built_in_group_is_never_stored(store):
    groups = group_store(store)
    with pytest.raises(ValueError, match="built in"):
        await groups.put_group(ALL_METERS, PutMode.UPSERT)
    assert await groups.get_group("DG_ALL_METERS") is None


async def test_ids_are_exact_text(store):
    groups = group_store(store)
    odd = define_group("Zähler / Nord: 1", members=["a"])
    lower = define_group("pilot", members=["b"])
    await groups.put_group(odd)
    await groups.put_group(lower)
    await groups.put_group(PILOT)
    assert await groups.get_group("Zähler / Nord: 1") == odd
    assert await groups.get_group("pilot") == lower
    # by code point on both backends
    assert [g.id for g in await groups.list_groups()] == ["PILOT", "Zähler / Nord: 1", "pilot"]


async def test_concurrent_creates_of_one_id_give_one_winner(store):
    groups = group_store(store)
    candidates = [define_group("RACE", members=[f"M{i}"]) for i in range(8)]
    outcomes = await asyncio.gather(
        *(groups.put_group(group) for group in candidates), return_exceptions=True
    )
    winners = [c for c, outcome in zip(candidates, outcomes, strict=True) if outcome is None]
    assert len(winners) == 1
    assert all(isinstance(o, GroupExists) for o in outcomes if o is not None)
    assert await groups.get_group("RACE") == winners[0]


async def test_a_large_explicit_group(store):
    groups = group_store(store)
    big = define_group("BIG", members=[f"{i:016X}" for i in range(10_000)])
    await groups.put_group(big)
    assert (await groups.get_group("BIG")).members == big.members
