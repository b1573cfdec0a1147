"""What the simulator counts: per meter, per network segment and for the whole fleet.

Plain objects updated from the event loop's thread (no IO, no locks): tests read them from
any thread, the status file (``cas.simulator.status``) writes them out for other processes.

A connection counts as open from the moment the simulator accepts it until the simulator
sees it closed (the peer's FIN or reset, or its own close): always within the time the
client holds it, so a client that keeps N connections at most is never seen with more.
Times are ``time.monotonic()`` seconds (CLOCK_MONOTONIC: the same clock in every process
of the machine) taken when the simulator accepted, a little after the client connected: a
check of a rate limit against ``starts`` should allow a few milliseconds of skew.
"""

from __future__ import annotations

import time
from array import array
from collections import deque
from dataclasses import dataclass, field
from typing import Any

RATE_WINDOW = 1.0  # seconds: the window of SegmentStats.peak_rate


@dataclass(slots=True)
class MeterStats:
    """Counters of one meter, as tests see them."""

    connections: int = 0  # TCP connections accepted
    associations: int = 0  # associations established (AARQ accepted; HLS: pass 4 done)
    requests: int = 0  # request frames answered (any kind, including SNRM/AARQ/RR)
    open_connections: int = 0  # connections open now


@dataclass(slots=True)
class FleetStats:
    """The fleet's totals, kept as they happen (no walk over the meters)."""

    connections: int = 0
    associations: int = 0
    requests: int = 0
    open_connections: int = 0
    peak_open_connections: int = 0  # since start or the last reset_peaks()

    def opened(self) -> None:
        self.connections += 1
        self.open_connections += 1
        if self.open_connections > self.peak_open_connections:
            self.peak_open_connections = self.open_connections

    def closed(self) -> None:
        self.open_connections -= 1

    def reset_peaks(self) -> None:
        self.peak_open_connections = self.open_connections

    def as_dict(self) -> dict[str, int]:
        return {
            "connections": self.connections,
            "associations": self.associations,
            "requests": self.requests,
            "open_connections": self.open_connections,
            "peak_open_connections": self.peak_open_connections,
        }


@dataclass(eq=False)
class SegmentStats:
    """Connections to the meters of one network segment.

    ``peak_open_connections``: most connections open at once; ``peak_rate``: most
    connections started within any ``rate_window`` seconds (a sliding window ending at a
    start); ``starts``: the start time of every connection (``time.monotonic()``), oldest
    first. Peaks and starts cover the time since the fleet started or the last
    ``reset_peaks()``; ``connections`` counts since the start.
    """

    name: str
    meters: int = 0  # meters in the segment
    rate_window: float = RATE_WINDOW
    connections: int = 0
    open_connections: int = 0
    peak_open_connections: int = 0
    peak_rate: int = 0
    starts: array[float] = field(default_factory=lambda: array("d"))
    _recent: deque[float] = field(default_factory=deque, repr=False)

    def opened(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self.connections += 1
        self.open_connections += 1
        if self.open_connections > self.peak_open_connections:
            self.peak_open_connections = self.open_connections
        self.starts.append(now)
        recent = self._recent
        recent.append(now)
        horizon = now - self.rate_window
        while recent[0] <= horizon:
            recent.popleft()
        if len(recent) > self.peak_rate:
            self.peak_rate = len(recent)

    def closed(self) -> None:
        self.open_connections -= 1

    def reset_peaks(self) -> None:
        """Peaks start again from what is open now; the start log is emptied."""
        self.peak_open_connections = self.open_connections
        self.peak_rate = 0
        self.starts = array("d")
        self._recent.clear()

    def max_starts_within(self, seconds: float) -> int:
        """Most connections started within any ``seconds`` (from the start log)."""
        starts, best, first = self.starts, 0, 0
        for last, at in enumerate(starts):
            while starts[first] <= at - seconds:
                first += 1
            best = max(best, last - first + 1)
        return best

    def as_dict(self) -> dict[str, Any]:
        return {
            "meters": self.meters,
            "connections": self.connections,
            "open_connections": self.open_connections,
            "peak_open_connections": self.peak_open_connections,
            "peak_rate": self.peak_rate,
            "rate_window": self.rate_window,
        }
