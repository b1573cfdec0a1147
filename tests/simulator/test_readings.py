"""The deterministic values, checked against their documented formulas computed naively."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cas.simulator import credentials, readings
from cas.simulator.axdr import cosem_datetime, parse_cosem_datetime

TITLE = credentials.system_title(1, 0)
QUARTER = timedelta(minutes=15)
moments = st.datetimes(
    min_value=datetime(2001, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
)


def naive_import_interval(title: str, k: int) -> int:
    """The docstring's formula for interval k, written out without prefix sums."""
    h = hashlib.sha256(title.encode()).digest()
    slot = k % 96
    return 20 + h[0] % 40 + (1 + h[1] % 5) * max(0, 24 - abs(slot - 72))


def naive_export_interval(title: str, k: int) -> int:
    h = hashlib.sha256(title.encode()).digest()
    return (2 + h[5] % 6) * max(0, 24 - abs(k % 96 - 48))


def test_system_titles_and_secrets_are_reproducible_and_distinct() -> None:
    assert TITLE == "53494D00000F4241"  # "SIM" + serial 1_000_001
    titles = {credentials.system_title(seed, i) for seed in (1, 2) for i in range(100)}
    assert len(titles) == 200
    a = credentials.secrets_for(1, TITLE)
    assert a == credentials.secrets_for(1, TITLE)
    b = credentials.secrets_for(1, credentials.system_title(1, 1))
    wrong = credentials.secrets_for(1, TITLE, wrong=True)
    for other in (b, wrong):
        assert other.block_cipher_key != a.block_cipher_key
        assert other.authentication_key != a.authentication_key
        assert other.password != a.password
    assert len(a.block_cipher_key) == len(a.authentication_key) == 16
    assert "password" not in repr(a) or a.password.decode() not in repr(a)


def test_serial_number() -> None:
    assert readings.serial_number(TITLE) == "SIM0001000001"
    assert readings.serial_number(bytes.fromhex(TITLE)) == "SIM0001000001"


@settings(max_examples=60, deadline=None)
@given(moments)
def test_energy_follows_the_interval_formula(at: datetime) -> None:
    boundary = readings.last_boundary(at)
    n = readings.boundary_number(at)
    assert boundary <= at < boundary + QUARTER
    # Constant within an interval, increasing by exactly one interval's energy at the next.
    assert readings.energy_import_wh(TITLE, boundary) == readings.energy_import_wh(TITLE, at)
    nxt = boundary + QUARTER
    assert readings.energy_import_wh(TITLE, nxt) - readings.energy_import_wh(
        TITLE, at
    ) == naive_import_interval(TITLE, n)
    assert readings.energy_export_wh(TITLE, nxt) - readings.energy_export_wh(
        TITLE, at
    ) == naive_export_interval(TITLE, n)
    assert 2280 <= readings.voltage_l1_decivolt(TITLE, at) <= 2320


def test_energy_is_the_documented_cumulative_sum() -> None:
    h = hashlib.sha256(TITLE.encode()).digest()
    start = 1_000_000 + int.from_bytes(h[2:5], "big") % 9_000_000
    three_days = 3 * 96 + 17
    at = readings.EPOCH + QUARTER * three_days + timedelta(minutes=7)
    expected = start + sum(naive_import_interval(TITLE, k) for k in range(three_days))
    assert readings.energy_import_wh(TITLE, at) == expected
    export_start = 100_000 + int.from_bytes(h[6:9], "big") % 900_000
    assert readings.energy_export_wh(TITLE, at) == export_start + sum(
        naive_export_interval(TITLE, k) for k in range(three_days)
    )
    n = three_days
    assert readings.voltage_l1_decivolt(TITLE, at) == 2300 + ((h[9] + 7 * n) % 41) - 20


def test_load_profile_rows_match_the_register() -> None:
    now = datetime(2025, 3, 10, 12, 7, 30, tzinfo=UTC)
    rows = readings.load_profile_rows(TITLE, now)
    assert len(rows) == readings.PROFILE_ROWS == 30 * 96
    assert rows[-1][0] == datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
    assert rows[0][0] == rows[-1][0] - QUARTER * (readings.PROFILE_ROWS - 1)
    assert all(b[0] - a[0] == QUARTER and b[1] >= a[1] for a, b in itertools.pairwise(rows))
    assert all(v == readings.energy_import_wh(TITLE, t) for t, v in rows[::97])
    # Range selection: inclusive, start rounded up to a boundary.
    start = datetime(2025, 3, 9, 23, 50, tzinfo=UTC)
    end = datetime(2025, 3, 10, 1, 0, tzinfo=UTC)
    selected = readings.load_profile_rows(TITLE, now, start, end)
    assert [t.strftime("%H:%M") for t, _v in selected] == [
        "00:00",
        "00:15",
        "00:30",
        "00:45",
        "01:00",
    ]
    assert readings.load_profile_rows(TITLE, now, now + QUARTER, None) == []


def test_events_are_weekly_power_failures() -> None:
    now = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
    entries = readings.events(TITLE, now)
    assert 8 <= len(entries) <= 10 and len(entries) % 2 == 0
    for (down, c1), (up, c2) in zip(entries[::2], entries[1::2], strict=True):
        assert (c1, c2) == (readings.POWER_DOWN, readings.POWER_UP)
        assert timedelta(minutes=3) <= up - down <= timedelta(minutes=7)
        assert 1 <= down.hour <= 4
    days = {(t - readings.EPOCH).days % 7 for t, _c in entries}
    assert len(days) == 1  # one weekday
    assert all(now - timedelta(days=30) <= t <= now for t, _c in entries)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        readings.energy_import_wh(TITLE, datetime(2025, 1, 1))
    with pytest.raises(ValueError):
        readings.serial_number("XYZ")


@given(moments)
def test_cosem_datetime_round_trip(at: datetime) -> None:
    at = at.replace(microsecond=(at.microsecond // 10000) * 10000)
    raw = cosem_datetime(at)
    assert len(raw) == 12 and raw[9:12] == b"\x00\x00\x00"
    assert parse_cosem_datetime(raw) == at


def test_cosem_datetime_deviation_is_minutes_to_utc() -> None:
    # 13:00 local with deviation -60 (UTC+1, as the Blue Book writes it) is 12:00 UTC.
    raw = (
        bytes((0x07, 0xE9, 3, 10, 1, 13, 0, 0, 0)) + (-60).to_bytes(2, "big", signed=True) + b"\x00"
    )
    assert parse_cosem_datetime(raw) == datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
    local = datetime(2025, 3, 10, 13, 0, tzinfo=timezone(timedelta(hours=1)))
    assert parse_cosem_datetime(cosem_datetime(local)) == local
