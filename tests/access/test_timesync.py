"""The time-sync arithmetic (cas.access.timesync) with exact numbers.

Date-time octets are written out by hand: year (2), month, day, weekday, hour, minute,
second, hundredths, deviation (2, minutes, UTC = local + deviation), clock status.
2026-11-22 is a Sunday (weekday 7).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cas.access.timesync import ClockReading, Verdict, clock_octets, verdict

SENT = datetime(2026, 11, 22, 6, 0, 0, tzinfo=UTC)

# 2026-11-22 06:00:10.00 UTC, deviation 0, status 0
AT_06_00_10_UTC = "07EA0B160706000A00000000"


def reading(raw_hex: str, round_trip: timedelta = timedelta(seconds=4)) -> ClockReading:
    return ClockReading(bytes.fromhex(raw_hex), SENT, SENT + round_trip)


@pytest.mark.parametrize(
    ("raw_hex", "drift"),
    [
        (AT_06_00_10_UTC, 8.0),  # 06:00:10 against the midpoint 06:00:02
        ("07EA0B1607053B3732000000", -6.5),  # 05:59:55.50: 6.5 s behind 06:00:02
        ("07EA0B160707000A00FFC400", 8.0),  # 07:00:10 local, deviation -60 (UTC+1)
        ("07EA0B160701000A00012C00", 8.0),  # 01:00:10 local, deviation +300 (UTC-5)
        ("07EA0B160706000A00800000", 8.0),  # deviation not specified: read as UTC
    ],
    ids=["ahead-utc", "behind-hundredths", "deviation-minus-60", "deviation-plus-300", "no-dev"],
)
def test_drift_is_measured_at_the_middle_of_the_round_trip(raw_hex, drift):
    clock = reading(raw_hex)
    assert clock.round_trip == timedelta(seconds=4)
    assert clock.drift() == drift


def test_round_trip_midpoint_not_the_send_or_receive_time():
    # The same meter time, three round trips: only the midpoint moves the drift.
    assert reading(AT_06_00_10_UTC, timedelta(0)).drift() == 10.0
    assert reading(AT_06_00_10_UTC, timedelta(seconds=4)).drift() == 8.0
    assert reading(AT_06_00_10_UTC, timedelta(seconds=20)).drift() == 0.0
    assert reading(AT_06_00_10_UTC, timedelta(milliseconds=300)).drift() == 9.85


def test_deviation_and_status_are_read_from_the_octets():
    clock = reading("07EA0B160707000A00FFC481")
    assert clock.deviation == -60
    assert clock.status == 0x81
    assert reading("07EA0B160706000A00800000").deviation == -0x8000


@pytest.mark.parametrize(
    "raw_hex",
    [
        "07EA0B16070600FF00000000",  # second not specified
        "FFFF0B160706000A00000000",  # year not specified
    ],
)
def test_a_clock_with_unspecified_fields_has_no_drift(raw_hex):
    with pytest.raises(ValueError, match="unspecified fields"):
        reading(raw_hex).drift()


@pytest.mark.parametrize(
    ("meter_hex", "round_trip", "now", "written_hex"),
    [
        # now 06:30:00 + 0.75 s (half of 1.5 s), in the meter's deviation -120 (UTC+2), with
        # its daylight-saving flag kept and its other status bits (0x01 invalid) dropped.
        (
            "07EA0B160708000A00FF8881",
            timedelta(milliseconds=1500),
            datetime(2026, 11, 22, 6, 30, 0, tzinfo=UTC),
            "07EA0B1607081E004BFF8880",
        ),
        # deviation +300 (UTC-5): 06:30:02 UTC is 01:30:02 local; status 0x01 -> 0.
        (
            "07EA0B160701000A00012C01",
            timedelta(seconds=4),
            datetime(2026, 11, 22, 6, 30, 0, tzinfo=UTC),
            "07EA0B1607011E0200012C00",
        ),
        # no deviation and status not specified (0xFF): UTC, deviation 0, status 0; half the
        # round trip carries the time over midnight into Monday the 23rd.
        (
            "07EA0B160706000A008000FF",
            timedelta(milliseconds=1500),
            datetime(2026, 11, 22, 23, 59, 59, 500000, tzinfo=UTC),
            "07EA0B170100000019000000",
        ),
    ],
    ids=["deviation-minus-120-dst", "deviation-plus-300", "unspecified-over-midnight"],
)
def test_the_time_written_is_now_plus_half_the_round_trip(meter_hex, round_trip, now, written_hex):
    assert clock_octets(reading(meter_hex, round_trip), now).hex().upper() == written_hex


def test_the_time_written_depends_on_now_not_on_when_the_clock_was_read():
    now = datetime(2026, 11, 22, 6, 30, 0, tzinfo=UTC)
    hours_ago = reading(AT_06_00_10_UTC)
    later = SENT + timedelta(hours=5)
    just_now = ClockReading(bytes.fromhex(AT_06_00_10_UTC), later, later + timedelta(seconds=4))
    assert clock_octets(hours_ago, now) == clock_octets(just_now, now)
    assert clock_octets(hours_ago, now).hex().upper() == "07EA0B1607061E0200000000"  # 06:30:02


@pytest.mark.parametrize(
    ("drift", "min_diff", "max_diff", "expected"),
    [
        (8.0, None, None, Verdict.SET),  # no limits: any drift is corrected
        (0.0, None, None, Verdict.SET),
        (8.0, 10, None, Verdict.KEEP),
        (-9.99, 10, 60, Verdict.KEEP),
        (10.0, 10, 60, Verdict.SET),  # at least min-time-diff
        (-10.0, 10, 60, Verdict.SET),
        (60.0, 10, 60, Verdict.SET),  # not more than max-time-diff
        (60.01, 10, 60, Verdict.REFUSE),
        (-60.01, 10, 60, Verdict.REFUSE),
        (7200.0, None, 600, Verdict.REFUSE),
        (0.0, 0, None, Verdict.SET),  # min 0: always set
        (0.5, None, 0, Verdict.REFUSE),  # max 0: any drift refused
        (5.0, 30, 3, Verdict.REFUSE),  # max wins over min
    ],
)
def test_verdict(drift, min_diff, max_diff, expected):
    assert verdict(drift, min_diff, max_diff) is expected
