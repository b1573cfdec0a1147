"""The storage contract: what every Store implementation guarantees (SQLite and Redis)."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from cas.store import (
    Iteration,
    IterationStatus,
    OutboxMessage,
    Resource,
    ResourceKind,
    ResourceStatus,
    StoredResult,
    Task,
)

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def seconds(n: float) -> timedelta:
    return timedelta(seconds=n)


def resource(rid: str = "R-1", **changes) -> Resource:
    base = Resource(
        id=rid,
        kind=ResourceKind.GET,
        status=ResourceStatus.ACCEPTED,
        request=b"<mes:DeviceAccess xmlns:mes='urn:x'/>",
        created=T0,
        devices=["53494D0000000001", "SIM-2"],
        groups=["G1"],
        access_count=2,
        priority=7,
        activates=T0 + seconds(60),
        repeating_interval=900.0,
        duration=120.0,
        expires=T0 + timedelta(days=1),
        not_older_than=T0 - seconds(30),
        reply_address="http://127.0.0.1:9/cb",
        async_reply=True,
        bypass_retry=True,
        repeat_writes=False,
        message_id="m-1",
    )
    return dataclasses.replace(base, **changes)


def iteration(rid: str = "R-1", number: int = 0, tasks: int = 2, **changes) -> Iteration:
    due = T0 + seconds(60 * number)
    return dataclasses.replace(
        Iteration(rid, number, due=due, started=due, deadline=due + seconds(120), tasks=tasks),
        **changes,
    )


def task(rid: str = "R-1", number: int = 0, device: str = "D1", priority: int = 4, **kw) -> Task:
    return Task(rid, number, device, priority, due=T0 + seconds(60 * number), **kw)


def result(
    rid: str = "R-1",
    number: int = 0,
    device: str = "D1",
    index: int = 0,
    ok: bool = True,
    captured: datetime = T0,
    key: str | None = "get:3:0100010800FF:2",
) -> StoredResult:
    xml = f"<r d='{device}' i='{index}' n='{number}'/>".encode()
    return StoredResult(rid, number, device, index, captured, ok, xml, key)


# --- resources -------------------------------------------------------------------------------


async def test_resource_round_trip_keeps_every_field(store):
    original = resource()
    await store.create_resource(original, None)
    assert await store.get_resource("R-1") == original
    assert await store.get_resource("R-2") is None


async def test_resources_list_oldest_first_and_survive_a_reopen(open_store):
    store = await open_store()
    await store.create_resource(resource("R-b", created=T0 + seconds(1)), None)
    await store.create_resource(resource("R-a", created=T0), None)
    await store.close()
    again = await open_store()
    assert [r.id for r in await again.list_resources()] == ["R-a", "R-b"]


async def test_update_changes_named_fields_unless_status(store):
    await store.create_resource(resource(), None)
    updated = await store.update_resource(
        "R-1", {"status": ResourceStatus.EXECUTING, "last_activation": T0, "last_iteration": 0}
    )
    assert updated.status is ResourceStatus.EXECUTING and updated.last_iteration == 0
    assert (await store.get_resource("R-1")).last_activation == T0
    blocked = await store.update_resource(
        "R-1", {"status": ResourceStatus.ITERATION_OK}, unless_status=[ResourceStatus.EXECUTING]
    )
    assert blocked is None
    assert (await store.get_resource("R-1")).status is ResourceStatus.EXECUTING
    assert await store.update_resource("R-missing", {"priority": 1}) is None


async def test_delete_removes_everything_of_the_resource(store):
    await store.create_resource(resource(), T0)
    await store.start_iteration(iteration(), [task(device="D1"), task(device="D2")])
    await store.put_results([result()])
    assert await store.delete_resource("R-1") is True
    assert await store.delete_resource("R-1") is False
    assert await store.get_resource("R-1") is None
    assert await store.claim_due(T0 + seconds(5), 10, "w", 30) == []
    assert await store.claim_tasks("w", T0 + seconds(5), 10, 30) == []
    assert await store.results("R-1") == []
    assert await store.iterations("R-1") == []


# --- schedule ------------------------------------------------------------------------------


async def test_claim_due_hands_out_due_resources_once_per_lease(store):
    for rid, offset in (("R-late", 30), ("R-early", 10), ("R-future", 500)):
        await store.create_resource(resource(rid), T0 + seconds(offset))
    assert await store.next_due() == T0 + seconds(10)
    now = T0 + seconds(60)
    claimed = await store.claim_due(now, 10, "w1", lease=30)
    assert claimed == [("R-early", T0 + seconds(10)), ("R-late", T0 + seconds(30))]
    assert await store.claim_due(now, 10, "w2", lease=30) == []
    assert await store.next_due() == T0 + seconds(500)
    await store.reschedule("R-early", T0 + seconds(100))
    # R-late's claim expires: someone else gets it
    later = T0 + seconds(120)
    again = await store.claim_due(later, 10, "w2", lease=30)
    assert again == [("R-late", T0 + seconds(30)), ("R-early", T0 + seconds(100))]
    await store.reschedule("R-late", None)
    await store.reschedule("R-early", None)
    assert await store.claim_due(T0 + timedelta(days=2), 10, "w3", 30) == [
        ("R-future", T0 + seconds(500))
    ]


async def test_claim_due_respects_the_limit(store):
    for index in range(5):
        await store.create_resource(resource(f"R-{index}"), T0 + seconds(index))
    first = await store.claim_due(T0 + seconds(10), 3, "w", 30)
    second = await store.claim_due(T0 + seconds(10), 3, "w", 30)
    assert [rid for rid, _ in first] == ["R-0", "R-1", "R-2"]
    assert [rid for rid, _ in second] == ["R-3", "R-4"]


async def test_schedule_survives_a_reopen(open_store):
    store = await open_store()
    await store.create_resource(resource(), T0 + seconds(5))
    await store.close()
    again = await open_store()
    assert await again.claim_due(T0 + seconds(6), 10, "w", 30) == [("R-1", T0 + seconds(5))]


# --- iterations and tasks -------------------------------------------------------------------


async def test_start_iteration_is_idempotent(store):
    await store.create_resource(resource(), None)
    assert await store.start_iteration(iteration(), [task(device="D1"), task(device="D2")])
    assert not await store.start_iteration(iteration(), [task(device="D3")])
    claimed = await store.claim_tasks("w", T0 + seconds(1), 10, 30)
    assert sorted(t.device_id for t in claimed) == ["D1", "D2"]
    assert await store.get_iteration("R-1", 0) == iteration()


async def test_tasks_come_by_priority_then_due_and_wait_for_not_before(store):
    await store.create_resource(resource(), None)
    await store.start_iteration(
        iteration(number=0, tasks=2),
        [
            task(number=0, device="low-early", priority=1),
            task(number=0, device="high-early", priority=9),
        ],
    )
    await store.start_iteration(
        iteration(number=1, tasks=2),
        [
            task(number=1, device="high-late", priority=9),
            task(number=1, device="later", priority=5, not_before=T0 + seconds(600)),
        ],
    )
    now = T0 + seconds(100)
    first = await store.claim_tasks("w", now, 2, lease=3600)
    assert [t.device_id for t in first] == ["high-early", "high-late"]
    second = await store.claim_tasks("w", now, 10, lease=3600)
    assert [t.device_id for t in second] == ["low-early"]
    assert await store.claim_tasks("w", now, 10, 3600) == []
    (waited,) = await store.claim_tasks("w", T0 + seconds(601), 10, 3600)
    assert waited.device_id == "later" and waited.priority == 5


async def test_complete_task_stores_results_and_counts_once(store):
    await store.create_resource(resource(), None)
    await store.start_iteration(iteration(tasks=2), [task(device="D1"), task(device="D2")])
    d1, d2 = sorted(await store.claim_tasks("w", T0, 10, 30), key=lambda t: t.device_id)
    counted = await store.complete_task(
        d1, "w", [result(device="D1", index=0), result(device="D1", index=1, ok=False)]
    )
    assert (counted.tasks_done, counted.results_ok, counted.results_failed) == (1, 1, 1)
    assert not counted.complete
    assert await store.complete_task(d1, "w", [result(device="D1")]) is None  # twice: ignored
    counted = await store.complete_task(d2, "w", [result(device="D2")])
    assert counted.complete and counted.results_ok == 2
    stored = await store.results("R-1")
    assert [(r.device_id, r.access_index, r.ok) for r in stored] == [
        ("D1", 0, True),
        ("D1", 1, False),
        ("D2", 0, True),
    ]
    assert stored[0].sequence < stored[1].sequence < stored[2].sequence
    assert stored[0].xml == result(device="D1").xml


async def test_an_expired_claim_is_recovered_and_the_old_owner_loses_it(store):
    await store.create_resource(resource(), None)
    await store.start_iteration(iteration(tasks=1), [task(device="D1")])
    (first,) = await store.claim_tasks("dead", T0, 10, lease=30)
    assert first.recovered is False
    assert await store.claim_tasks("w2", T0 + seconds(10), 10, 30) == []
    (again,) = await store.claim_tasks("w2", T0 + seconds(31), 10, 30)
    assert again.device_id == "D1" and again.recovered is True
    assert await store.complete_task(first, "dead", [result()]) is None
    counted = await store.complete_task(again, "w2", [result()])
    assert counted.tasks_done == 1
    assert len(await store.results("R-1")) == 1


async def test_extend_lease_keeps_the_claim(store):
    await store.create_resource(resource(), None)
    await store.start_iteration(iteration(tasks=1), [task()])
    (claimed,) = await store.claim_tasks("w", T0, 10, lease=30)
    assert await store.extend_lease(claimed, "w", T0 + seconds(90))
    assert await store.claim_tasks("w2", T0 + seconds(60), 10, 30) == []
    assert not await store.extend_lease(claimed, "intruder", T0 + seconds(200))


async def test_retry_task_waits_and_counts_the_attempt(store):
    await store.create_resource(resource(), None)
    await store.start_iteration(iteration(tasks=1), [task()])
    (claimed,) = await store.claim_tasks("w", T0, 10, 30)
    await store.retry_task(claimed, T0 + seconds(20))
    assert await store.claim_tasks("w", T0 + seconds(10), 10, 30) == []
    (retried,) = await store.claim_tasks("w", T0 + seconds(21), 10, 30)
    assert retried.attempt == 1 and retried.recovered is False
    assert (await store.complete_task(retried, "w", [result()])).complete


async def test_finish_iteration_happens_once(store):
    await store.create_resource(resource(), None)
    await store.start_iteration(iteration(tasks=0), [])
    assert await store.finish_iteration("R-1", 0, IterationStatus.EMPTY, T0)
    assert not await store.finish_iteration("R-1", 0, IterationStatus.OK, T0)
    stored = await store.get_iteration("R-1", 0)
    assert stored.status is IterationStatus.EMPTY and stored.finished == T0


async def test_cancel_drops_queued_tasks_and_late_completions(store):
    await store.create_resource(resource(), None)
    await store.start_iteration(iteration(tasks=3), [task(device=d) for d in ("D1", "D2", "D3")])
    (running,) = await store.claim_tasks("w", T0, 1, 30)
    assert await store.cancel_tasks("R-1") == 2
    assert await store.claim_tasks("w", T0 + seconds(100), 10, 30) == []
    assert await store.complete_task(running, "w", [result(device=running.device_id)]) is None
    assert await store.results("R-1") == []


async def test_unfinished_iterations_are_found_for_the_sweeper(store):
    await store.create_resource(resource(), None)
    await store.start_iteration(iteration(number=0, tasks=1), [task(number=0)])
    await store.start_iteration(iteration(number=1, tasks=1), [task(number=1, device="D9")])
    claimed = await store.claim_tasks("w", T0 + seconds(60), 10, 30)
    zero = next(t for t in claimed if t.iteration == 0)
    await store.complete_task(zero, "w", [result()])
    stuck = await store.unfinished_iterations(older_than=T0 + seconds(300))
    assert [(i.resource_id, i.number) for i in stuck] == [("R-1", 0)]
    assert await store.unfinished_iterations(older_than=T0 - seconds(1)) == []


async def test_iterations_are_listed_by_number(store):
    await store.create_resource(resource(), None)
    for number in (2, 0, 1):
        await store.start_iteration(iteration(number=number, tasks=0), [])
    assert [i.number for i in await store.iterations("R-1")] == [0, 1, 2]


# --- batches (a dispatcher's claimed resources in one step) ----------------------------------


async def test_get_resources_answers_in_the_order_asked_with_none_for_missing(store):
    for rid in ("R-a", "R-b"):
        await store.create_resource(resource(rid, priority=len(rid)), None)
    got = await store.get_resources(["R-b", "R-missing", "R-a", "R-b"])
    assert got == [
        await store.get_resource("R-b"),
        None,
        await store.get_resource("R-a"),
        await store.get_resource("R-b"),
    ]
    assert got[0] == resource("R-b", priority=3)
    assert await store.get_resources([]) == []


async def test_start_iterations_is_start_iteration_for_each(store):
    for rid in ("R-1", "R-2"):
        await store.create_resource(resource(rid), None)
    await store.start_iteration(iteration("R-2", number=0, tasks=1), [task("R-2", device="D0")])
    started = await store.start_iterations(
        [
            (iteration("R-1", number=0, tasks=2), [task(device="D1"), task(device="D2")]),
            (iteration("R-2", number=0, tasks=1), [task("R-2", device="D9")]),  # exists
            (iteration("R-2", number=1, tasks=1), [task("R-2", number=1, device="D3")]),
            (iteration("R-1", number=0, tasks=1), [task(device="D8")]),  # twice in one batch
            (iteration("R-1", number=1, status=IterationStatus.MISSED), []),
        ]
    )
    assert started == [True, False, True, False, True]
    assert await store.start_iterations([]) == []
    assert [(i.number, i.status) for i in await store.iterations("R-1")] == [
        (0, IterationStatus.EXECUTING),
        (1, IterationStatus.MISSED),
    ]
    assert await store.get_iteration("R-2", 1) == iteration("R-2", number=1, tasks=1)
    claimed = await store.claim_tasks("w", T0 + seconds(120), 10, 30)
    assert sorted(t.key for t in claimed) == ["R-1/0/D1", "R-1/0/D2", "R-2/0/D0", "R-2/1/D3"]


async def test_update_resources_is_update_resource_for_each(store):
    await store.create_resource(resource("R-1"), None)
    await store.create_resource(resource("R-2", status=ResourceStatus.CANCELLED), None)
    applied = await store.update_resources(
        [
            ("R-1", {"status": ResourceStatus.EXECUTING, "last_iteration": 3}),
            ("R-2", {"status": ResourceStatus.EXECUTING}),  # blocked by its status
            ("R-missing", {"priority": 1}),
            ("R-1", {"last_activation": T0, "missed_iterations": 2}),  # sees the first change
        ],
        unless_status=[ResourceStatus.CANCELLED],
    )
    assert applied == [True, False, False, True]
    assert await store.get_resource("R-1") == resource(
        "R-1",
        status=ResourceStatus.EXECUTING,
        last_iteration=3,
        last_activation=T0,
        missed_iterations=2,
    )
    assert (await store.get_resource("R-2")).status is ResourceStatus.CANCELLED
    assert await store.get_resource("R-missing") is None
    assert await store.update_resources([]) == []


async def test_reschedule_many_ends_claims_and_sets_due_times(store):
    for index in range(3):
        await store.create_resource(resource(f"R-{index}"), T0 + seconds(index))
    claimed = await store.claim_due(T0 + seconds(10), 10, "w", 30)
    assert [rid for rid, _ in claimed] == ["R-0", "R-1", "R-2"]
    await store.reschedule_many(
        [("R-0", T0 + seconds(70)), ("R-1", None), ("R-2", T0 + seconds(65))]
    )
    await store.reschedule_many([])
    assert await store.next_due() == T0 + seconds(65)
    again = await store.claim_due(T0 + seconds(100), 10, "w2", 30)
    assert again == [("R-2", T0 + seconds(65)), ("R-0", T0 + seconds(70))]


async def test_concurrent_reads_and_writes_see_whole_operations(store):
    """Reads interleaved with writes from many coroutines: every read sees each write whole
    (a resource's fields never half-updated, an iteration counted once per completion)."""
    count = 40
    for index in range(count):
        await store.create_resource(resource(f"R-{index}", missed_iterations=7), T0)
        await store.start_iteration(iteration(f"R-{index}", tasks=1), [task(f"R-{index}")])
    claimed = await store.claim_tasks("w", T0, count, 30)
    assert len(claimed) == count

    async def write(index: int) -> None:
        await store.update_resource(
            f"R-{index}", {"priority": 100 + index, "missed_iterations": 100 + index}
        )
        await store.complete_task(claimed[index], "w", [result(claimed[index].resource_id)])

    async def read(index: int) -> tuple:
        got = await store.get_resource(f"R-{index}")
        (batch,) = await store.get_resources([f"R-{index}"])
        counted = await store.get_iteration(f"R-{index}", 0)
        return got, batch, counted

    outcomes = await asyncio.gather(
        *(write(i) for i in range(count)), *(read(i) for i in range(count) for _ in range(3))
    )
    for got, batch, counted in (o for o in outcomes if o is not None):
        for seen in (got, batch):
            assert seen.priority == seen.missed_iterations  # both changed at once, or neither
            assert seen.priority in (7, 100 + int(seen.id[2:]))
        assert counted.tasks_done in (0, 1) and counted.results_ok == counted.tasks_done
    for index in range(count):
        stored = await store.get_resource(f"R-{index}")
        assert stored.priority == stored.missed_iterations == 100 + index
        assert (await store.get_iteration(f"R-{index}", 0)).tasks_done == 1
    assert await store.next_due() == T0


# --- results ----------------------------------------------------------------------------


async def test_result_filters_and_paging(store):
    await store.create_resource(resource(), None)
    rows = [
        result(number=0, device="D1", index=0, captured=T0),
        result(number=0, device="D2", index=0, captured=T0 + seconds(1), ok=False),
        result(number=1, device="D1", index=0, captured=T0 + seconds(60), ok=False),
        result(number=1, device="D2", index=0, captured=T0 + seconds(61)),
        result(number=2, device="D1", index=0, captured=T0 + seconds(120)),
    ]
    await store.put_results(rows)
    every = await store.results("R-1")
    assert [(r.iteration, r.device_id) for r in every] == [
        (0, "D1"),
        (0, "D2"),
        (1, "D1"),
        (1, "D2"),
        (2, "D1"),
    ]
    window = await store.results("R-1", start=T0 + seconds(1), end=T0 + seconds(61))
    assert [(r.iteration, r.device_id) for r in window] == [(0, "D2"), (1, "D1"), (1, "D2")]
    assert [r.iteration for r in await store.results("R-1", devices=["D2"])] == [0, 1]
    assert [r.device_id for r in await store.results("R-1", iteration=1)] == ["D1", "D2"]
    latest = await store.results("R-1", latest_only=True)
    assert [(r.iteration, r.device_id) for r in latest] == [(1, "D2"), (2, "D1")]
    page1 = await store.results("R-1", limit=2)
    page2 = await store.results("R-1", after=page1[-1].sequence, limit=2)
    page3 = await store.results("R-1", after=page2[-1].sequence, limit=2)
    assert [r.xml for r in page1 + page2 + page3] == [r.xml for r in every]
    assert len(page3) == 1


async def test_cached_result_is_the_latest_success_new_enough(store):
    await store.create_resource(resource(), None)
    key = "get:3:0100010800FF:2"
    await store.put_results(
        [
            result(device="D1", captured=T0, key=key),
            result(device="D1", captured=T0 + seconds(10), key=key),
            result(device="D1", captured=T0 + seconds(20), key=key, ok=False),
            result(device="D1", captured=T0 + seconds(30), key="other"),
            result(device="D2", captured=T0 + seconds(40), key=key),
        ]
    )
    hit = await store.cached_result("D1", key, T0 + seconds(5))
    assert hit.captured == T0 + seconds(10) and hit.ok
    assert await store.cached_result("D1", key, T0 + seconds(11)) is None
    assert await store.cached_result("D3", key, T0) is None


# --- outbox -------------------------------------------------------------------------------


def message(mid: str, created: datetime = T0) -> OutboxMessage:
    return OutboxMessage(
        mid,
        "http://127.0.0.1:9/cb",
        f"<m id='{mid}'/>".encode(),
        "application/soap+xml",
        created,
        resource_id="R-1",
    )


async def test_outbox_delivers_oldest_first_once_per_lease(store):
    await store.outbox_put([message("b", T0 + seconds(1)), message("a", T0)])
    await store.outbox_put([message("a", T0)])  # same id: not twice
    assert await store.outbox_pending() == 2
    claimed = await store.outbox_claim("w", T0 + seconds(2), 10, lease=30)
    assert [m.message_id for m in claimed] == ["a", "b"]
    assert claimed[0].body == message("a").body and claimed[0].url == message("a").url
    assert await store.outbox_claim("w2", T0 + seconds(3), 10, 30) == []
    await store.outbox_delivered(claimed[0])
    assert await store.outbox_pending() == 1
    (again,) = await store.outbox_claim("w2", T0 + seconds(40), 10, 30)  # b's lease ran out
    assert again.message_id == "b"


async def test_outbox_retry_waits_and_counts(open_store):
    store = await open_store()
    await store.outbox_put([message("a")])
    (claimed,) = await store.outbox_claim("w", T0, 10, 30)
    await store.outbox_retry(claimed, T0 + seconds(60), "HTTP 500")
    assert await store.outbox_claim("w", T0 + seconds(59), 10, 30) == []
    await store.close()
    store = await open_store()  # survives a restart
    (retried,) = await store.outbox_claim("w", T0 + seconds(61), 10, 30)
    assert retried.attempts == 1 and retried.last_error == "HTTP 500"
    await store.outbox_dead(retried, "too old")
    assert await store.outbox_pending() == 0
    assert await store.outbox_claim("w", T0 + timedelta(days=30), 10, 30) == []


# --- meter locks ------------------------------------------------------------------------------


async def test_meter_lock_is_exclusive_renewable_and_expires(store):
    title = "53494D0000000001"
    assert await store.acquire_meter(title, "node-a", ttl=0.3)
    assert not await store.acquire_meter(title, "node-b", ttl=0.3)
    assert await store.acquire_meter(title, "node-a", ttl=0.3)  # renew
    await store.release_meter(title, "node-b")  # not the owner: no effect
    assert not await store.acquire_meter(title, "node-b", ttl=0.3)
    await store.release_meter(title, "node-a")
    assert await store.acquire_meter(title, "node-b", ttl=0.2)
    await asyncio.sleep(0.35)
    assert await store.acquire_meter(title, "node-a", ttl=0.2)


# --- invocation counters -----------------------------------------------------------------------


async def test_invocation_counters_never_repeat_across_reopen(open_store):
    store = await open_store()
    first = await store.reserve("53494D0000000001", 256)
    second = await store.reserve("53494D0000000001", 256)
    assert second == first + 256
    assert await store.reserve("53494D0000000002", 10) == first
    assert await store.last_received("53494D0000000001") is None
    await store.record_received("53494D0000000001", 500)
    await store.record_received("53494D0000000001", 400)
    assert await store.last_received("53494D0000000001") == 500
    await store.close()
    again = await open_store()
    assert await again.reserve("53494D0000000001", 1) == second + 256
    assert await again.last_received("53494D0000000001") == 500


@pytest.mark.parametrize("count", [0, -1])
async def test_reserving_nothing_is_refused(store, count):
    with pytest.raises(ValueError):
        await store.reserve("53494D0000000001", count)
