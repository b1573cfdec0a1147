"""How long a failed delivery waits before the next attempt: exponential, capped, jittered."""

from __future__ import annotations

import random as _random
from collections.abc import Callable
from dataclasses import dataclass, field

_MAX_EXPONENT = 64  # beyond this the nominal delay is the cap anyway (and 2.0**n stays finite)


@dataclass(frozen=True)
class Backoff:
    """Delay before retry number ``attempt + 1`` after ``attempt`` earlier failures.

    The nominal delay is ``first * factor**attempt`` capped at ``cap`` (1 s, 2 s, 4 s, ...,
    5 min). Jitter spreads retries of messages that failed together (a subscriber that was
    down) instead of sending them all again at the same instant: the delay is drawn from
    ``[nominal * (1 - jitter), nominal]``, so it never exceeds the cap ("equal jitter" with
    the default 0.5). ``random`` returns a float in [0, 1); tests inject a fixed one.
    """

    first: float = 1.0
    factor: float = 2.0
    cap: float = 300.0
    jitter: float = 0.5
    random: Callable[[], float] = field(default=_random.random, compare=False)

    def __post_init__(self) -> None:
        if self.first <= 0 or self.cap < self.first:
            raise ValueError("backoff needs 0 < first <= cap")
        if self.factor < 1:
            raise ValueError("backoff factor must be >= 1")
        if not 0 <= self.jitter <= 1:
            raise ValueError("backoff jitter must be within [0, 1]")

    def nominal(self, attempt: int) -> float:
        """The delay without jitter after ``attempt`` earlier failures (0: the first one)."""
        exponent = min(max(attempt, 0), _MAX_EXPONENT)
        return min(self.cap, self.first * self.factor**exponent)

    def delay(self, attempt: int) -> float:
        """Seconds to wait after a failed attempt that had ``attempt`` failures before it."""
        nominal = self.nominal(attempt)
        return nominal * (1.0 - self.jitter * self.random())
