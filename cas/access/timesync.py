"""CosemTimeSync: read the meter's clock, measure its drift, set it when asked to.

Decided semantics (IEC TS 62056-9-1 names the descriptor, not the rule): the CAS reads the
clock attribute, estimates the meter's time at the middle of the round trip, and compares it
with its own UTC clock. A drift above ``max-time-diff`` seconds is refused and reported
(someone should look at that meter); a drift of at least ``min-time-diff`` seconds (any drift
when absent) is corrected by writing the CAS time plus half the round trip (when the SET
will arrive), in the deviation and daylight-saving status the meter reported.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from cas.cosem import date_time_from_bytes, date_time_to_bytes

CLOCK_STATUS_DST = 0x80
DEVIATION_NOT_SPECIFIED = -0x8000


class Verdict(enum.Enum):
    KEEP = "keep"  # drift under min-time-diff
    SET = "set"
    REFUSE = "refuse"  # drift over max-time-diff


@dataclass(frozen=True, slots=True)
class ClockReading:
    """The meter's date-time octets and the CAS's clock around the request that read them."""

    raw: bytes
    sent: datetime
    received: datetime

    @property
    def round_trip(self) -> timedelta:
        return self.received - self.sent

    @property
    def deviation(self) -> int:
        """Minutes, UTC = local + deviation (-0x8000: not specified)."""
        return int.from_bytes(self.raw[9:11], "big", signed=True)

    @property
    def status(self) -> int:
        return self.raw[11]

    def meter_time(self) -> datetime:
        """The meter's time as an aware datetime (UTC assumed when it gives no deviation)."""
        moment = date_time_from_bytes(self.raw)
        if moment is None:
            raise ValueError("the meter's clock has unspecified fields")
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)

    def drift(self) -> float:
        """Seconds the meter is ahead (+) or behind (-) the CAS clock."""
        midpoint = self.sent + self.round_trip / 2
        return (self.meter_time() - midpoint).total_seconds()


def verdict(drift: float, min_diff: int | None, max_diff: int | None) -> Verdict:
    if max_diff is not None and abs(drift) > max_diff:
        return Verdict.REFUSE
    if min_diff is not None and abs(drift) < min_diff:
        return Verdict.KEEP
    return Verdict.SET


def clock_octets(reading: ClockReading, now: datetime) -> bytes:
    """The date-time to write: ``now`` + half the round trip, in the meter's own deviation
    and daylight-saving flag (UTC with deviation 0 when the meter gave none)."""
    target = (now + reading.round_trip / 2).astimezone(UTC)
    deviation = reading.deviation
    if deviation == DEVIATION_NOT_SPECIFIED:
        deviation = 0
    local = target.astimezone(timezone(timedelta(minutes=-deviation)))
    status = reading.status & CLOCK_STATUS_DST if reading.status != 0xFF else 0
    return date_time_to_bytes(local, clock_status=status)
