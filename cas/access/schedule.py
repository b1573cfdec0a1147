"""When iterations of a scheduled resource run (pure functions; times are aware UTC).

Iteration k is due at Activates + k x RepeatingInterval; none starts after Expires. An
iteration's deadline is its due time + Duration, and never later than the next iteration's
due time: what is not done by then is reported not completed. Missed iterations (the gateway
was down at their due time) are not run late one after the other: on recovery the most
recent due iteration runs once and the ones before it are recorded as missed. When the
recovery comes after Expires nothing runs: every iteration that was due up to Expires is
recorded as missed (an iteration due at or before Expires still starts when it is dispatched
within ``EXPIRY_GRACE`` of Expires: the dispatcher is always a little late).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cas.store import Resource

EXPIRY_GRACE = timedelta(seconds=10)
"""How late after Expires an iteration due at or before it may still start: dispatch latency
(a burst of due resources), not downtime. Later than that it is recorded missed."""


@dataclass(frozen=True)
class IterationPlan:
    number: int  # the iteration to run now
    due: datetime
    deadline: datetime | None
    next_due: datetime | None  # when the following iteration is due (None: no more)
    missed: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Expired:
    """Nothing may start any more; ``missed``: iterations due at or before Expires that never
    ran (the gateway was down from before their due time until after Expires)."""

    missed: list[int] = field(default_factory=list)


def due_time(resource: Resource, number: int) -> datetime:
    start = resource.activates or resource.created
    if number == 0 or not resource.repeating_interval:
        return start
    return start + timedelta(seconds=number * resource.repeating_interval)


def first_due(resource: Resource) -> datetime:
    return resource.activates or resource.created


def number_at(resource: Resource, moment: datetime) -> int:
    """The last iteration number due at or before ``moment`` (0 before the first)."""
    if not resource.repeating_interval:
        return 0
    elapsed = (moment - first_due(resource)).total_seconds()
    return max(0, math.floor(elapsed / resource.repeating_interval))


def last_number(resource: Resource) -> int | None:
    """The last iteration due at or before Expires (None: no Expires; -1: none is)."""
    if resource.expires is None:
        return None
    if first_due(resource) > resource.expires:
        return -1
    return number_at(resource, resource.expires)


def plan(resource: Resource, due: datetime, now: datetime) -> IterationPlan | Expired:
    """What to run for a resource claimed at its due time ``due``, or Expired when nothing
    may start any more (with the iterations that were due before Expires and never ran)."""
    number = number_at(resource, due)
    latest = max(number, number_at(resource, now))
    final = last_number(resource)
    if final is not None and (latest > final or now > resource.expires + EXPIRY_GRACE):
        # Expires has passed: what was due up to it was missed, nothing starts now.
        return Expired(list(range(number, final + 1)))
    missed = list(range(number, latest))  # the gateway was not running at those due times
    start = due_time(resource, latest)
    following = due_time(resource, latest + 1) if resource.repeating_interval else None
    if following is not None and resource.expires is not None and following > resource.expires:
        following = None
    deadline = start + timedelta(seconds=resource.duration) if resource.duration else None
    if resource.repeating_interval:
        bound = due_time(resource, latest + 1)
        deadline = bound if deadline is None else min(deadline, bound)
    return IterationPlan(latest, start, deadline, following, missed)
