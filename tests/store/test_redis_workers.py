"""Several workers on one Redis prefix at once: asyncio workers in this process and in two
worker processes (this module run with ``python -m``), claiming tasks and due resources.

Every task is completed exactly once and its results are stored once; no (resource, due) is
dispatched twice; a worker killed with SIGKILL while holding claims loses nothing: its tasks
come back ``recovered`` after the lease and another process completes them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cas.store import Iteration, StoredResult, Task
from cas.store.redis import RedisStore
from tests.store.conftest import REDIS_URL
from tests.store.test_contract import resource
from tests.support.redis_keys import drop_prefix

REPO = Path(__file__).resolve().parents[2]
ACCESSES = 2  # results per task


def clock(offset: float = 0.0) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=offset)


def task_results(task: Task, owner: str) -> list[StoredResult]:
    return [
        StoredResult(
            task.resource_id,
            task.iteration,
            task.device_id,
            index,
            clock(),
            True,
            f"<r k='{task.key}' i='{index}' by='{owner}'/>".encode(),
            f"get:{index}",
        )
        for index in range(ACCESSES)
    ]


class Log:
    """JSON lines, one file per process (appended and flushed line by line)."""

    def __init__(self, path: Path) -> None:
        self.file = path.open("a", buffering=1)

    def write(self, **record) -> None:
        self.file.write(json.dumps(record) + "\n")


def read_log(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


# --- the worker loops (in this process and in the worker processes) ----------------------------


async def task_worker(
    store: RedisStore, owner: str, log: Log, *, expect: int, lease: float, deadline: float
) -> None:
    """Claim and complete tasks until ``expect`` tasks are done (all workers together)."""
    done_key = store.prefix + "test:done"
    while time.monotonic() < deadline:
        tasks = await store.claim_tasks(owner, clock(), 5, lease)
        for task in tasks:
            counted = await store.complete_task(task, owner, task_results(task, owner))
            log.write(key=task.key, owner=owner, recovered=task.recovered, counted=bool(counted))
            if counted:
                await store._client.incr(done_key)
        if not tasks:
            if int(await store._client.get(done_key) or 0) >= expect:
                return
            await asyncio.sleep(0.02)
    raise TimeoutError(f"{owner}: tasks not all done")


async def due_worker(
    store: RedisStore, owner: str, log: Log, *, rounds: int, deadline: float
) -> None:
    """Claim due resources; each is due ``rounds`` times, 1 ms apart (then unscheduled)."""
    while time.monotonic() < deadline:
        claimed = await store.claim_due(clock(), 7, owner, lease=60)
        for rid, due in claimed:
            log.write(rid=rid, due=due.isoformat(), owner=owner)
            number = round((due - BASE).total_seconds() * 1000)
            await store.reschedule(
                rid, due + timedelta(milliseconds=1) if number + 1 < rounds else None
            )
        if not claimed:
            if await store.next_due() is None:
                return
            await asyncio.sleep(0.01)
    raise TimeoutError(f"{owner}: schedule not drained")


BASE = datetime(2026, 1, 1, tzinfo=UTC)  # first due time of the schedule test (in the past)


async def wait_for_go(store: RedisStore) -> None:
    while not await store._client.exists(store.prefix + "test:go"):
        await asyncio.sleep(0.01)


async def worker_process(args: argparse.Namespace) -> None:
    store = await RedisStore.open(args.url, prefix=args.prefix)
    log = Log(Path(args.log))
    deadline = time.monotonic() + 120
    try:
        if args.mode == "hold":
            # Claim, complete some, then hang holding the rest until killed.
            tasks = await store.claim_tasks(args.owner, clock(), args.claim, args.lease)
            for task in tasks[: args.complete]:
                counted = await store.complete_task(
                    task, args.owner, task_results(task, args.owner)
                )
                log.write(
                    key=task.key, owner=args.owner, recovered=task.recovered, counted=bool(counted)
                )
                await store._client.incr(store.prefix + "test:done")
            log.write(holding=[task.key for task in tasks[args.complete :]])
            await asyncio.sleep(3600)
        log.write(ready=os.getpid())
        await wait_for_go(store)
        owners = [f"{args.owner}.{i}" for i in range(args.coroutines)]
        if args.mode == "tasks":
            work = [
                task_worker(store, o, log, expect=args.expect, lease=args.lease, deadline=deadline)
                for o in owners
            ]
        else:
            work = [
                due_worker(store, o, log, rounds=args.rounds, deadline=deadline) for o in owners
            ]
        await asyncio.gather(*work)
    finally:
        await store.close()


def spawn(mode: str, prefix: str, owner: str, log: Path, **options) -> subprocess.Popen:
    command = [sys.executable, "-m", "tests.store.test_redis_workers", mode]
    command += ["--url", REDIS_URL, "--prefix", prefix, "--owner", owner, "--log", str(log)]
    for name, value in options.items():
        command += [f"--{name.replace('_', '-')}", str(value)]
    return subprocess.Popen(command, cwd=REPO, stderr=subprocess.PIPE)


async def wait_for_line(path: Path, field: str, process: subprocess.Popen, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for record in read_log(path):
            if field in record:
                return record[field]
        if process.poll() is not None:
            raise RuntimeError(f"worker exited: {process.stderr.read().decode()}")
        await asyncio.sleep(0.02)
    raise TimeoutError(f"no {field!r} line from the worker")


async def finish(process: subprocess.Popen, timeout: float = 120) -> None:
    code = await asyncio.to_thread(process.wait, timeout)
    assert code == 0, process.stderr.read().decode()


# --- tests ----------------------------------------------------------------------------------------


@pytest.fixture
async def shared():
    """A RedisStore on a fresh prefix, removed afterwards; worker processes killed if left."""
    prefix = f"cas-test:{uuid.uuid4().hex}:"
    store = await RedisStore.open(REDIS_URL, prefix=prefix)
    processes: list[subprocess.Popen] = []
    yield store, processes
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()
    await store.close()
    await drop_prefix(REDIS_URL, prefix)


async def queue_group(store: RedisStore, resources: int, devices: int) -> None:
    now = clock()
    for r in range(resources):
        rid = f"R-{r:03d}"
        await store.create_resource(resource(rid), None)
        tasks = [Task(rid, 0, f"M{d:04d}", priority=r % 5, due=now) for d in range(devices)]
        await store.start_iteration(Iteration(rid, 0, now, now, None, tasks=devices), tasks)


async def check_every_task_done_once(store: RedisStore, resources: int, devices: int, logs):
    records = [record for log in logs for record in read_log(log) if "key" in record]
    counted = Counter(record["key"] for record in records if record["counted"])
    assert len(counted) == resources * devices
    assert set(counted.values()) == {1}
    for r in range(resources):
        rid = f"R-{r:03d}"
        stored = await store.results(rid)
        assert len(stored) == devices * ACCESSES
        assert len({(s.device_id, s.access_index) for s in stored}) == devices * ACCESSES
        iteration = await store.get_iteration(rid, 0)
        assert (iteration.tasks_done, iteration.results_ok) == (devices, devices * ACCESSES)
    return records


async def test_two_processes_and_coroutines_complete_every_task_exactly_once(shared, tmp_path):
    store, processes = shared
    resources, devices = 30, 100
    await queue_group(store, resources, devices)
    total = resources * devices
    logs = [tmp_path / f"p{i}.log" for i in range(2)]
    for i, log in enumerate(logs):
        processes.append(
            spawn("tasks", store.prefix, f"p{i}", log, coroutines=4, expect=total, lease=60)
        )
    for process, log in zip(processes, logs, strict=True):
        await wait_for_line(log, "ready", process)
    await store._client.set(store.prefix + "test:go", 1)  # everyone starts at once
    here = tmp_path / "here.log"
    local = Log(here)
    deadline = time.monotonic() + 120
    await asyncio.gather(
        *(
            task_worker(store, f"here.{i}", local, expect=total, lease=60, deadline=deadline)
            for i in range(2)
        )
    )
    for process in processes:
        await finish(process)
    records = await check_every_task_done_once(store, resources, devices, [*logs, here])
    by_process = Counter(record["owner"].split(".")[0] for record in records if record["counted"])
    assert set(by_process) == {"p0", "p1", "here"}, by_process  # all took part
    print(f"tasks completed per process: {dict(by_process)}")
    assert not any(record["recovered"] for record in records)


async def test_two_processes_never_dispatch_a_due_resource_twice(shared, tmp_path):
    store, processes = shared
    resources, rounds = 600, 3
    for r in range(resources):
        await store.create_resource(resource(f"R-{r:03d}"), BASE)
    logs = [tmp_path / f"p{i}.log" for i in range(2)]
    for i, log in enumerate(logs):
        processes.append(spawn("due", store.prefix, f"p{i}", log, coroutines=3, rounds=rounds))
    for process, log in zip(processes, logs, strict=True):
        await wait_for_line(log, "ready", process)
    await store._client.set(store.prefix + "test:go", 1)
    here = tmp_path / "here.log"
    local = Log(here)
    deadline = time.monotonic() + 120
    await asyncio.gather(
        *(due_worker(store, f"here.{i}", local, rounds=rounds, deadline=deadline) for i in range(2))
    )
    for process in processes:
        await finish(process)
    records = [record for log in [*logs, here] for record in read_log(log) if "rid" in record]
    dispatched = Counter((record["rid"], record["due"]) for record in records)
    assert len(dispatched) == resources * rounds
    assert set(dispatched.values()) == {1}
    per_resource = Counter(record["rid"] for record in records)
    assert set(per_resource.values()) == {rounds}
    by_process = Counter(record["owner"].split(".")[0] for record in records)
    assert set(by_process) == {"p0", "p1", "here"}, by_process
    print(f"dispatches per process: {dict(by_process)}")


async def test_a_worker_killed_while_holding_claims_loses_nothing(shared, tmp_path):
    """A worker of a 40-meter group claims 10 tasks (2 s lease), completes 4 and is killed
    with SIGKILL; another process completes the rest, the 6 orphans recovered after the lease."""
    store, processes = shared
    await queue_group(store, 1, 40)
    doomed_log, rescuer_log = tmp_path / "doomed.log", tmp_path / "rescuer.log"
    doomed = spawn("hold", store.prefix, "doomed", doomed_log, claim=10, complete=4, lease=2)
    processes.append(doomed)
    holding = await wait_for_line(doomed_log, "holding", doomed)
    assert len(holding) == 6
    os.kill(doomed.pid, signal.SIGKILL)
    assert doomed.wait(timeout=30) == -signal.SIGKILL
    killed_at = time.monotonic()

    rescuer = spawn(
        "tasks", store.prefix, "rescuer", rescuer_log, coroutines=2, expect=40, lease=30
    )
    processes.append(rescuer)
    await wait_for_line(rescuer_log, "ready", rescuer)
    await store._client.set(store.prefix + "test:go", 1)
    await finish(rescuer)

    records = await check_every_task_done_once(store, 1, 40, [doomed_log, rescuer_log])
    rescued = {r["key"]: r["recovered"] for r in records if r["owner"].startswith("rescuer")}
    assert len(rescued) == 36
    assert {key for key, recovered in rescued.items() if recovered} == set(holding)
    assert time.monotonic() - killed_at < 60
    stored = await store.results("R-000")
    by = Counter(re.search(r"by='(\w+)", s.xml.decode()).group(1) for s in stored)
    assert by == {"doomed": 4 * ACCESSES, "rescuer": 36 * ACCESSES}


def main() -> None:
    parser = argparse.ArgumentParser(description="a RedisStore worker for the tests above")
    parser.add_argument("mode", choices=["tasks", "due", "hold"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--owner", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--coroutines", type=int, default=1)
    parser.add_argument("--expect", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--lease", type=float, default=30)
    parser.add_argument("--claim", type=int, default=0)
    parser.add_argument("--complete", type=int, default=0)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(worker_process(parser.parse_args()))


if __name__ == "__main__":
    main()
