"""``cas read`` as a user runs it: a subprocess against simulated meters over TCP."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

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


PROFILE = ("7", "1.0.99.1.0.255", "2")
OUT_OF_RANGE = "cas read: the request cannot be encoded: /get-request/get-request-normal/"

USAGE_ERRORS = [
    pytest.param(
        ["NOPE", "3", "1.0.1.8.0.255", "2"], "cas read: unknown device: 'NOPE'", id="device"
    ),
    pytest.param(
        ["{title}", "3", "1.0.1.8", "2"],
        "cas read: not an OBIS code (A.B.C.D.E.F): '1.0.1.8'",
        id="obis-short",
    ),
    pytest.param(
        ["{title}", "3", "1.0.1.8.0.256", "2"],
        "cas read: OBIS groups are 0..255: '1.0.1.8.0.256'",
        id="obis-group",
    ),
    pytest.param(
        ["{title}", "70000", "1.0.1.8.0.255", "2"],
        OUT_OF_RANGE + "cosem-attribute-descriptor/class-id: 70000 is out of range (0..65535)",
        id="class-range",
    ),
    pytest.param(
        ["{title}", "3", "1.0.1.8.0.255", "300"],
        OUT_OF_RANGE + "cosem-attribute-descriptor/attribute-id: 300 is out of range (-128..127)",
        id="attribute-range",
    ),
    pytest.param(
        ["{title}", "x", "1.0.1.8.0.255", "2"],
        "cas read: error: argument class_id: invalid int value: 'x'",
        id="class-not-int",
    ),
    pytest.param(
        ["{title}", "3", "1.0.1.8.0.255", "value"],
        "cas read: error: argument attribute: invalid int value: 'value'",
        id="attribute-not-int",
    ),
    pytest.param(
        ["{title}", *PROFILE, "--from", "yesterday", "--to", "2026-01-01T00:00"],
        "cas read: --from 'yesterday' is not an ISO 8601 date-time",
        id="from",
    ),
    pytest.param(
        ["{title}", *PROFILE, "--from", "2026-01-01T00:00", "--to", "2026-13-01"],
        "cas read: --to '2026-13-01' is not an ISO 8601 date-time",
        id="to",
    ),
    pytest.param(
        ["{title}", *PROFILE, "--from", "2026-01-02T00:00Z", "--to", "2026-01-01T00:00Z"],
        "cas read: --from '2026-01-02T00:00Z' is after --to '2026-01-01T00:00Z'",
        id="range-reversed",
    ),
    pytest.param(
        ["{title}", *PROFILE, "--from", "2026-01-01T00:00"],
        "cas read: give both --from and --to, or neither",
        id="from-alone",
    ),
]


@pytest.mark.parametrize(("arguments", "message"), USAGE_ERRORS)
def test_usage_errors_exit_2_before_reaching_the_meter(
    fleet: tuple[FleetThread, Path], tmp_path: Path, arguments: list[str], message: str
) -> None:
    fleet, registry = fleet
    title = fleet.meters[0].system_title
    connections = fleet[0].stats.connections
    db = tmp_path / "c.db"
    done = cas_read(registry, *(a.format(title=title) for a in arguments), db=db)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[-1] == message  # argparse prints its usage first
    assert done.stdout == ""
    assert fleet[0].stats.connections == connections  # the meter was never contacted
    assert not db.exists()  # nor the state file opened


def test_a_missing_registry_file_is_a_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    done = cas_read(missing, "53494D0000000099", "3", "1.0.1.8.0.255", "2")
    assert done.returncode == 2
    assert done.stderr == f"cas read: cannot read registry {missing}: No such file or directory\n"


def test_an_unusable_state_file_is_a_usage_error(
    fleet: tuple[FleetThread, Path], tmp_path: Path
) -> None:
    fleet, registry = fleet
    connections = fleet[0].stats.connections
    db = tmp_path / "missing" / "c.db"
    done = cas_read(registry, fleet.meters[0].system_title, "8", "0.0.1.0.0.255", "2", db=db)
    assert done.returncode == 2
    reason = "unable to open database file"  # sqlite's
    assert done.stderr == f"cas read: cannot open the state file {db}: {reason}\n"
    assert fleet[0].stats.connections == connections


def test_a_data_access_result_error_exits_1(
    fleet: tuple[FleetThread, Path], tmp_path: Path
) -> None:
    fleet, registry = fleet
    title = fleet.meters[0].system_title
    done = cas_read(registry, title, "3", "9.9.9.9.9.9", "2", db=tmp_path / "c.db")
    assert done.returncode == 1
    assert done.stderr == "cas read: the meter answered data-access-result object-undefined\n"
    answer = etree.fromstring(done.stdout.encode())
    assert answer.findtext(".//cos:data-access-result", namespaces=COS) == "object-undefined"


def test_unreachable_meter(tmp_path):
    registry = tmp_path / "r.yaml"
    registry.write_text(
        "meters:\n- {system_title: 53494D0000000099, host: 127.0.0.1, port: 1,"
        " response_timeout: 1}\n"
    )
    done = cas_read(registry, "53494D0000000099", "8", "0.0.1.0.0.255", "2", db=tmp_path / "c.db")
    assert done.returncode == 1
    assert done.stderr.startswith("cas read: meter 53494D0000000099: ")
    assert "Traceback" not in done.stderr and done.stdout == ""
