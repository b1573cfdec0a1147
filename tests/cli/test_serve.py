"""``cas serve`` as an operator runs it: real processes, SQLite or Redis, roles, SIGKILL."""

from __future__ import annotations

import os
import signal
import socket
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
from tests.support.redis_keys import drop_prefix
from tests.support.serve import Serve
from tests.support.soap import device_access, envelope, get_xml

ENERGY = (3, "1.0.1.8.0.255", 2)
TCP_LISTEN = "0A"
NO_CREDENTIALS = {"CAS_USERS": "", "CAS_API_KEYS": ""}


def _address(hex_address: str) -> str:
    """An address of /proc/net/tcp{,6}: 32-bit words in host (little-endian) order."""
    raw = bytes.fromhex(hex_address)
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return socket.inet_ntop(socket.AF_INET if len(raw) == 4 else socket.AF_INET6, words)


def listening_sockets(pid: int) -> set[tuple[str, int]]:
    """The (address, port) of every TCP socket process ``pid`` listens on, from /proc."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except FileNotFoundError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            next(lines)  # the column names
            for line in lines:
                fields = line.split()
                local, state, inode = fields[1], fields[3], fields[9]
                if state == TCP_LISTEN and inode in inodes:
                    address, port = local.split(":")
                    found.add((_address(address), int(port, 16)))
    return found


def wait_listening(server: Serve, timeout: float = 60) -> set[tuple[str, int]]:
    deadline = time.monotonic() + timeout
    while not (found := listening_sockets(server.process.pid)):
        if server.process.poll() is not None:
            raise AssertionError(f"cas serve exited: {server.process.stderr.read()}")
        assert time.monotonic() < deadline, "cas serve does not listen"
        time.sleep(0.05)
    return found


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


def test_no_credentials_on_all_interfaces_falls_back_to_localhost(fleet, tmp_path):
    fleet, registry = fleet
    title = fleet.meters[0].system_title
    server = Serve(
        registry, "--host", "0.0.0.0", "--db", str(tmp_path / "s.db"), env=NO_CREDENTIALS
    )
    try:
        assert server.process.stderr.readline() == (
            "cas serve: no client authentication configured: listening on 127.0.0.1 only"
            " (not 0.0.0.0); configure --auth-file or $CAS_USERS / $CAS_API_KEYS\n"
        )
        assert f"SOAP endpoint http://127.0.0.1:{server.port}/cas " in server.banner
        server.wait_http()  # connecting to 127.0.0.1 works
        assert listening_sockets(server.process.pid) == {("127.0.0.1", server.port)}
        reply = server.post(
            envelope("create", "DeviceAccess", device_access([title], [get_xml(*ENERGY)]))
        )
        assert reply.result == "OK"  # no credentials needed on localhost
    finally:
        server.stop()


def test_no_credentials_on_another_loopback_address_listens_there(fleet, tmp_path):
    """The control of the test above: a loopback --host is kept, and /proc shows it."""
    fleet, registry = fleet
    server = Serve(
        registry, "--host", "127.0.0.2", "--db", str(tmp_path / "s.db"), env=NO_CREDENTIALS
    )
    try:
        assert server.process.stderr.readline() == (
            "cas serve: no client authentication configured (localhost only)\n"
        )
        assert f"SOAP endpoint http://127.0.0.2:{server.port}/cas " in server.banner
        assert wait_listening(server) == {("127.0.0.2", server.port)}
        health = httpx.get(f"http://127.0.0.2:{server.port}/health", timeout=10)
        assert health.status_code == 200
    finally:
        server.stop()


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
        await drop_prefix(REDIS_URL, prefix)
        await store.close()
