"""Notifications going out: the delivery outbox worker and its small helpers.

``OutboxDelivery`` POSTs what the store's outbox holds to subscribers (ReplyAddress) until
they answer a ResponseMessage with Result OK, retrying with ``Backoff``; ``judge_answer``
says what an answer means; ``Breakers`` hold back messages to a subscriber that gives no
answer; ``undeliverable_reason`` / ``redacted`` vet and log URLs.
"""

from cas.notify.answer import judge_answer
from cas.notify.attempt import AttemptOutcome, post_message
from cas.notify.backoff import Backoff
from cas.notify.breaker import Breakers, destination
from cas.notify.outbox import OutboxDelivery
from cas.notify.urls import redacted, undeliverable_reason

__all__ = [
    "AttemptOutcome",
    "Backoff",
    "Breakers",
    "OutboxDelivery",
    "destination",
    "judge_answer",
    "post_message",
    "redacted",
    "undeliverable_reason",
]
