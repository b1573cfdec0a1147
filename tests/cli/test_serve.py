"""``cas serve`` as an operator runs it: real processes, SQLite or Redis, roles, SIGKILL."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime

import httpx
import pytest

from cas.simulator import FleetThread, readings
from cas.store import IterationStatus
from cas.store.redis import RedisStore
from tests.store.conftest import REDIS_URL
from tests.support.serve import Serve
from tests.support.soap import device_access, envelope, get_xml

ENERGY = (3, "1.0.1.8.0.255", 2)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    registry = tmp_path_factory.mktemp("serve") / "registry.yaml"
    with FleetThread(count=6) as fleet:
        fleet.write_registry(registry)
        yield fleet, registry


def test_serve_on_sqlite_answers_and_stops_cleanly(fleet, tmp_path):
    fleet, registry = fleet
    title = fleet.meters[0].system_title
    server = Serve(registry, "--db", str(tmp_path / "state.db"))
    try:
        assert "store SQLite" in server.banner and "/cas" in server.banner
        server.wait_http()
        before = datetime.now(UTC)
        reply = server.post(
            envelope("create", "DeviceAccess", device_access([title], [get_xml(*ENERGY)]))
        )
        assert reply.result == "OK"
        value = int(reply.results(0)[0].value(".//cos:double-long-unsigned"))
        assert value in {readings.energy_import_wh(title, t) for t in (before, datetime.now(UTC))}
        wsdl = httpx.get(server.url + "?wsdl", timeout=10)
        assert wsdl.status_code == 200 and server.url.encode() in wsdl.content
    finally:
        # uvicorn shuts down gracefully, then re-raises the signal it caught
        assert server.stop() in (0, -signal.SIGTERM)
    assert (tmp_path / "state.db").exists()


def test_bad_configurations_are_refused_clearly(fleet, tmp_path):
    fleet, registry = fleet
    worker = subprocess.run(
        [sys.executable, "-m", "cas", "serve", "--registry", str(registry), "--role", "worker"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert worker.returncode == 2 and "--redis" in worker.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "cas", "serve", "--registry", str(tmp_path / "none.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 2 and "cannot read registry" in missing.stderr
    nowhere = subprocess.run(
        [
            sys.executable,
            "-m",
            "cas",
            "serve",
            "--registry",
            str(registry),
            "--redis",
            "redis://127.0.0.1:1/0",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert nowhere.returncode == 1 and "cannot open the store" in nowhere.stderr
    assert "Traceback" not in nowhere.stderr


async def wait_for_iteration(store: RedisStore, resource_id: str, timeout: float):
    import asyncio

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        iterations = await store.iterations(resource_id)
        if iterations and iterations[0].status is not IterationStatus.EXECUTING:
            return iterations[0]
        await asyncio.sleep(0.1)
    raise AssertionError("the iteration did not finish")


async def test_two_nodes_on_redis_finish_a_group_when_one_worker_is_killed(fleet):
    fleet, registry = fleet
    for meter in fleet:
        meter.faults.delay = 0.4  # slow meters: the killed worker holds claims mid-group
    prefix = f"cas-test:{uuid.uuid4().hex}:"
    env = {"CAS_REDIS_PREFIX": prefix}
    tuning = ["--worker-concurrency", "2", "--task-lease", "2", "--poll-interval", "0.2"]
    api = Serve(registry, "--redis", REDIS_URL, "--role", "api", env=env)
    doomed = Serve(registry, "--redis", REDIS_URL, "--role", "worker", *tuning, env=env)
    survivor = None
    store = await RedisStore.open(REDIS_URL, prefix=prefix)
    try:
        api.wait_http()
        titles = [m.system_title for m in fleet.meters]
        created = api.post(
            envelope(
                "create",
                "DeviceAccess",
                device_access(
                    titles,
                    [get_xml(*ENERGY)],
                    f"<dev:Activates>{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}</dev:Activates>",
                ),
            )
        )
        assert created.result == "OK", created.error_codes
        (resource_id,) = created.ids
        deadline = time.monotonic() + 20
        while not await store.iterations(resource_id):  # the doomed worker started it
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.5)  # it now holds claims on meters it is talking to
        doomed.stop(signal.SIGKILL)
        survivor = Serve(registry, "--redis", REDIS_URL, "--role", "worker", *tuning, env=env)
        iteration = await wait_for_iteration(store, resource_id, timeout=60)
        results = await store.results(resource_id)
        assert sorted(r.device_id for r in results) == sorted(titles)  # each once, none lost
        assert all(r.ok for r in results)
        assert iteration.status is IterationStatus.OK
        reply = api.post(envelope("get", "DeviceAccess", request=f"<mes:ID>{resource_id}</mes:ID>"))
        assert sorted(r.device_id for r in reply.results(0)) == sorted(titles)
    finally:
        for meter in fleet:
            meter.faults.reset()
        api.stop()
        doomed.stop(signal.SIGKILL)
        if survivor is not None:
            survivor.stop()
        keys = [key async for key in store._client.scan_iter(match=f"{prefix}*", count=1000)]
        if keys:
            await store._client.delete(*keys)
        await store.close()
