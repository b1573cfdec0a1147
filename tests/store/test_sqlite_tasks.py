"""Claiming and completing tasks in detail: claim order, leases and tokens, the counts of an
iteration (contract, both stores), and what SqliteStore does to make them cheap (one token per
claim, counts written without reading the fields back, one savepoint per operation only when
one of a group fails)."""

from __future__ import annotations

import asyncio
import json
import sqlite3

from cas.store import IterationStatus
from cas.store.records import iteration_to_dict
from cas.store.sqlite import SqliteStore
from tests.store.test_contract import T0, iteration, resource, result, seconds, task

# --- contract (both stores) -------------------------------------------------------------------


async def test_claims_come_by_priority_then_due_then_key_across_iterations(store):
    await store.create_resource(resource(), None)
    for number in (0, 1, 2):
        devices = ("D3", "D1", "D2")
        await store.start_iteration(
            iteration(number=number, tasks=3),
            [task(number=number, device=d, priority=(5, 9, 5)[number]) for d in devices],
        )
    now = T0 + seconds(300)
    claimed = []
    for size in (2, 1, 4, 10):  # across claims too
        claimed += [t.key for t in await store.claim_tasks("w", now, size, 3600)]
    assert claimed == [
        "R-1/1/D1",  # priority 9
        "R-1/1/D2",
        "R-1/1/D3",
        "R-1/0/D1",  # priority 5, iteration 0 is due first
        "R-1/0/D2",
        "R-1/0/D3",
        "R-1/2/D1",
        "R-1/2/D2",
        "R-1/2/D3",
    ]


async def test_expired_claims_are_recovered_in_order_among_queued_ones(store):
    await store.create_resource(resource(), None)
    await store.start_iteration(
        iteration(tasks=4),
        [task(device=d, priority=p) for d, p in (("A", 1), ("B", 8), ("C", 5), ("D", 3))],
    )
    first = await store.claim_tasks("dead", T0, 2, lease=30)  # B and C, then the worker dies
    assert [(t.device_id, t.recovered) for t in first] == [("B", False), ("C", False)]
    (fresh,) = await store.claim_tasks("w", T0 + seconds(10), 1, 30)
    assert (fresh.device_id, fresh.recovered) == ("D", False)
    again = await store.claim_tasks("w2", T0 + seconds(31), 10, 30)
    assert [(t.device_id, t.recovered) for t in again] == [("B", True), ("C", True), ("A", False)]
    assert {t.lease_token for t in again}.isdisjoint({t.lease_token for t in first})


async def test_a_lost_claim_can_neither_complete_nor_extend_nor_retry(store):
    await store.create_resource(resource(), None)
    await store.start_iteration(iteration(tasks=2), [task(device="D1"), task(device="D2")])
    lost, _ = await store.claim_tasks("w1", T0, 2, lease=30)
    taken = next(
        t for t in await store.claim_tasks("w2", T0 + seconds(31), 2, 30) if t.key == lost.key
    )
    assert taken.lease_token != lost.lease_token
    assert not await store.extend_lease(lost, "w1", T0 + seconds(120))
    await store.retry_task(lost, T0 + seconds(500))  # ignored: the claim is w2's now
    assert await store.complete_task(lost, "w1", [result(device=lost.device_id)]) is None
    assert await store.complete_task(lost, "w2", [result(device=lost.device_id)]) is None
    counted = await store.complete_task(taken, "w2", [result(device=taken.device_id)])
    assert (counted.tasks_done, counted.results_ok, counted.attempt if False else 0) == (1, 1, 0)
    assert [r.device_id for r in await store.results("R-1")] == [taken.device_id]


async def test_completions_count_whole_iterations(store):
    await store.create_resource(resource(), None)
    started = iteration(tasks=5)
    await store.start_iteration(started, [task(device=f"D{i}") for i in range(5)])
    claimed = await store.claim_tasks("w", T0, 5, 30)
    outcomes = [
        (True, True),
        (False,),
        (),
        (True, False, False),
        (True,),
    ]
    counted = await asyncio.gather(
        *(
            store.complete_task(
                claimed_task,
                "w",
                [result(device=claimed_task.device_id, index=i, ok=ok) for i, ok in enumerate(oks)],
            )
            for claimed_task, oks in zip(claimed, outcomes, strict=True)
        )
    )
    assert sorted(c.tasks_done for c in counted) == [1, 2, 3, 4, 5]
    last = max(counted, key=lambda c: c.tasks_done)
    assert last == iteration(tasks=5, tasks_done=5, results_ok=4, results_failed=3)
    assert last.complete
    assert await store.get_iteration("R-1", 0) == last


async def test_a_task_completed_after_its_iteration_closed_is_counted_in_the_closed_one(store):
    await store.create_resource(resource(), None)
    await store.start_iteration(iteration(tasks=2), [task(device="D1"), task(device="D2")])
    d1, d2 = await store.claim_tasks("w", T0, 2, 30)
    assert not (await store.complete_task(d1, "w", [result(device=d1.device_id)])).complete
    assert await store.finish_iteration("R-1", 0, IterationStatus.NOT_COMPLETED, T0 + seconds(9))
    counted = await store.complete_task(d2, "w", [result(device=d2.device_id, ok=False)])
    assert counted == iteration(
        tasks=2,
        tasks_done=2,
        results_ok=1,
        results_failed=1,
        status=IterationStatus.NOT_COMPLETED,
        finished=T0 + seconds(9),
    )
    assert await store.get_iteration("R-1", 0) == counted


async def test_a_recreated_iteration_is_counted_afresh(store):
    await store.create_resource(resource(), None)
    await store.start_iteration(iteration(tasks=3), [task(device="D1"), task(device="D2")])
    (one, _) = await store.claim_tasks("w", T0, 2, 30)
    await store.complete_task(one, "w", [result(device=one.device_id)])
    assert await store.delete_resource("R-1")
    await store.create_resource(resource(), None)
    await store.start_iteration(iteration(tasks=1), [task(device="D1")])
    (again,) = await store.claim_tasks("w", T0, 2, 30)
    counted = await store.complete_task(again, "w", [result(device="D1")])
    assert counted == iteration(tasks=1, tasks_done=1, results_ok=1)


async def test_cancel_and_delete_reach_only_the_resources_tasks(store):
    for rid in ("R-1", "R-10", "R-1/x"):  # ids that start alike (task keys are rid/number/dev)
        await store.create_resource(resource(rid), None)
        await store.start_iteration(
            iteration(rid, tasks=2), [task(rid, device="D1"), task(rid, device="D2")]
        )
    (claimed,) = await store.claim_tasks("w", T0, 1, 30)
    assert await store.cancel_tasks(claimed.resource_id) == 1
    assert await store.delete_resource("R-1/x") or claimed.resource_id == "R-1/x"
    left = await store.claim_tasks("w", T0, 10, 30)
    expected = {"R-1", "R-10", "R-1/x"} - {claimed.resource_id, "R-1/x"}
    assert {t.resource_id for t in left} == expected
    assert len(left) == 2 * len(expected)


# --- SqliteStore ------------------------------------------------------------------------------


def _read(path, query: str, *args) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute(query, args).fetchall()


async def test_one_claim_shares_a_token_and_a_later_claim_draws_another(tmp_path):
    store = await SqliteStore.open(tmp_path / "cas.db")
    try:
        await store.start_iteration(
            iteration(tasks=3), [task(device=d) for d in ("D1", "D2", "D3")]
        )
        first = await store.claim_tasks("w", T0, 2, 30)
        assert len({t.lease_token for t in first}) == 1
        (third,) = await store.claim_tasks("w", T0, 2, 30)
        assert third.lease_token != first[0].lease_token
        await store.retry_task(first[0], T0 + seconds(5))  # key and token: only that task
        (retried,) = await store.claim_tasks("w", T0 + seconds(6), 5, 30)
        assert retried.key == first[0].key and retried.attempt == 1
        assert await store.complete_task(first[1], "w", [result(device=first[1].device_id)])
        assert await store.complete_task(first[0], "w", []) is None  # retried: not its claim
    finally:
        await store.close()


async def test_counts_are_stored_as_the_fields_were_before(tmp_path):
    """The counted fields are the ``json.dumps`` of the iteration's fields, as every other
    write of an iteration stores them (and as the store always did)."""
    path = tmp_path / "cas.db"
    store = await SqliteStore.open(path)
    try:
        await store.start_iteration(iteration(tasks=3), [task(device=f"D{i}") for i in range(3)])
        claimed = await store.claim_tasks("w", T0, 3, 30)
        for index, one in enumerate(claimed):
            counted = await store.complete_task(one, "w", [result(device=one.device_id)] * index)
            ((fields,),) = _read(path, "SELECT fields FROM iterations")
            assert fields == json.dumps(iteration_to_dict(counted))
        assert counted == iteration(tasks=3, tasks_done=3, results_ok=3)
    finally:
        await store.close()


async def test_counts_stay_right_when_a_write_of_their_group_fails(tmp_path):
    """A failing write makes the group run again, each write in a savepoint: the completions
    already run once (and rolled back) are counted once."""
    path = tmp_path / "cas.db"
    store = await SqliteStore.open(path)

    def fail(db: sqlite3.Connection) -> None:
        db.execute("DELETE FROM iterations")
        raise RuntimeError("refused")

    try:
        await store.start_iteration(iteration(tasks=4), [task(device=f"D{i}") for i in range(4)])
        claimed = await store.claim_tasks("w", T0, 4, 30)
        first = await store.complete_task(claimed[0], "w", [result(device="D0")])
        assert first.tasks_done == 1
        outcomes = await asyncio.gather(
            store.complete_task(claimed[1], "w", [result(device="D1")]),
            store._transaction(fail),
            store.complete_task(claimed[2], "w", [result(device="D2", ok=False)]),
            store.complete_task(claimed[2], "w", [result(device="D2")]),  # twice: ignored
            return_exceptions=True,
        )
        assert [o.tasks_done if hasattr(o, "tasks_done") else o for o in outcomes[::2]] == [2, 3]
        assert isinstance(outcomes[1], RuntimeError) and outcomes[3] is None
        expected = iteration(tasks=4, tasks_done=3, results_ok=2, results_failed=1)
        assert await store.get_iteration("R-1", 0) == expected
        assert len(await store.results("R-1")) == 3
        last = await store.complete_task(claimed[3], "w", [result(device="D3")])
        assert last == iteration(tasks=4, tasks_done=4, results_ok=3, results_failed=1)
    finally:
        await store.close()


async def test_a_group_whose_writes_all_fail_writes_nothing(tmp_path):
    path = tmp_path / "cas.db"
    store = await SqliteStore.open(path)

    def fail(db: sqlite3.Connection, n: int) -> None:
        db.execute(
            "INSERT INTO invocation_counters (system_title, next_own) VALUES (?, 1)", (f"X{n}",)
        )
        raise ValueError(n)

    try:
        outcomes = await asyncio.gather(
            *(store._transaction(fail, n) for n in range(5)), return_exceptions=True
        )
        assert [o.args for o in outcomes] == [(n,) for n in range(5)]
        assert _read(path, "SELECT * FROM invocation_counters") == []
        await store.record_received("OK", 1)
        assert _read(path, "SELECT system_title FROM invocation_counters") == [("OK",)]
    finally:
        await store.close()


async def test_claims_use_the_queue_indexes(tmp_path):
    """Tasks being worked on are not in the queue's index: a claim does not step over them,
    nor over any table row before it has found its tasks."""
    store = await SqliteStore.open(tmp_path / "cas.db")
    try:
        from cas.store.sqlite import _CLAIM_TASKS

        plan = store._db.execute(f"EXPLAIN QUERY PLAN {_CLAIM_TASKS}", (0, 0, 0, 1)).fetchall()
        details = [row[-1] for row in plan]
        assert "SCAN tasks USING INDEX tasks_queued" in details
        assert "SEARCH tasks USING INDEX tasks_leased (lease_until<?)" in details
        # Only the expired leases (few) may be sorted: no temporary B-tree under the queue's
        # side of the merge, nor over the whole merge.
        parent_detail = {node: detail for node, _, _, detail in plan}
        sorted_under = [parent_detail.get(parent) for _, parent, _, d in plan if "TEMP B-TREE" in d]
        assert all(parent == "RIGHT" for parent in sorted_under), plan
    finally:
        await store.close()
