"""Work notices between nodes sharing Redis: a group read created on an api node starts on a
worker at once, and the tasks one worker's dispatcher queues are claimed by the other workers
at once, while their polls are 30 s apart. Also the notices alone: every node hears every
node, a burst of announces is folded into few messages, a store that is away loses none of
the work, and an api node does not subscribe."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from cas.access.notices import SCHEDULE, TASKS, WorkNotices
from cas.gateway import GatewaySettings
from cas.simulator import MeterFleet, readings
from tests.e2e.test_group_access import group_access
from tests.support.soap import envelope

SLOW_POLLS = GatewaySettings(poll_interval=30.0)


async def listening(redis_nodes, *nodes: WorkNotices) -> list[asyncio.Task]:
    """Each of ``nodes`` listening, once their subscriptions are in place."""
    listeners = [asyncio.create_task(notices.listen()) for notices in nodes]
    await redis_nodes.wait_listening(len(nodes))
    return listeners


async def test_a_group_read_created_on_an_api_node_starts_on_a_worker_at_once(redis_nodes):
    fleet = MeterFleet(count=5)
    async with fleet, redis_nodes.workers_and_api(fleet.meters, 1, SLOW_POLLS) as (_, api):
        before, started = datetime.now(UTC), time.monotonic()
        reply = await api.post(envelope("create", "DeviceAccess", group_access("DG_ALL_METERS")))
        elapsed = time.monotonic() - started
        assert reply.result == "OK", reply.error_codes
        results = reply.results(0)
        assert sorted(r.device_id for r in results) == sorted(m.system_title for m in fleet.meters)
        for result in results:
            value = int(result.value(".//cos:double-long-unsigned"))
            moments = (before, datetime.now(UTC))
            assert value in {readings.energy_import_wh(result.device_id, t) for t in moments}
        assert elapsed < 5, elapsed  # not the worker's next poll, 30 s away
        assert api.gateway.notices.sent >= 1


async def test_without_the_notice_the_worker_waits_for_its_poll(redis_nodes):
    """The control of the test above: the api node announces nothing."""
    fleet = MeterFleet(count=2)
    async with fleet, redis_nodes.workers_and_api(fleet.meters, 1, SLOW_POLLS) as nodes:
        [worker], api = nodes
        api.gateway.notices = None
        body = envelope("create", "DeviceAccess", group_access("DG_ALL_METERS"))
        posted = asyncio.create_task(api.post(body))
        await asyncio.sleep(2.0)
        assert not posted.done()  # the worker sleeps on
        worker.gateway.scheduler.wake()  # what the notice does
        reply = await asyncio.wait_for(posted, 10)
        assert reply.result == "OK", reply.error_codes
        assert len(reply.results(0)) == 2


async def test_tasks_queued_by_one_worker_are_claimed_by_the_others_at_once(redis_nodes):
    fleet = MeterFleet(count=8, latency=0.1)
    narrow = GatewaySettings(poll_interval=30.0, worker_concurrency=2)
    async with fleet, redis_nodes.workers_and_api(fleet.meters, 2, narrow) as (workers, api):
        reply = await api.post(envelope("create", "DeviceAccess", group_access("DG_ALL_METERS")))
        assert reply.result == "OK", reply.error_codes
        assert len(reply.results(0)) == 8
        opened = [node.gateway.pool.stats.opened for node in workers]
        # Whichever dispatcher started the iteration, the other worker took part: with two
        # tasks at a time each, the first alone would have read all eight before the second's
        # poll, 30 s away.
        assert sum(opened) == 8 and min(opened) >= 1, opened


async def test_every_node_hears_every_nodes_notices(redis_nodes):
    heard: dict[str, list[str]] = {"a": [], "b": []}
    nodes = {
        name: WorkNotices(
            await redis_nodes.open(),
            {kind: (lambda n=name, k=kind: heard[n].append(k)) for kind in (SCHEDULE, TASKS)},
        )
        for name in heard
    }
    listeners = await listening(redis_nodes, *nodes.values())
    try:
        nodes["a"].announce(SCHEDULE)
        nodes["b"].announce(TASKS)
        deadline = time.monotonic() + 5
        while any(len(kinds) < 2 for kinds in heard.values()):
            assert time.monotonic() < deadline, heard
            await asyncio.sleep(0.01)
        assert {name: sorted(kinds) for name, kinds in heard.items()} == {
            "a": [SCHEDULE, TASKS],
            "b": [SCHEDULE, TASKS],
        }
    finally:
        for listener in listeners:
            listener.cancel()


async def test_an_unknown_notice_is_ignored_and_the_next_one_heard(redis_nodes):
    heard: list[str] = []
    store = await redis_nodes.open()
    [listener] = await listening(
        redis_nodes, WorkNotices(store, {TASKS: lambda: heard.append(TASKS)})
    )
    try:
        await store.announce("<forged/>")
        await store.announce(TASKS)
        deadline = time.monotonic() + 5
        while not heard:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
        assert heard == [TASKS] and not listener.done()
    finally:
        listener.cancel()


class Channel:
    """A notice channel whose sends wait until released (or fail), counting them."""

    def __init__(self, fails: bool = False) -> None:
        self.sent: list[str] = []
        self.release = asyncio.Event()
        self.fails = fails

    async def announce(self, notice: str) -> None:
        await self.release.wait()
        if self.fails:
            raise ConnectionError("Redis is away")
        self.sent.append(notice)

    async def notices(self) -> AsyncIterator[str]:  # pragma: no cover - never subscribed
        raise AssertionError("a node without handlers subscribed")
        yield ""


async def test_a_burst_of_announces_is_folded_and_the_last_one_is_sent_after_it():
    channel = Channel()
    notices = WorkNotices(channel, {})
    for _ in range(1000):
        notices.announce(TASKS)
    notices.announce(SCHEDULE)
    await asyncio.sleep(0.01)
    channel.release.set()
    await asyncio.sleep(0.05)
    # one send under way when the burst came, then one for everything announced during it
    assert sorted(channel.sent) == [SCHEDULE, TASKS, TASKS]
    notices.announce(TASKS)  # later: sent again
    await asyncio.sleep(0.05)
    assert channel.sent.count(TASKS) == 3 and notices.sent == 4


async def test_a_store_that_is_away_loses_the_notice_not_the_work(caplog):
    channel = Channel(fails=True)
    channel.release.set()
    notices = WorkNotices(channel, {})
    with caplog.at_level(logging.WARNING, logger="cas.access.notices"):
        notices.announce(TASKS)
        await asyncio.sleep(0.05)
    assert "could not announce tasks work to other nodes: Redis is away" in caplog.text
    assert notices.sent == 0
    channel.fails = False
    notices.announce(TASKS)  # nothing stuck: the next one is sent
    await asyncio.sleep(0.05)
    assert channel.sent == [TASKS]


async def test_a_node_without_handlers_does_not_subscribe():
    notices = WorkNotices(Channel(), {})
    await asyncio.wait_for(notices.listen(), 1)  # returns at once, never iterates notices()
