"""Fleets at scale: 10,000 meters in one process, latency, failures, network segments, and
the same options in a ``cas simulate`` child with its status file."""

from __future__ import annotations

import asyncio
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import pytest

from cas.dlms import MemoryInvocationCounterStore, SessionPool
from cas.simulator import MeterFleet, SegmentStats, plan, readings, sockets
from cas.simulator.process import FleetProcess

from .plain_client import (
    CLOCK,
    ENERGY_IMPORT,
    SERIAL,
    NoAnswer,
    PlainClient,
    double_long_unsigned,
    get_request,
    visible_string,
)


async def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.005)


async def read_serial_and_energy(meter) -> tuple[str, int, float, float]:
    client = PlainClient(meter)
    try:
        await client.associate()
        before = time.time()
        serial = visible_string(await client.get(SERIAL))
        energy = double_long_unsigned(await client.get(ENERGY_IMPORT))
        after = time.time()
        await client.release()
    finally:
        await client.close()
    return serial, energy, before, after


def energy_between(title: str, before: float, after: float) -> set[int]:
    """Values valid for a read between two instants (a 15-minute boundary may fall between)."""
    from datetime import UTC, datetime

    return {
        readings.energy_import_wh(title, datetime.fromtimestamp(t, UTC)) for t in (before, after)
    }


async def test_ten_thousand_meters_in_one_process() -> None:
    fleet = MeterFleet(count=10_000, segments=10)
    started = time.perf_counter()
    try:
        await fleet.start()
    except OSError as error:
        if "no free port left" in str(error):  # other processes hold most of the range
            pytest.skip(str(error))
        raise
    async with fleet:
        took = time.perf_counter() - started
        assert took < 60, f"10,000 meters took {took:.1f} s to start (about 0.5 s measured)"
        meters = fleet.meters
        assert len({m.port for m in meters}) == len({m.system_title for m in meters}) == 10_000
        assert fleet.open_files_limit is not None and fleet.open_files_limit[0] >= 10_000

        sample = meters[::50]  # 200 meters spread over the fleet, 50 at a time
        slots = asyncio.Semaphore(50)

        async def read(meter):
            async with slots:
                return await read_serial_and_energy(meter)

        results = await asyncio.gather(*(read(m) for m in sample))
        for meter, (serial, energy, before, after) in zip(sample, results, strict=True):
            assert serial == readings.serial_number(meter.system_title)
            assert energy in energy_between(meter.system_title, before, after)
        assert fleet.stats.associations == 200 and fleet.stats.connections == 200
        assert sum(s.connections for s in fleet.segments.values()) == 200
        assert fleet[9_950].stats.associations == 1 and fleet[9_951].stats.associations == 0

        # The gateway's engine reads a few as well.
        pool = SessionPool(MemoryInvocationCounterStore())
        try:
            for meter in meters[5::2_000]:
                response = await pool.request(meter, get_request(*SERIAL))
                assert response[:4] == b"\xc4\x01\xc1\x00"
                assert visible_string(response[4:]) == readings.serial_number(meter.system_title)
        finally:
            await pool.close()
        assert fleet.stats.associations == 205


async def test_latency_is_waited_before_each_reply() -> None:
    async with MeterFleet(count=3, latency=0.2, latency_jitter=0.05) as fleet:
        fleet[2].latency = fleet[2].latency_jitter = 0.0  # per-meter override
        slow, fast = PlainClient(fleet.meters[0]), PlainClient(fleet.meters[2])
        try:
            await slow.associate()
            for _ in range(4):
                await slow.get(CLOCK)
            assert min(slow.round_trips) >= 0.15 - 0.005
            assert max(slow.round_trips) < 0.25 + 1.0  # upper bound: a loaded machine
            assert len({round(t, 4) for t in slow.round_trips}) > 1  # jitter

            await fast.associate()
            for _ in range(4):
                await fast.get(CLOCK)
            assert statistics.median(fast.round_trips) < 0.1

            fleet[0].faults.delay = 0.2  # the delay fault adds to the latency
            started = time.monotonic()
            await slow.get(CLOCK)
            assert time.monotonic() - started >= 0.35 - 0.005
            fleet[0].faults.delay = 0.0

            # Requests sent back to back are answered in order, each after its latency.
            assert slow.writer is not None and slow.reader is not None
            from .plain_client import wrap

            started = time.monotonic()
            slow.writer.write(wrap(get_request(*SERIAL)) + wrap(get_request(*CLOCK)))
            first = await slow.reader.readexactly(8)
            first += await slow.reader.readexactly(int.from_bytes(first[6:8], "big"))
            second = await slow.reader.readexactly(8)
            second += await slow.reader.readexactly(int.from_bytes(second[6:8], "big"))
            assert time.monotonic() - started >= 2 * 0.15 - 0.01
            assert visible_string(first[12:]) == readings.serial_number(fleet[0].system_title)
            assert second[12] == 0x09  # the clock's octet string
        finally:
            await slow.close()
            await fast.close()


async def test_a_client_that_does_not_wait_for_answers_is_dropped() -> None:
    from .plain_client import wrap

    async with MeterFleet(count=1, latency=0.5) as fleet:
        client = PlainClient(fleet.meters[0])
        await client.connect()
        assert client.writer is not None and client.reader is not None
        try:
            client.writer.write(wrap(get_request(*CLOCK)) * 100)  # no AARQ, no waiting
            await wait_for(lambda: fleet.stats.open_connections == 0, timeout=5.0)
            assert await asyncio.wait_for(client.reader.read(), 5.0) == b""  # closed, unanswered
        finally:
            await client.close()


async def test_failure_rate_takes_down_the_documented_subset() -> None:
    fleet = MeterFleet(count=200, failure_rate=0.05, seed=9)
    expected = sorted(random.Random("cas-simulator/down/9").sample(range(200), 10))
    assert fleet.down == expected == plan.down_indices(200, 0.05, 9)
    assert [m.index for m in fleet if m.down] == expected
    assert MeterFleet(count=3, failure_rate=0.4).down == plan.down_indices(3, 0.4, 1)
    assert len(plan.down_indices(3, 0.4, 1)) == 1  # round(1.2)
    async with fleet:
        up = [i for i in range(0, 200, 20) if i not in expected]

        async def answers(index: int) -> bool:
            client = PlainClient(fleet.meters[index], timeout=0.5)
            try:
                await client.associate()
                return True
            except NoAnswer:
                return False
            finally:
                await client.close()

        outcomes = await asyncio.gather(*(answers(i) for i in expected + up))
        assert outcomes == [False] * len(expected) + [True] * len(up)
        assert all(fleet[i].stats.connections == 1 for i in expected)  # accepted, unanswered
        assert all(fleet[i].stats.associations == 0 for i in expected)

        fleet[expected[0]].faults.no_answer = False  # per-meter override: back up
        fleet[up[0]].faults.no_answer = True  # and another one down
        assert await answers(expected[0]) and not await answers(up[0])


@pytest.mark.parametrize(
    "options",
    [
        {"failure_rate": 1.5},
        {"failure_rate": -0.1},
        {"segments": 0},
        {"segments": 5},  # more segments than meters
        {"segments": 2, "segment_layout": "random"},
        {"latency": -1.0},
        {"latency": 0.1, "latency_jitter": 0.2},
    ],
)
def test_scale_options_are_checked(options: dict) -> None:
    with pytest.raises(ValueError):
        MeterFleet(count=4, **options)


def test_segment_layouts() -> None:
    round_robin = MeterFleet(count=7, segments=3)
    assert [m.network_segment for m in round_robin.meters] == [f"seg-{i % 3}" for i in range(7)]
    assert [s.meters for s in round_robin.segments.values()] == [3, 2, 2]
    blocks = MeterFleet(count=10, segments=3, segment_layout="blocks")
    assert [m.network_segment[-1] for m in blocks.meters] == list("0000111222")
    assert [m.network_segment for m in MeterFleet(count=2).meters] == ["default", "default"]


def test_segment_stats_peaks_and_rates() -> None:
    segment = SegmentStats("seg-x")
    for at in (0.0, 0.5, 0.9, 1.6, 1.7, 1.8, 1.85):
        segment.opened(at)
    assert segment.peak_rate == 5  # 0.9, 1.6, 1.7, 1.8, 1.85 within (0.85, 1.85]
    assert segment.max_starts_within(1.0) == 5 and segment.max_starts_within(0.2) == 3
    assert segment.peak_open_connections == segment.open_connections == 7
    for _ in range(5):
        segment.closed()
    segment.reset_peaks()
    assert (segment.peak_open_connections, segment.peak_rate, len(segment.starts)) == (2, 0, 0)
    segment.opened(10.0)
    assert segment.peak_open_connections == 3 and segment.peak_rate == 1
    assert segment.connections == 8


async def test_segments_count_concurrent_connections_and_their_peaks() -> None:
    async with MeterFleet(count=12, segments=3) as fleet:
        seg0, seg1 = fleet.segments["seg-0"], fleet.segments["seg-1"]
        targets = fleet.meters[1::3]  # meters 1, 4, 7, 10: all in seg-1
        assert {m.network_segment for m in targets} == {"seg-1"} and seg1.meters == 4
        opened = [await asyncio.open_connection(m.host, m.port) for m in targets]
        opened.append(await asyncio.open_connection(targets[0].host, targets[0].port))
        await wait_for(lambda: seg1.open_connections == 5)
        assert seg1.peak_open_connections == 5 and seg1.peak_rate == 5
        assert seg0.open_connections == seg0.peak_open_connections == seg0.connections == 0
        assert fleet.stats.open_connections == fleet.stats.peak_open_connections == 5

        for _, writer in opened[:3]:
            writer.close()
        await wait_for(lambda: seg1.open_connections == 2)
        assert seg1.peak_open_connections == 5

        fleet.reset_peaks()
        assert seg1.peak_open_connections == 2 and seg1.peak_rate == 0 and not seg1.starts
        assert fleet.stats.peak_open_connections == 2
        opened.append(await asyncio.open_connection(targets[3].host, targets[3].port))
        other = fleet.meters[0]
        opened.append(await asyncio.open_connection(other.host, other.port))
        await wait_for(lambda: seg1.open_connections == 3 and seg0.open_connections == 1)
        assert seg1.peak_open_connections == 3 and seg1.connections == 6
        assert len(seg1.starts) == 1 and seg1.peak_rate == 1
        assert fleet.stats.peak_open_connections == 4 and fleet.stats.connections == 7

        for _, writer in opened[3:]:
            writer.close()
        await wait_for(lambda: fleet.stats.open_connections == 0)
        assert seg1.open_connections == seg0.open_connections == 0


def test_open_files_limit_is_raised_to_the_hard_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard < 1_100:
        pytest.skip(f"hard open-files limit {hard}")
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (1_000, hard))
        assert sockets.ensure_open_files(500) == (1_000, hard)  # enough: unchanged
        assert sockets.ensure_open_files(1_050) == (hard, hard)
        assert resource.getrlimit(resource.RLIMIT_NOFILE) == (hard, hard)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_fleet_process_with_scale_options_reports_its_status() -> None:
    process = FleetProcess(
        meters=40, segments=4, failure_rate=0.1, latency=0.02, seed=4, status_interval=0.2
    )
    meters = process.start()
    try:
        assert process.down == plan.down_indices(40, 0.1, 4) and len(process.down) == 4
        assert [m.network_segment for m in meters] == [f"seg-{i % 4}" for i in range(40)]
        status = process.status(fresh=True)
        assert status["pid"] == process.pid and status["meters"] == 40 and status["down"] == 4
        assert set(status["segments"]) == {"seg-0", "seg-1", "seg-2", "seg-3"}
        assert status["segments"]["seg-0"]["meters"] == 10

        seg0_up = [m for i, m in enumerate(meters) if i % 4 == 0 and i not in process.down][:3]

        async def scenario() -> None:
            clients = [PlainClient(m) for m in seg0_up]
            try:
                await asyncio.gather(*(c.associate() for c in clients))
                serial = visible_string(await clients[0].get(SERIAL))
                assert serial == readings.serial_number(seg0_up[0].system_title)
                assert min(clients[0].round_trips) >= 0.02 - 0.005
                now = await asyncio.to_thread(process.status, True)
                assert now["segments"]["seg-0"]["open_connections"] == 3
                assert now["segments"]["seg-0"]["peak_open_connections"] == 3
                assert now["stats"]["associations"] == 3
            finally:
                for client in clients:
                    await client.close()
            down = PlainClient(meters[process.down[0]], timeout=0.3)
            try:
                with pytest.raises(NoAnswer):
                    await down.associate()
            finally:
                await down.close()

        asyncio.run(scenario())
        deadline = time.monotonic() + 10
        while process.status(fresh=True)["stats"]["open_connections"]:
            assert time.monotonic() < deadline
        after = process.reset_peaks()
        assert after["resets"] == 1
        assert after["segments"]["seg-0"]["peak_open_connections"] == 0
        assert after["stats"]["peak_open_connections"] == 0
        assert process.cpu_seconds() > 0 and after["cpu_seconds"] > 0
    finally:
        assert process.stop() == 0
    assert process.final_status["stats"]["associations"] == 3
    assert process.final_status["stats"]["connections"] == 4


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--failure-rate", "1.5"], "failure rate"),
        (["--segments", "0"], "segments"),
        (["--latency", "0.1", "--latency-jitter", "0.5"], "jitter"),
    ],
)
def test_cas_simulate_refuses_bad_scale_options(options: list[str], message: str, tmp_path):
    command = [sys.executable, "-m", "cas", "simulate", "--port", "0", "--meters", "3"]
    result = subprocess.run(
        [*command, "--registry", str(tmp_path / "r.yaml"), *options],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and message in result.stderr and result.stdout == ""


def test_free_ports_are_found_without_the_kernels_search(monkeypatch) -> None:
    family, address = sockets.listen_address("127.0.0.1")
    ranges = sockets._port_ranges()
    assert ranges[0] == (10_000, 32_767) and len(ranges) == 2  # below the ephemeral range
    monkeypatch.setattr(sockets, "_full_until", {})
    taken = sockets.listening_socket(family, address, 0)
    try:
        busy = taken.getsockname()[1]
        assert any(low <= busy <= high for low, high in ranges)
        monkeypatch.setattr(sockets, "BIND_ATTEMPTS", 2)
        monkeypatch.setattr(sockets._random, "randint", lambda a, b: busy)  # always taken
        fallback = sockets.listening_socket(family, address, 0)  # then the kernel's search
        low, high = ranges[-1]
        assert low <= fallback.getsockname()[1] <= high
        fallback.close()
        assert set(sockets._full_until) == set(ranges)  # both skipped for a while now
        with pytest.raises(OSError):  # a given port in use is an error, not a retry
            sockets.listening_socket(family, address, busy)
    finally:
        taken.close()


async def test_registry_file_is_json_the_registry_reads_as_yaml(tmp_path) -> None:
    from cas.registry import RegistryError, load_meters, save_meters
    from cas.simulator import registry_file

    async with MeterFleet(count=5, security="low", transport="hdlc", segments=2) as fleet:
        fleet.write_registry(tmp_path / "fleet.yaml")
        assert (tmp_path / "fleet.yaml").stat().st_mode & 0o777 == 0o600
        assert load_meters(tmp_path / "fleet.yaml") == fleet.meters  # the registry's reader
        assert registry_file.load(tmp_path / "fleet.yaml") == fleet.meters
        save_meters(tmp_path / "plain.yaml", fleet.meters)  # block-style YAML reads too
        assert registry_file.load(tmp_path / "plain.yaml") == fleet.meters
    (tmp_path / "bad.yaml").write_text("meters: [ {")
    with pytest.raises(RegistryError):
        registry_file.load(tmp_path / "bad.yaml")
    (tmp_path / "bad.yaml").write_text('{"meters": [{"system_title": "XYZ"}]}')
    with pytest.raises(RegistryError):
        registry_file.load(tmp_path / "bad.yaml")
