"""Redis restarted under a RedisStore: on a private redis-server (own port, own directory,
AOF on) — the shared server at 6379 keeps nothing on disk and is never restarted here.

The store keeps working across the restart (redis-py retries the command in flight, or a
call fails with a ConnectionError and the next one works), and the schedule, the queued and
claimed tasks, the results and the counters are all still there afterwards. Without AOF
they are gone: production Redis needs ``appendonly yes``.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis
from redis.exceptions import ConnectionError as RedisConnectionError

from cas.store import Task
from cas.store.redis import RedisStore
from tests.store.test_contract import T0, iteration, resource, result, seconds

REDIS_SERVER = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A redis-server of our own in ``directory`` on a free port; start/stop/kill at will."""

    def __init__(
        self, directory: Path, *, persistent: bool = True, appendfsync: str = "everysec"
    ) -> None:
        self.directory = directory
        self.persistent = persistent
        self.appendfsync = appendfsync
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = [
            REDIS_SERVER,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.directory),
            "--save", "",
            "--appendonly", "yes" if self.persistent else "no",
            "--appendfsync", self.appendfsync,
            "--logfile", str(self.directory / "redis.log"),
        ]  # fmt: skip
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 20
        try:
            while True:
                try:
                    if client.ping():
                        return
                except redis.exceptions.BusyLoadingError:
                    pass  # loading the AOF
                except redis.exceptions.ConnectionError:
                    if self.process.poll() is not None:
                        raise RuntimeError(
                            f"redis-server exited: {self.process.stderr.read().decode()}"
                        ) from None
                if time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not answer within 20 s")
                time.sleep(0.02)
        finally:
            client.close()

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """SIGTERM: a clean shutdown (AOF flushed); SIGKILL: a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=20)
        self.process = None

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop(signal.SIGKILL)


async def _fill(store: RedisStore) -> list[Task]:
    """Scheduled resources, an iteration with tasks (some claimed), results and counters."""
    for index in range(20):
        await store.create_resource(resource(f"R-{index:02d}"), T0 + seconds(index))
    tasks = [Task("R-00", 0, f"D{i}", 4, due=T0) for i in range(6)]
    await store.start_iteration(iteration("R-00", 0, tasks=len(tasks)), tasks)
    claimed = await store.claim_tasks("worker-a", T0, 2, lease=30)
    await store.complete_task(claimed[0], "worker-a", [result("R-00", 0, claimed[0].device_id)])
    await store.put_results([result("R-01", 0, "D1", captured=T0)])
    assert await store.reserve("53494D0000000001", 100) == 1
    await store.record_received("53494D0000000001", 77)
    return claimed


async def _check_everything_is_back(store: RedisStore, claimed: list[Task]) -> None:
    due = await store.claim_due(T0 + seconds(100), 100, "scheduler", 30)
    assert [rid for rid, _ in due] == [f"R-{index:02d}" for index in range(20)]
    assert due[5] == ("R-05", T0 + seconds(5))
    queued = await store.claim_tasks("worker-b", T0 + seconds(1), 10, 30)
    assert sorted(t.device_id for t in queued) == sorted(
        {f"D{i}" for i in range(6)} - {t.device_id for t in claimed}
    )
    # the claim held across the restart is handed out again after its lease, recovered
    (again,) = await store.claim_tasks("worker-b", T0 + seconds(31), 10, 30)
    assert again.device_id == claimed[1].device_id and again.recovered
    assert (await store.get_iteration("R-00", 0)).tasks_done == 1
    assert [r.device_id for r in await store.results("R-00")] == [claimed[0].device_id]
    assert (await store.cached_result("D1", result().request_key, T0)).resource_id == "R-01"
    assert await store.reserve("53494D0000000001", 1) == 101
    assert await store.last_received("53494D0000000001") == 77


async def test_a_restart_is_ridden_out_and_nothing_is_lost(tmp_path):
    with RedisServer(tmp_path) as server:
        store = await RedisStore.open(server.url, prefix="cas:")
        try:
            claimed = await _fill(store)
            server.stop()
            # A call made while Redis is down waits (retries with backoff) and succeeds once
            # Redis is back.
            pending = asyncio.create_task(store.next_due())
            await asyncio.sleep(0.3)
            assert not pending.done()
            await asyncio.to_thread(server.start)
            assert await asyncio.wait_for(pending, timeout=30) == T0
            # the scripts were flushed with the restart: they are loaded again on first use
            await _check_everything_is_back(store, claimed)
        finally:
            await store.close()


async def test_a_call_during_a_long_outage_fails_clearly_and_the_next_one_works(tmp_path):
    with RedisServer(tmp_path) as server:
        store = await RedisStore.open(server.url, prefix="cas:", retries=2)
        try:
            claimed = await _fill(store)
            server.stop()
            with pytest.raises(RedisConnectionError, match="onnect"):
                await store.claim_due(T0 + seconds(100), 100, "scheduler", 30)
            server.start()
            await _check_everything_is_back(store, claimed)
        finally:
            await store.close()


async def test_a_redis_crash_keeps_what_was_acknowledged_with_appendfsync_always(tmp_path):
    with RedisServer(tmp_path, appendfsync="always") as server:
        store = await RedisStore.open(server.url, prefix="cas:")
        try:
            claimed = await _fill(store)
            server.stop(signal.SIGKILL)
            server.start()
            await _check_everything_is_back(store, claimed)
        finally:
            await store.close()


async def test_without_aof_a_restart_loses_the_schedule(tmp_path, caplog):
    """Why production Redis needs AOF: the same restart without it forgets everything (and
    the store warns about it when it opens)."""
    with RedisServer(tmp_path, persistent=False) as server:
        store = await RedisStore.open(server.url, prefix="cas:")
        try:
            assert "without AOF persistence" in caplog.text
            await _fill(store)
            server.stop()
            server.start()
            assert await store.next_due() is None
            assert await store.claim_tasks("w", T0 + seconds(100), 10, 30) == []
        finally:
            await store.close()
