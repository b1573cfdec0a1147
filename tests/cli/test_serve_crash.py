"""``cas serve`` killed with SIGKILL mid-work, then started again on the same SQLite file.

Real processes against a simulated HLS-GMAC fleet in this process (a thread): what the
second process finds in the file, what it finishes, and the invocation counters the meters
receive from each process (recorded as they arrive, in HLS pass 3).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import signal
import sqlite3
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cas.simulator import FleetThread, readings
from cas.simulator.server import MeterServer
from cas.store import IterationStatus, ResourceStatus
from cas.store.sqlite import SqliteStore
from tests.support.serve import Serve
from tests.support.soap import NS, device_access, envelope, get_xml

ENERGY = (3, "1.0.1.8.0.255", 2)
# Two tasks at a time, short leases (a dead process's claims lapse quickly), quick polls.
TUNING = ("--worker-concurrency", "2", "--task-lease", "2", "--poll-interval", "0.2")


def record_client_counters(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """(meter system title, the client's invocation counter) of every HLS pass 3 the
    meters check, in arrival order."""
    seen: list[tuple[str, int]] = []
    original = MeterServer.verify_gmac

    def verify_gmac(self, system_title: bytes, counter: int, challenge: bytes, tag: bytes) -> bool:
        seen.append((bytes(self.settings.cipher.systemTitle).hex().upper(), counter))
        return original(self, system_title, counter, challenge, tag)

    monkeypatch.setattr(MeterServer, "verify_gmac", verify_gmac)
    return seen


def read_file(db: Path, query: str) -> list[tuple]:
    """Rows of a query on the state file, read-only (the gateway may be writing it)."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
        return connection.execute(query).fetchall()


def own_counters(db: Path) -> dict[str, int]:
    """The store's high-water mark of the gateway's own counter per meter (next_own)."""
    return dict(read_file(db, "SELECT system_title, next_own FROM invocation_counters"))


def claimed_tasks(db: Path) -> int:
    """Queued tasks under a claim (a worker had taken them)."""
    return read_file(db, "SELECT count(*) FROM tasks WHERE owner IS NOT NULL")[0][0]


async def until(condition: Callable[[], Awaitable[bool] | bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await _value(condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def _value(outcome: Awaitable[bool] | bool) -> bool:
    return await outcome if inspect.isawaitable(outcome) else outcome


def by_title(seen: list[tuple[str, int]]) -> dict[str, list[int]]:
    counters: dict[str, list[int]] = {}
    for title, counter in seen:
        counters.setdefault(title, []).append(counter)
    return counters


async def test_sqlite_file_reopened_after_a_crash_finishes_the_work(tmp_path, monkeypatch):
    seen = record_client_counters(monkeypatch)
    db = tmp_path / "state.db"
    registry = tmp_path / "registry.yaml"
    first = second = None
    store: SqliteStore | None = None
    with FleetThread(count=6, security="hls-gmac", latency=0.3) as fleet:
        fleet.write_registry(registry)
        titles = sorted(m.system_title for m in fleet.meters)
        try:
            first = Serve(registry, "--db", str(db), *TUNING)
            first.wait_http()
            before = datetime.now(UTC)
            created = first.post(
                envelope(
                    "create",
                    "DeviceAccess",
                    device_access(
                        titles,
                        [get_xml(*ENERGY)],
                        f"<dev:Activates>{before:%Y-%m-%dT%H:%M:%SZ}</dev:Activates>",
                    ),
                )
            )
            assert created.result == "OK", created.error_codes
            (resource_id,) = created.ids
            store = await SqliteStore.open(db)

            async def mid_association() -> bool:
                """A result is stored and a meter without one has checked our counter."""
                done = {r.device_id for r in await store.results(resource_id)}
                return bool(done) and any(title not in done for title, _ in seen)

            await until(mid_association, 20, "work in flight")
            assert first.stop(signal.SIGKILL) == -signal.SIGKILL
            # the meters see the killed process's connections close
            await until(lambda: fleet.stats.open_connections == 0, 10, "connections closed")
            at_kill = await store.results(resource_id)
            assert 0 < len(at_kill) < len(titles)
            assert claimed_tasks(db) >= 1  # claims of the dead process, not completed
            (iteration,) = await store.iterations(resource_id)
            assert iteration.status is IterationStatus.EXECUTING
            assert iteration.tasks_done == len(at_kill)
            resource = await store.get_resource(resource_id)
            assert resource.status is ResourceStatus.EXECUTING
            high_water = own_counters(db)
            first_run = by_title(seen)
            seen_at_kill = len(seen)
            interrupted = set(first_run) - {r.device_id for r in at_kill}
            assert interrupted  # meters the dead process was talking to

            second = Serve(registry, "--db", str(db), *TUNING)
            second.wait_http()
            directory = second.post(
                envelope("get", "ResourceDirectory", request=f"<mes:ID>{resource_id}</mes:ID>")
            )
            entry = directory.root.find(".//dev:Resource", NS)
            assert entry.findtext("dev:ID", namespaces=NS) == resource_id
            assert entry.findtext("dev:ResourceStatus", namespaces=NS) == "EXECUTING"
            assert int(entry.findtext("dev:Progress/dev:Done", namespaces=NS)) >= len(at_kill)

            async def finished() -> bool:
                (current,) = await store.iterations(resource_id)
                return current.status is not IterationStatus.EXECUTING

            await until(finished, 30, "the iteration to finish")
            reply = second.post(
                envelope("get", "DeviceAccess", request=f"<mes:ID>{resource_id}</mes:ID>")
            )
            directory = second.post(
                envelope("get", "ResourceDirectory", request=f"<mes:ID>{resource_id}</mes:ID>")
            )
            after = datetime.now(UTC)
            stored = await store.results(resource_id)
            (iteration,) = await store.iterations(resource_id)
        finally:
            if store is not None:
                await store.close()
            for server in (first, second):
                if server is not None:
                    server.stop(signal.SIGKILL)

    # Every device once, with the value its meter shows.
    assert sorted(r.device_id for r in stored) == titles
    assert all(r.ok for r in stored)
    assert {r.sequence for r in at_kill} <= {r.sequence for r in stored}  # kept, not redone
    results = reply.results(0)
    assert sorted(r.device_id for r in results) == titles
    for result in results:
        assert result.kind == "XDLMSResult"
        value = int(result.value(".//cos:double-long-unsigned"))
        assert value in {readings.energy_import_wh(result.device_id, t) for t in (before, after)}
    assert (iteration.status, iteration.tasks, iteration.tasks_done) == (IterationStatus.OK, 6, 6)
    assert (iteration.results_ok, iteration.results_failed) == (6, 0)
    entry = directory.root.find(".//dev:Resource", NS)
    assert entry.findtext("dev:ResourceStatus", namespaces=NS) == "FINISHED"
    assert entry.findtext("dev:Progress/dev:Done", namespaces=NS) == "6"

    # The restarted gateway took fresh counters: above the block the dead one had reserved.
    second_run = by_title(seen[seen_at_kill:])
    assert interrupted <= set(second_run)  # the interrupted meters were associated again
    for title, counters in second_run.items():
        if title in first_run:
            assert max(first_run[title]) < high_water[title] <= min(counters), title
    assert set(second_run) == set(titles) - {r.device_id for r in at_kill}
