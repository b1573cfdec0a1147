"""COSEM date-time octets (Blue Book 4.1.6.1) <-> Python datetimes.

12 octets: year (2), month, day of month, day of week (1 = Monday), hour, minute, second,
hundredths, deviation (Integer16, minutes; UTC = local time + deviation; 0x8000 = not
specified), clock status. 0xFF (0xFFFF for the year) marks a field as not specified.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from cas.cosem.errors import CosemDecodeError

DEVIATION_NOT_SPECIFIED = 0x8000


def date_time_to_bytes(moment: datetime, *, clock_status: int = 0) -> bytes:
    """An aware datetime with its deviation, or a naive one with 'deviation not specified'."""
    offset = moment.utcoffset()
    if offset is None:
        deviation = DEVIATION_NOT_SPECIFIED
    else:
        deviation = (-int(offset.total_seconds()) // 60) & 0xFFFF
    return (
        moment.year.to_bytes(2, "big")
        + bytes(
            (
                moment.month,
                moment.day,
                moment.isoweekday(),
                moment.hour,
                moment.minute,
                moment.second,
                moment.microsecond // 10000,
            )
        )
        + deviation.to_bytes(2, "big")
        + bytes((clock_status,))
    )


def date_time_from_bytes(raw: bytes) -> datetime | None:
    """The moment of a fully specified date-time: aware when the deviation is given, naive
    otherwise; None when the date or time has unspecified (wildcard) fields."""
    if len(raw) != 12:
        raise CosemDecodeError(0, f"a date-time has 12 octets, got {len(raw)}")
    year = int.from_bytes(raw[0:2], "big")
    month, day, _weekday, hour, minute, second, hundredths = raw[2:9]
    if year == 0xFFFF or 0xFF in (month, day, hour, minute, second) or month > 12 or day > 31:
        return None
    hundredths = 0 if hundredths == 0xFF else hundredths
    deviation = int.from_bytes(raw[9:11], "big", signed=True)
    zone = None
    if deviation != -0x8000:
        zone = UTC if deviation == 0 else timezone(timedelta(minutes=-deviation))
    try:
        return datetime(year, month, day, hour, minute, second, hundredths * 10000, tzinfo=zone)
    except ValueError as error:
        raise CosemDecodeError(0, f"not a valid date-time: {error}") from None
