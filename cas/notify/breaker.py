"""Per-destination circuit breaker: a subscriber that does not answer is not asked again by
every queued message.

Without it, a ReplyAddress that hangs with a thousand messages queued for it would hold
every delivery slot for ``timeout`` at each retry round, and other subscribers would wait.
A destination (scheme, host, port) that fails to answer at all (connection refused or cut,
timeout) is *open* for a backoff delay that grows with its consecutive failures; messages to
it claimed meanwhile are deferred without being sent. When the delay has passed, one message
goes as a probe (the others are deferred while it runs); an answer of any kind (even an
HTTP error: the host is there) closes the breaker. Failures of attempts that were already
under way when it opened do not lengthen the delay.

In memory, per worker: another process learns the same on its own, at the cost of one probe.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from cas.notify.backoff import Backoff


def destination(url: str) -> str:
    """The breaker's key for ``url``: scheme://host:port (no credentials, no path)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return f"{scheme}://{parts.hostname}:{port}"


@dataclass
class _State:
    failures: int  # consecutive rounds without an answer
    open_until: datetime
    last_error: str
    probing: bool = False


class Breakers:
    def __init__(self, backoff: Backoff) -> None:
        self.backoff = backoff
        self._states: dict[str, _State] = {}

    def admit(self, key: str, now: datetime) -> tuple[datetime, str] | None:
        """None: send (as the probe when the breaker was open). Otherwise (not before, why):
        defer the message at least until then."""
        state = self._states.get(key)
        if state is None:
            return None
        if now < state.open_until:
            return state.open_until, f"{key} unreachable ({state.last_error})"
        if state.probing:
            return now, f"{key} being probed after: {state.last_error}"
        state.probing = True
        return None

    def answered(self, key: str) -> None:
        """The destination answered (whatever it said): close."""
        self._states.pop(key, None)

    def unreachable(self, key: str, now: datetime, error: str) -> None:
        """An attempt got no answer: open (again), unless it already is for this round."""
        state = self._states.get(key)
        if state is not None and not state.probing and now < state.open_until:
            return  # an attempt from the burst that opened it
        failures = state.failures + 1 if state is not None else 1
        delay = timedelta(seconds=self.backoff.delay(failures - 1))
        self._states[key] = _State(failures, now + delay, error)

    def release(self, key: str) -> None:
        """An attempt ended without an outcome (cancelled): let another probe go."""
        state = self._states.get(key)
        if state is not None:
            state.probing = False

    def is_open(self, key: str) -> bool:
        return key in self._states
