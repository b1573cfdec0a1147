"""The simulated meters' values: pure functions of the system title and the time.

Tests import this module to know exactly what a simulated meter must answer. All times are
timezone-aware UTC datetimes (naive datetimes are rejected: gurux would read them as local
time). A meter evaluates these functions at *its own* clock (real UTC time plus the clock
offset a SET of the clock attribute 2 introduced).

Per meter, ``h = sha256(system_title as 16 upper-case hex characters, ASCII)`` gives the
parameters (``h[i]`` is byte i, ``int(h[a:b])`` a big-endian integer):

- Energy is counted in 15-minute intervals numbered from ``EPOCH`` (2000-01-01T00:00Z):
  interval ``k`` covers ``[EPOCH + 15 min * k, EPOCH + 15 min * (k + 1))`` and its slot
  in the UTC day is ``s = k mod 96``.
- Import: ``base = 20 + h[0] % 40`` Wh, ``step = 1 + h[1] % 5`` Wh,
  ``import_wh(k) = base + step * max(0, 24 - |s - 72|)`` (an evening peak at 18:00 UTC).
  The cumulative register at a boundary ``EPOCH + 15 min * n`` is
  ``import_start + sum(import_wh(k) for k < n)`` with
  ``import_start = 1_000_000 + int(h[2:5]) % 9_000_000``.
- Export: ``export_wh(k) = (2 + h[5] % 6) * max(0, 24 - |s - 48|)`` (a noon peak, no export
  at night), cumulative from ``export_start = 100_000 + int(h[6:9]) % 900_000``.
- The energy registers show the value at the last 15-minute boundary at or before the time
  asked (constant within an interval); a load-profile row shows the value at its boundary.
- Voltage L1 in 0.1 V, constant within an interval:
  ``2300 + ((h[9] + 7 * n) % 41) - 20`` (228.0 V .. 232.0 V), n = number of the boundary.
- Serial number: the 3-letter manufacturer id of the system title followed by its 5-byte
  serial in 10 decimal digits, e.g. ``SIM0001000001``.
- Standard event log: in every UTC day ``d`` (days since EPOCH) with ``(d + h[10]) % 7 == 0``
  there is a power failure: code ``POWER_DOWN`` at ``01:00 + ((h[11] + 37 d) % 240)`` minutes
  and code ``POWER_UP`` ``3 + d % 5`` minutes later. Run-time events (disconnect control)
  are appended by the simulator with codes ``REMOTE_DISCONNECT`` / ``REMOTE_RECONNECT``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
INTERVAL = timedelta(minutes=15)
INTERVALS_PER_DAY = 96
PROFILE_DAYS = 30
PROFILE_ROWS = PROFILE_DAYS * INTERVALS_PER_DAY  # rows in the load profile (and its depth)
EVENT_LOG_DAYS = 30

# Event codes of the standard event log.
POWER_DOWN = 1
POWER_UP = 2
REMOTE_DISCONNECT = 70  # the simulator's codes for disconnect control events
REMOTE_RECONNECT = 71

_PEAK_WIDTH = 24  # quarter hours either side of a peak with a non-zero shape


@dataclass(frozen=True, slots=True)
class _Profile:
    """Per-meter constants, so every value is O(1) (the day shapes' sums are shared)."""

    import_start: int
    import_base: int  # Wh in every interval
    import_step: int  # Wh per unit of the evening shape
    export_start: int
    export_step: int  # Wh per unit of the noon shape
    voltage_seed: int
    event_day_phase: int
    event_minute_seed: int

    def import_in_day(self, slot: int) -> int:
        """sum(import_wh(s) for s < slot) within one day."""
        return self.import_base * slot + self.import_step * _EVENING[slot]

    def export_in_day(self, slot: int) -> int:
        return self.export_step * _NOON[slot]


def _shape(slot: int, peak: int) -> int:
    return max(0, _PEAK_WIDTH - abs(slot - peak))


def _prefix(per_slot: list[int]) -> tuple[int, ...]:
    sums = [0]
    for value in per_slot:
        sums.append(sums[-1] + value)
    return tuple(sums)


# Prefix sums of the two day shapes (the same for every meter): _EVENING[s] is
# sum(_shape(slot, 72) for slot < s), so import_wh summed over slots < s is
# base * s + step * _EVENING[s].
_EVENING = _prefix([_shape(s, 72) for s in range(INTERVALS_PER_DAY)])
_NOON = _prefix([_shape(s, 48) for s in range(INTERVALS_PER_DAY)])


def normalize_title(system_title: str | bytes) -> str:
    """The canonical system title: 16 upper-case hex characters."""
    if isinstance(system_title, bytes | bytearray):
        system_title = bytes(system_title).hex()
    title = system_title.upper()
    if len(title) != 16 or any(c not in "0123456789ABCDEF" for c in title):
        raise ValueError(f"system title must be 16 hex characters, got {system_title!r}")
    return title


@lru_cache(maxsize=65536)
def _profile(title: str) -> _Profile:
    h = hashlib.sha256(title.encode("ascii")).digest()
    return _Profile(
        import_start=1_000_000 + int.from_bytes(h[2:5], "big") % 9_000_000,
        import_base=20 + h[0] % 40,
        import_step=1 + h[1] % 5,
        export_start=100_000 + int.from_bytes(h[6:9], "big") % 900_000,
        export_step=2 + h[5] % 6,
        voltage_seed=h[9],
        event_day_phase=h[10],
        event_minute_seed=h[11],
    )


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("a timezone-aware datetime is required (naive times are ambiguous)")
    return at.astimezone(UTC)


def boundary_number(at: datetime) -> int:
    """n such that EPOCH + 15 min * n is the last 15-minute boundary at or before ``at``."""
    return (_utc(at) - EPOCH) // INTERVAL


def last_boundary(at: datetime) -> datetime:
    """The last 15-minute boundary at or before ``at`` (UTC)."""
    return EPOCH + INTERVAL * boundary_number(at)


def _import_at(p: _Profile, n: int) -> int:
    """The import register at boundary n (cumulative Wh of the intervals before it)."""
    days, slot = divmod(n, INTERVALS_PER_DAY)
    return max(
        0, p.import_start + days * p.import_in_day(INTERVALS_PER_DAY) + p.import_in_day(slot)
    )


def _export_at(p: _Profile, n: int) -> int:
    days, slot = divmod(n, INTERVALS_PER_DAY)
    return max(
        0, p.export_start + days * p.export_in_day(INTERVALS_PER_DAY) + p.export_in_day(slot)
    )


def energy_import_wh(system_title: str | bytes, at: datetime) -> int:
    """Active energy import (1.0.1.8.0.255) in Wh, as the register shows it at ``at``."""
    p = _profile(normalize_title(system_title))
    return _import_at(p, boundary_number(at))


def energy_export_wh(system_title: str | bytes, at: datetime) -> int:
    """Active energy export (1.0.2.8.0.255) in Wh, as the register shows it at ``at``."""
    p = _profile(normalize_title(system_title))
    return _export_at(p, boundary_number(at))


def voltage_l1_decivolt(system_title: str | bytes, at: datetime) -> int:
    """Voltage L1 (1.0.32.7.0.255) in 0.1 V (register scaler -1, unit V)."""
    p = _profile(normalize_title(system_title))
    return 2300 + ((p.voltage_seed + 7 * boundary_number(at)) % 41) - 20


def serial_number(system_title: str | bytes) -> str:
    """Serial number (0.0.96.1.0.255): manufacturer id + 5-byte serial in 10 digits."""
    raw = bytes.fromhex(normalize_title(system_title))
    return raw[:3].decode("ascii", "replace") + f"{int.from_bytes(raw[3:], 'big'):010d}"


def load_profile_rows(
    system_title: str | bytes,
    now: datetime,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[tuple[datetime, int]]:
    """Load-profile rows ``(boundary, energy import Wh)`` the meter holds at ``now``.

    The profile holds ``PROFILE_ROWS`` rows, oldest first, the newest at the last boundary
    at or before ``now``. ``start``/``end`` (inclusive) select rows as range selective
    access does (restricting object: the clock).
    """
    last = boundary_number(now)
    first = last - PROFILE_ROWS + 1
    if start is not None:
        first = max(first, -((EPOCH - _utc(start)) // INTERVAL))  # ceil to a boundary
    if end is not None:
        last = min(last, boundary_number(end))
    p = _profile(normalize_title(system_title))
    return [(EPOCH + INTERVAL * n, _import_at(p, n)) for n in range(first, last + 1)]


def events(
    system_title: str | bytes,
    now: datetime,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[tuple[datetime, int]]:
    """Deterministic event-log entries ``(time, code)`` of the last EVENT_LOG_DAYS at ``now``,
    oldest first, only those at or before ``now`` (and within ``start``..``end``)."""
    p = _profile(normalize_title(system_title))
    now = _utc(now)
    oldest = now - timedelta(days=EVENT_LOG_DAYS)
    low = max(oldest, _utc(start)) if start is not None else oldest
    high = min(now, _utc(end)) if end is not None else now
    out: list[tuple[datetime, int]] = []
    first_day = (low - EPOCH).days
    for day in range(first_day, (high - EPOCH).days + 1):
        if (day + p.event_day_phase) % 7:
            continue
        down = EPOCH + timedelta(days=day, hours=1, minutes=(p.event_minute_seed + 37 * day) % 240)
        up = down + timedelta(minutes=3 + day % 5)
        out.extend(
            (t, code) for t, code in ((down, POWER_DOWN), (up, POWER_UP)) if low <= t <= high
        )
    return out
