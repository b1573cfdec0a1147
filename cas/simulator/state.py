"""What one simulated meter remembers between connections (no IO, no gurux)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cas.simulator import readings

MAX_RUNTIME_EVENTS = 256

# Disconnect control (class 70) control_state values.
DISCONNECTED = 0
CONNECTED = 1
READY_FOR_RECONNECTION = 2


@dataclass
class MeterState:
    """Clock offset, disconnector, run-time events and the frame counter of one meter."""

    system_title: str
    clock_offset: timedelta = timedelta(0)
    output_state: bool = True
    control_state: int = CONNECTED
    invocation_counter: int = 1  # the meter's next frame counter (ciphered APDUs)
    runtime_events: deque[tuple[datetime, int]] = field(
        default_factory=lambda: deque(maxlen=MAX_RUNTIME_EVENTS)
    )

    def now(self) -> datetime:
        """The meter's own clock: real UTC time plus the offset a clock SET introduced."""
        return datetime.now(UTC) + self.clock_offset

    def set_time(self, meter_time: datetime) -> None:
        self.clock_offset = meter_time.astimezone(UTC) - datetime.now(UTC)

    def remote_disconnect(self) -> None:
        changed = self.output_state
        self.output_state = False
        self.control_state = DISCONNECTED
        if changed:
            self.runtime_events.append((self.now(), readings.REMOTE_DISCONNECT))

    def remote_reconnect(self) -> None:
        changed = not self.output_state
        self.output_state = True
        self.control_state = CONNECTED
        if changed:
            self.runtime_events.append((self.now(), readings.REMOTE_RECONNECT))

    def event_log(
        self, now: datetime, start: datetime | None = None, end: datetime | None = None
    ) -> list[tuple[datetime, int]]:
        """Deterministic events plus run-time ones, oldest first."""
        entries = readings.events(self.system_title, now, start, end)
        low = now - timedelta(days=readings.EVENT_LOG_DAYS)
        for at, code in self.runtime_events:
            if (
                at <= now
                and at >= low
                and (start is None or at >= start)
                and (end is None or at <= end)
            ):
                entries.append((at, code))
        entries.sort(key=lambda entry: entry[0])
        return entries

    def last_event_code(self) -> int:
        entries = self.event_log(self.now())
        return entries[-1][1] if entries else 0
