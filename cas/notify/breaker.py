"""Per-destination circuit breaker: a subscriber that does not answer is not asked again by
every queued message.

Without it, a ReplyAddress that hangs with a thousand messages queued for it would hold
every delivery slot for ``timeout`` at each retry round, and other subscribers would wait.

- A destination (scheme, host, port) whose attempt gets no answer at all (connection refused
  or cut, timeout) is *open* for a delay that grows with its consecutive failures (the
  worker's Backoff). Its messages claimed meanwhile are held back, unsent, until then.
  Failures of attempts that were already under way when it opened do not lengthen it.
- When the delay has passed, one message goes as the *probe*. Up to ``max_waiters`` others
  wait for the probe's outcome (so that everything goes at once when the subscriber is
  back); more are held back for ``hold`` seconds (by then the probe has ended).
- Any answer (even an HTTP error: the host is there) closes the breaker.

In memory, per worker: another process learns the same on its own, at the cost of one probe.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from cas.notify.backoff import Backoff


def destination(url: str) -> str:
    """The breaker's key for ``url``: scheme://host:port (no credentials, no path)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return f"{scheme}://{parts.hostname}:{port}"


@dataclass(frozen=True)
class Admission:
    """What to do with a message: send it (``probe`` when it tests an open destination),
    wait for the probe under way (``wait``), or hold it back until ``not_before``."""

    probe: bool = False
    wait: asyncio.Event | None = None
    not_before: datetime | None = None
    reason: str | None = None

    @property
    def send(self) -> bool:
        return self.wait is None and self.not_before is None


SEND = Admission()


@dataclass
class _Probe:
    done: asyncio.Event = field(default_factory=asyncio.Event)
    waiters: int = 0


@dataclass
class _State:
    failures: int  # consecutive rounds without an answer
    open_until: datetime
    last_error: str
    probe: _Probe | None = None

    def end_probe(self) -> None:
        if self.probe is not None:
            self.probe.done.set()
            self.probe = None


class Breakers:
    def __init__(self, backoff: Backoff, *, max_waiters: int = 4, hold: float = 10.0) -> None:
        self.backoff = backoff
        self.max_waiters = max_waiters
        self.hold = timedelta(seconds=hold)
        self._states: dict[str, _State] = {}

    def admit(self, key: str, now: datetime, *, may_wait: bool = True) -> Admission:
        state = self._states.get(key)
        if state is None:
            return SEND
        if now < state.open_until:
            return Admission(
                not_before=state.open_until, reason=f"{key} unreachable ({state.last_error})"
            )
        if state.probe is None:
            state.probe = _Probe()
            return Admission(probe=True)
        if may_wait and state.probe.waiters < self.max_waiters:
            state.probe.waiters += 1
            return Admission(wait=state.probe.done)
        return Admission(
            not_before=now + self.hold, reason=f"{key} being probed after: {state.last_error}"
        )

    def answered(self, key: str) -> None:
        """The destination answered (whatever it said): close."""
        state = self._states.pop(key, None)
        if state is not None:
            state.end_probe()

    def unreachable(self, key: str, now: datetime, error: str) -> None:
        """An attempt got no answer: open (again), unless it already is for this round."""
        state = self._states.get(key)
        if state is not None and state.probe is None and now < state.open_until:
            return  # an attempt from the burst that opened it
        failures = state.failures + 1 if state is not None else 1
        if state is not None:
            state.end_probe()
        delay = timedelta(seconds=self.backoff.delay(failures - 1))
        self._states[key] = _State(failures, now + delay, error)

    def release(self, key: str) -> None:
        """The probe ended without an outcome (cancelled, a defect): another may go."""
        state = self._states.get(key)
        if state is not None:
            state.end_probe()

    def is_open(self, key: str) -> bool:
        return key in self._states
