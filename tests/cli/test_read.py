"""``cas read`` as a user runs it: a subprocess against simulated meters over TCP."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from cas.simulator import FleetThread, readings

COS = {"cos": "http://www.dlms.com/COSEMpdu"}


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    registry = tmp_path_factory.mktemp("read") / "registry.yaml"
    with FleetThread(count=1, transport="hdlc", security="hls-gmac") as fleet:
        fleet.write_registry(registry)
        yield fleet, registry


def cas_read(registry, *args: str, db=None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "cas", "read", "--registry", str(registry)]
    if db is not None:
        command += ["--db", str(db)]
    return subprocess.run(command + list(args), capture_output=True, text=True, timeout=60)


def test_reads_a_register(fleet, tmp_path):
    fleet, registry = fleet
    title = fleet.meters[0].system_title
    before = datetime.now(UTC)
    done = cas_read(registry, title, "3", "1.0.1.8.0.255", "2", db=tmp_path / "c.db")
    after = datetime.now(UTC)
    assert done.returncode == 0, done.stderr
    value = etree.fromstring(done.stdout.encode()).findtext(
        ".//cos:double-long-unsigned", namespaces=COS
    )
    assert int(value) in {readings.energy_import_wh(title, t) for t in (before, after)}


def test_reads_a_load_profile_range_by_device_id(fleet, tmp_path):
    fleet, registry = fleet
    meter = fleet.meters[0]
    end = readings.last_boundary(datetime.now(UTC)) - timedelta(days=2)
    start = end - timedelta(hours=6)
    done = cas_read(
        registry,
        meter.device_id,
        "7",
        "1.0.99.1.0.255",
        "2",
        "--from",
        start.isoformat(),
        "--to",
        end.isoformat(),
        db=tmp_path / "c.db",
    )
    assert done.returncode == 0, done.stderr
    rows = etree.fromstring(done.stdout.encode()).findall(".//cos:array/cos:structure", COS)
    assert len(rows) == 6 * 4 + 1
    assert [int(row[1].text) for row in rows] == [
        readings.energy_import_wh(meter.system_title, start + timedelta(minutes=15 * i))
        for i in range(len(rows))
    ]


def test_failures_are_clear(fleet, tmp_path):
    fleet, registry = fleet
    title = fleet.meters[0].system_title
    unknown = cas_read(registry, "NOPE", "3", "1.0.1.8.0.255", "2")
    assert unknown.returncode == 2 and "unknown device" in unknown.stderr
    bad_obis = cas_read(registry, title, "3", "1.0.1.8", "2")
    assert bad_obis.returncode == 2 and "OBIS" in bad_obis.stderr
    undefined = cas_read(registry, title, "3", "9.9.9.9.9.9", "2", db=tmp_path / "c.db")
    assert undefined.returncode == 1 and "object-undefined" in undefined.stderr
    assert "object-undefined" in undefined.stdout
    bad_time = cas_read(
        registry,
        title,
        "7",
        "1.0.99.1.0.255",
        "2",
        "--from",
        "yesterday",
        "--to",
        "2026-01-01T00:00",
    )
    assert bad_time.returncode != 0 and "ISO 8601" in bad_time.stderr


def test_unreachable_meter(tmp_path):
    registry = tmp_path / "r.yaml"
    registry.write_text(
        "meters:\n- {system_title: 53494D0000000099, host: 127.0.0.1, port: 1,"
        " response_timeout: 1}\n"
    )
    done = cas_read(registry, "53494D0000000099", "8", "0.0.1.0.0.255", "2", db=tmp_path / "c.db")
    assert done.returncode == 1
    assert "53494D0000000099" in done.stderr and "Traceback" not in done.stderr
