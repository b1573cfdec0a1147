"""When iterations of a scheduled resource run (pure functions; times are aware UTC).

Iteration k is due at Activates + k x RepeatingInterval; none starts after Expires. An
iteration's deadline is its due time + Duration, and never later than the next iteration's
due time: what is not done by then is reported not completed. Missed iterations (the gateway
was down at their due time) are not run late one after the other: on recovery the most
recent due iteration runs once and the ones before it are recorded as missed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cas.store import Resource


@dataclass(frozen=True)
class IterationPlan:
    number: int  # the iteration to run now
    due: datetime
    deadline: datetime | None
    next_due: datetime | None  # when the following iteration is due (None: no more)
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


def plan(resource: Resource, due: datetime, now: datetime) -> IterationPlan | None:
    """What to run for a resource claimed at its due time ``due``; None when nothing may
    start any more (expired)."""
    number = number_at(resource, due)
    if resource.repeating_interval:
        latest = number_at(resource, now)
        if latest > number:  # the gateway was not running at those due times
            missed = list(range(number, latest))
            number = latest
        else:
            missed = []
    else:
        missed = []
    start = due_time(resource, number)
    if resource.expires is not None and start > resource.expires:
        return None
    following = due_time(resource, number + 1) if resource.repeating_interval else None
    if following is not None and resource.expires is not None and following > resource.expires:
        following = None
    deadline = start + timedelta(seconds=resource.duration) if resource.duration else None
    if resource.repeating_interval:
        bound = due_time(resource, number + 1)
        deadline = bound if deadline is None else min(deadline, bound)
    return IterationPlan(number, start, deadline, following, missed)
