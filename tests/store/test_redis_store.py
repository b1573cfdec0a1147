"""RedisStore beyond the shared contract: the same answers as SqliteStore on random operation
sequences (queue order, leases, result filters and paging, cache lookups), exact times, what a
delete leaves behind, counters at their limit, large result sets.

Uses the Redis at $CAS_TEST_REDIS under a unique prefix (removed afterwards); the key-layout
test runs on a private redis-server so that it can see every key.
"""

from __future__ import annotations

import dataclasses
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError

from cas.dlms.errors import SecurityError
from cas.dlms.gcm import MAX_INVOCATION_COUNTER
from cas.store import IterationStatus, OutboxMessage, StoredResult, Task
from cas.store.redis import RedisStore
from cas.store.sqlite import SqliteStore
from tests.store.conftest import REDIS_URL
from tests.store.test_contract import iteration, resource, result, seconds
from tests.store.test_redis_restart import RedisServer, free_port
from tests.support.redis_keys import drop_prefix

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
# Device ids that a naive key layout would confuse: separators, spaces, non-ASCII.
ODD_DEVICES = ["D1", "D 2", "D:3", "D/4", "Zähler-5", "6", "rdev:1:x", "D1:get"]


@pytest.fixture
async def redis_store():
    prefix = f"cas-test:{uuid.uuid4().hex}:"
    store = await RedisStore.open(REDIS_URL, prefix=prefix)
    yield store
    await store.close()
    await drop_prefix(REDIS_URL, prefix)


@pytest.fixture
async def pair(redis_store, tmp_path):
    """(SqliteStore, RedisStore), both empty: the SQLite one is the reference."""
    sqlite = await SqliteStore.open(tmp_path / "reference.db")
    yield sqlite, redis_store
    await sqlite.close()


# --- the same answers as SQLite ----------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
async def test_task_queue_matches_sqlite_on_random_operations(pair, seed):
    rng = random.Random(seed)
    stores = pair
    for store in stores:
        await store.create_resource(resource(), None)
    devices_of = {}
    for number in range(3):
        devices = rng.sample(ODD_DEVICES, rng.randint(2, len(ODD_DEVICES)))
        devices_of[number] = devices
        tasks = [
            Task(
                "R-1",
                number,
                device,
                rng.choice([1, 4, 4, 9]),
                due=T0 + seconds(60 * number),
                not_before=rng.choice([None, None, T0 + seconds(rng.randint(0, 200))]),
            )
            for device in devices
        ]
        for store in stores:
            assert await store.start_iteration(iteration(number=number, tasks=len(tasks)), tasks)

    now = T0
    held: list[tuple[str, Task, Task]] = []  # (owner, task as SQLite gave it, as Redis did)
    for _step in range(120):
        op = rng.choice(["claim", "claim", "complete", "complete", "retry", "extend", "time"])
        if op == "claim":
            owner, limit, lease = rng.choice(["w1", "w2", "w3"]), rng.randint(1, 3), 30
            got = [await store.claim_tasks(owner, now, limit, lease) for store in stores]
            assert [(t.key, t.recovered, t.attempt) for t in got[0]] == [
                (t.key, t.recovered, t.attempt) for t in got[1]
            ]
            held += [(owner, a, b) for a, b in zip(got[0], got[1], strict=True)]
        elif op == "complete" and held:
            owner, a, b = held.pop(rng.randrange(len(held)))
            rows = [result(number=a.iteration, device=a.device_id, captured=now)]
            counted = [
                await stores[0].complete_task(a, owner, rows),
                await stores[1].complete_task(b, owner, rows),
            ]
            assert counted[0] == counted[1]
        elif op == "retry" and held:
            owner, a, b = held.pop(rng.randrange(len(held)))
            later = now + seconds(rng.randint(1, 60))
            await stores[0].retry_task(a, later)
            await stores[1].retry_task(b, later)
        elif op == "extend" and held:
            owner, a, b = rng.choice(held)
            owner = rng.choice([owner, owner, "intruder"])
            until = now + seconds(rng.randint(5, 60))
            kept = [
                await stores[0].extend_lease(a, owner, until),
                await stores[1].extend_lease(b, owner, until),
            ]
            assert kept[0] == kept[1]
        else:
            now += seconds(rng.choice([1, 5, 20, 31, 45]))
    for number in range(3):
        got = [await store.get_iteration("R-1", number) for store in stores]
        assert got[0] == got[1]
    assert await stores[0].results("R-1") == await stores[1].results("R-1")
    assert await stores[0].unfinished_iterations(now + seconds(3600)) == await stores[
        1
    ].unfinished_iterations(now + seconds(3600))
    assert await stores[0].cancel_tasks("R-1") == await stores[1].cancel_tasks("R-1")


async def test_schedule_matches_sqlite_on_random_operations(pair):
    rng = random.Random(7)
    stores = pair
    ids = [f"R-{i:02d}" for i in range(30)]
    for rid in ids:
        first = rng.choice([None, T0 + seconds(rng.randint(0, 100))])
        created = T0 + seconds(rng.randint(0, 3))
        for store in stores:
            await store.create_resource(resource(rid, created=created), first)
    now = T0
    for _step in range(150):
        op = rng.choice(["claim", "claim", "reschedule", "delete", "time"])
        if op == "claim":
            limit, owner = rng.randint(1, 5), rng.choice(["s1", "s2"])
            got = [await store.claim_due(now, limit, owner, 30) for store in stores]
            assert got[0] == got[1]
        elif op == "reschedule":
            rid = rng.choice(ids)
            due = rng.choice([None, now + seconds(rng.randint(-10, 60))])
            for store in stores:
                await store.reschedule(rid, due)
        elif op == "delete" and rng.random() < 0.2:
            rid = rng.choice(ids)
            assert await stores[0].delete_resource(rid) == await stores[1].delete_resource(rid)
        else:
            now += seconds(rng.choice([1, 10, 31]))
        assert await stores[0].next_due() == await stores[1].next_due()
    listed = [[r.id for r in await store.list_resources()] for store in stores]
    assert listed[0] == listed[1]


def _random_results(rng: random.Random, count: int) -> list[StoredResult]:
    rows = []
    for _ in range(count):
        rows.append(
            result(
                number=rng.randint(0, 4),
                device=rng.choice(ODD_DEVICES),
                index=rng.randint(0, 2),
                ok=rng.random() < 0.7,
                captured=T0 + seconds(rng.randint(0, 40)),
                key=rng.choice([None, "get:a", "get:b"]),
            )
        )
    return rows


async def test_result_queries_match_sqlite(pair):
    rng = random.Random(11)
    stores = pair
    rows = _random_results(rng, 400)
    for store in stores:
        await store.create_resource(resource(), None)
        for start in range(0, len(rows), 37):
            await store.put_results(rows[start : start + 37])
    assert await stores[0].results("R-1") == await stores[1].results("R-1")
    for _ in range(300):
        query = {}
        if rng.random() < 0.4:
            query["start"] = T0 + seconds(rng.randint(0, 40))
        if rng.random() < 0.4:
            query["end"] = T0 + seconds(rng.randint(0, 40))
        if rng.random() < 0.4:
            query["devices"] = rng.sample(ODD_DEVICES, rng.randint(0, 3))
        if rng.random() < 0.4:
            query["iteration"] = rng.randint(0, 5)
        if rng.random() < 0.3:
            query["latest_only"] = True
        if rng.random() < 0.5:
            query["after"] = rng.randint(0, 400)
        if rng.random() < 0.6:
            query["limit"] = rng.randint(1, 50)
        got = [await store.results("R-1", **query) for store in stores]
        assert got[0] == got[1], query
    for _ in range(100):
        device, key = rng.choice(ODD_DEVICES), rng.choice(["get:a", "get:b", "get:c"])
        newer = T0 + seconds(rng.randint(-5, 45))
        got = [await store.cached_result(device, key, newer) for store in stores]
        assert got[0] == got[1], (device, key, newer)


async def test_outbox_matches_sqlite_on_random_operations(pair):
    rng = random.Random(5)
    stores = pair
    now = T0
    held: list[OutboxMessage] = []
    for step in range(150):
        op = rng.choice(["put", "claim", "claim", "delivered", "retry", "dead", "time"])
        if op == "put":
            mids = [f"m-{rng.randint(0, 40)}" for _ in range(rng.randint(1, 3))]
            messages = [
                OutboxMessage(mid, "http://x/cb", mid.encode(), "text/xml", T0 + seconds(step))
                for mid in dict.fromkeys(mids)
            ]
            for store in stores:
                await store.outbox_put(messages)
        elif op == "claim":
            limit = rng.randint(1, 4)
            got = [await store.outbox_claim("w", now, limit, 30) for store in stores]
            strip = [[dataclasses.replace(m, lease_token=None) for m in g] for g in got]
            assert strip[0] == strip[1]
            held += got[1]
        elif op in ("delivered", "retry", "dead") and held:
            message = held.pop(rng.randrange(len(held)))
            later = now + seconds(rng.randint(1, 50))
            for store in stores:
                if op == "delivered":
                    await store.outbox_delivered(message)
                elif op == "retry":
                    await store.outbox_retry(message, later, "500")
                else:
                    await store.outbox_dead(message, "too old")
        else:
            now += seconds(rng.choice([1, 10, 31]))
        assert await stores[0].outbox_pending() == await stores[1].outbox_pending()


# --- Redis specifics -----------------------------------------------------------------------------


async def test_times_keep_their_microseconds(redis_store):
    due = datetime(2026, 11, 22, 12, 0, 0, 123457, tzinfo=UTC)
    original = resource(created=due, activates=due + timedelta(microseconds=1))
    await redis_store.create_resource(original, due)
    assert await redis_store.get_resource("R-1") == original
    assert await redis_store.next_due() == due
    assert await redis_store.claim_due(due, 10, "w", 30) == [("R-1", due)]
    await redis_store.put_results([result(captured=due)])
    (stored,) = await redis_store.results("R-1", start=due, end=due)
    assert stored.captured == due


async def test_creating_an_existing_resource_is_refused(redis_store):
    await redis_store.create_resource(resource(), None)
    with pytest.raises(ValueError, match="already exists"):
        await redis_store.create_resource(resource(priority=1), None)
    assert (await redis_store.get_resource("R-1")).priority == 7


async def test_cached_result_falls_back_when_the_newest_is_deleted(redis_store):
    key = "get:3:0100010800FF:2"
    for rid, captured in (("R-old", T0), ("R-new", T0 + seconds(10))):
        await redis_store.create_resource(resource(rid), None)
        await redis_store.put_results([result(rid, device="D1", captured=captured, key=key)])
    assert (await redis_store.cached_result("D1", key, T0)).resource_id == "R-new"
    await redis_store.delete_resource("R-new")
    hit = await redis_store.cached_result("D1", key, T0)
    assert hit.resource_id == "R-old" and hit.captured == T0
    await redis_store.delete_resource("R-old")
    assert await redis_store.cached_result("D1", key, T0) is None


async def test_reserve_refuses_a_block_past_the_maximum_and_keeps_the_counter(redis_store):
    title = "53494D0000000001"
    first = await redis_store.reserve(title, MAX_INVOCATION_COUNTER - 10)
    with pytest.raises(SecurityError, match="exhausted"):
        await redis_store.reserve(title, 11)  # 10 are left
    assert await redis_store.reserve(title, 10) == first + MAX_INVOCATION_COUNTER - 10
    with pytest.raises(SecurityError):
        await redis_store.reserve(title, 1)


async def test_a_late_completion_before_and_after_a_takeover(pair):
    """A lease ran out and a claim passed the task over (it took a higher priority one): the
    old owner may still extend and complete. Once another worker took it, it may not."""
    for store in pair:
        await store.create_resource(resource(), None)
        await store.start_iteration(iteration(number=0, tasks=1), [Task("R-1", 0, "D1", 1, T0)])
        (d1,) = await store.claim_tasks("slow", T0, 1, 30)
        await store.start_iteration(iteration(number=1, tasks=1), [Task("R-1", 1, "D2", 9, T0)])
        (d2,) = await store.claim_tasks("w2", T0 + seconds(31), 1, 30)
        assert d2.device_id == "D2"
        await store.complete_task(d2, "w2", [])
        assert await store.extend_lease(d1, "slow", T0 + seconds(90))  # still its own
        assert await store.claim_tasks("w2", T0 + seconds(40), 10, 30) == []
        (taken,) = await store.claim_tasks("w3", T0 + seconds(91), 10, 30)
        assert taken.device_id == "D1" and taken.recovered
        assert not await store.extend_lease(d1, "slow", T0 + seconds(200))
        assert await store.complete_task(d1, "slow", [result()]) is None
        assert (await store.complete_task(taken, "w3", [result()])).tasks_done == 1
        assert len(await store.results("R-1", iteration=0)) == 1


async def test_paging_through_a_large_group(redis_store):
    """12,000 results (3 iterations x 4,000 meters): every page is read by sequence from the
    narrowest index; paging returns each result exactly once, in order."""
    store = redis_store
    await store.create_resource(resource(), None)
    meters = [f"M{i:05d}" for i in range(4000)]
    rows = [
        result(number=n, device=m, captured=T0 + seconds(60 * n + i // 100), ok=i % 7 != 0)
        for n in range(3)
        for i, m in enumerate(meters)
    ]
    started = time.perf_counter()
    for start in range(0, len(rows), 1000):
        await store.put_results(rows[start : start + 1000])
    stored_in = time.perf_counter() - started

    async def pages(**query):
        got, after, calls = [], 0, 0
        while True:
            page = await store.results("R-1", after=after, limit=500, **query)
            calls += 1
            got += page
            if len(page) < 500:
                return got, calls
            after = page[-1].sequence

    started = time.perf_counter()
    every, calls = await pages()
    paged_in = time.perf_counter() - started
    assert len(every) == 12000 and calls == 25
    assert [r.sequence for r in every] == sorted({r.sequence for r in every})
    assert [(r.iteration, r.device_id) for r in every] == [(r.iteration, r.device_id) for r in rows]
    one, _ = await pages(iteration=1)
    assert [r.device_id for r in one] == meters
    few, _ = await pages(devices=["M00007", "M03999"])
    assert [(r.device_id, r.iteration) for r in few] == [
        ("M00007", 0),
        ("M03999", 0),
        ("M00007", 1),
        ("M03999", 1),
        ("M00007", 2),
        ("M03999", 2),
    ]
    window, _ = await pages(start=T0 + seconds(60), end=T0 + seconds(60 + 9))
    assert {r.iteration for r in window} == {1} and len(window) == 1000
    latest = await store.results("R-1", latest_only=True)
    never_ok = {m for i, m in enumerate(meters) if i % 7 == 0}
    assert len(latest) == 4000 - len(never_ok)
    assert all(r.iteration == 2 and r.device_id not in never_ok for r in latest)
    started = time.perf_counter()
    assert await store.delete_resource("R-1")
    deleted_in = time.perf_counter() - started
    assert await store.results("R-1") == []
    print(
        f"12,000 results stored in {stored_in:.2f} s, paged (25 x 500) in {paged_in:.2f} s,"
        f" deleted in {deleted_in:.3f} s"
    )


async def test_opening_an_unreachable_redis_fails_clearly():
    started = time.monotonic()
    with pytest.raises(RedisConnectionError, match="onnect"):
        await RedisStore.open(f"redis://127.0.0.1:{free_port()}/0", retries=1)
    assert time.monotonic() - started < 10


async def test_every_key_is_under_the_prefix_and_a_delete_leaves_nothing(tmp_path):
    """On a private server (so every key is visible): a full workload on two resources, then
    one is deleted: no key and no member of a shared structure mentions it any more."""
    with RedisServer(tmp_path, persistent=False) as server:
        store = await RedisStore.open(server.url, prefix="p:")
        try:
            for rid, devices in (("R-gone", ["D1", "D:2"]), ("R-kept", ["D1"])):
                await store.create_resource(resource(rid), T0)
                tasks = [Task(rid, n, d, 4, due=T0) for n in (0, 1) for d in devices]
                for n in (0, 1):
                    await store.start_iteration(
                        iteration(rid, n, tasks=len(devices)),
                        [t for t in tasks if t.iteration == n],
                    )
            claimed = await store.claim_tasks("w", T0, 3, 30)
            for task in claimed[:2]:
                await store.complete_task(
                    task, "w", [result(task.resource_id, task.iteration, task.device_id)]
                )
            await store.retry_task(claimed[2], T0 + seconds(5))
            await store.put_results([result("R-gone", 5, "D9"), result("R-kept", 5, "D9")])
            await store.claim_due(T0, 1, "s", 30)
            await store.finish_iteration("R-kept", 0, IterationStatus.OK, T0)
            await store.outbox_put(
                [OutboxMessage("m1", "http://x/cb", b"<m/>", "text/xml", T0, resource_id="R-gone")]
            )
            await store.reserve("53494D0000000001", 5)
            await store.record_received("53494D0000000001", 9)
            await store.acquire_meter("53494D0000000001", "node", 30)

            client = aioredis.from_url(server.url)
            keys = [key.decode() async for key in client.scan_iter()]
            assert keys and all(key.startswith("p:") for key in keys)

            assert await store.delete_resource("R-gone")
            for key in [key.decode() async for key in client.scan_iter()]:
                assert "R-gone" not in key, key
                kind = await client.type(key)
                if kind == b"zset":
                    members = await client.zrange(key, 0, -1)
                elif kind == b"set":
                    members = await client.smembers(key)
                elif kind == b"hash":
                    members = [*await client.hkeys(key), *await client.hvals(key)]
                else:
                    members = [await client.get(key)]
                leftovers = [m for m in members if b"R-gone" in m and not key.startswith("p:msg:")]
                assert leftovers == [], key
            kept = await store.results("R-kept")
            assert len(kept) >= 1 and all(r.resource_id == "R-kept" for r in kept)
            assert len(await store.iterations("R-kept")) == 2
            await client.aclose()
        finally:
            await store.close()
