"""OutboxDelivery: the worker that empties the durable outbox into subscribers' ReplyAddress.

Messages (EventMessages, asynchronous ResponseMessages) are queued in the store by whoever
produces them (``Store.outbox_put``), then ``wake()`` is called. The worker claims due
messages under a lease, POSTs each one (at most ``concurrency`` at once; a subscriber that
hangs holds one slot for at most ``timeout``), and records the outcome:

- delivered (HTTP 2xx with a ResponseMessage Result OK, see ``cas.notify.answer``): removed;
- failed: retried after ``backoff.delay(attempts)`` (1 s, 2 s, 4 s ... 5 min, jittered), the
  last retry being held at most until ``created + max_age``; a failure at or after that age
  puts the message aside as dead (``outbox_dead``, logged at WARNING with its last error);
- not an http(s) URL: dead at once, nothing is sent;
- to a destination that just gave no answer at all (refused, cut, timed out): held back
  without sending, as a failed attempt (``cas.notify.breaker``), so that a subscriber that
  hangs with a backlog does not take every slot at each retry round.

The body is never rewritten, so the MessageID in it is the same at every attempt and a
receiver can drop duplicates. A duplicate reaches a receiver only when its OK answer was
lost (the connection broke, the attempt timed out after it was processed) or when a worker
died after the POST and before recording it: the message's lease then runs out and another
worker (any ``owner``) sends it again. Nothing is sent again once it was recorded delivered.

Besides ``wake()``, the worker looks at the store every ``poll_interval`` seconds: messages
queued by other processes, and retries whose time has come.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx

from cas.notify.attempt import MAX_ANSWER_BYTES, AttemptOutcome, post_message
from cas.notify.backoff import Backoff
from cas.notify.breaker import Admission, Breakers, destination
from cas.notify.urls import redacted, undeliverable_reason
from cas.store import OutboxMessage, Store

logger = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


class OutboxDelivery:
    def __init__(
        self,
        store: Store,
        *,
        owner: str,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], datetime] = utc_now,
        concurrency: int = 16,
        lease: float = 60.0,
        timeout: float = 10.0,
        backoff: Backoff | None = None,
        max_age: timedelta = timedelta(days=7),
        poll_interval: float = 1.0,
        max_answer: int = MAX_ANSWER_BYTES,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if timeout <= 0 or poll_interval <= 0:
            raise ValueError("timeout and poll_interval must be positive")
        if lease <= 2 * timeout:
            # the claim must outlive a wait for a probe plus the attempt, or another worker
            # would send the message meanwhile
            raise ValueError(f"lease ({lease} s) must be longer than 2 x timeout ({timeout} s)")
        self.store = store
        self.owner = owner
        self.clock = clock
        self.concurrency = concurrency
        self.lease = lease
        self.timeout = timeout
        self.backoff = backoff or Backoff()
        self.max_age = max_age
        self.poll_interval = poll_interval
        self.max_answer = max_answer
        self._client = client
        self._owns_client = client is None
        self._in_flight: set[asyncio.Task[None]] = set()
        self._nudge = asyncio.Event()  # wake(), stop(), or a slot freed while more are due
        self._more_due = False  # the last claim filled every free slot: more may be waiting
        self._stopping = False
        self._claim_failures = 0
        self._breakers = Breakers(self.backoff, max_waiters=max(1, concurrency // 4), hold=timeout)

    # --- control -------------------------------------------------------------------------

    def wake(self) -> None:
        """A message was queued: look at the outbox now rather than at the next poll (or, when
        every slot is busy, as soon as one frees)."""
        self._more_due = True
        self._nudge.set()

    def stop(self) -> None:
        """Make ``run()`` return once the attempts under way have ended (at most ``timeout``)."""
        self._stopping = True
        self._nudge.set()

    @property
    def in_flight(self) -> int:
        """Attempts under way."""
        return len(self._in_flight)

    async def run(self) -> None:
        """Deliver until ``stop()``. Cancelling it abandons the attempts under way (their
        messages are sent again after their lease, as after a crash)."""
        try:
            while not self._stopping:
                self._nudge.clear()
                try:
                    await self._start_due()
                    self._claim_failures = 0
                except Exception:
                    self._claim_failed()
                if self._stopping:
                    break
                if self._more_due and len(self._in_flight) < self.concurrency:
                    continue  # the claim was cut short by the free slots, and slots freed since
                with contextlib.suppress(TimeoutError):
                    # until wake(), stop(), a freed slot while more are due, or the next poll
                    await asyncio.wait_for(self._nudge.wait(), self.poll_interval)
        except asyncio.CancelledError:
            for task in self._in_flight:
                task.cancel()
            raise
        finally:
            if self._in_flight:
                await asyncio.gather(*self._in_flight, return_exceptions=True)
            await self.aclose()

    def _claim_failed(self) -> None:
        """The store is unreachable (or worse): said with a trace once, then once a minute."""
        self._more_due = False
        self._claim_failures += 1
        if self._claim_failures == 1:
            logger.exception("outbox: claiming messages failed; trying again every poll")
        elif self._claim_failures % max(1, round(60 / self.poll_interval)) == 0:
            logger.warning("outbox: claiming messages still fails (%d times)", self._claim_failures)

    async def deliver_due(self) -> int:
        """One pass: claim the messages due now (as many as there are free slots), attempt
        them concurrently, record the outcomes. Returns how many were handled (sent, held
        back by the breaker, or put aside)."""
        started = await self._start_due()
        if started:
            await asyncio.gather(*started)
        return len(started)

    async def aclose(self) -> None:
        """Close the HTTP client this worker made (not one it was given)."""
        if self._owns_client and self._client is not None:
            client, self._client = self._client, None
            await client.aclose()

    async def __aenter__(self) -> OutboxDelivery:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # --- one pass --------------------------------------------------------------------------

    async def _start_due(self) -> list[asyncio.Task[None]]:
        free = self.concurrency - len(self._in_flight)
        if free <= 0:
            return []
        messages = await self.store.outbox_claim(self.owner, self.clock(), free, self.lease)
        self._more_due = len(messages) == free
        started = [asyncio.create_task(self._deliver(message)) for message in messages]
        for task in started:
            self._in_flight.add(task)
            task.add_done_callback(self._finished)
        return started

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        if self._more_due:
            self._nudge.set()

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self.timeout,
                follow_redirects=False,
                limits=httpx.Limits(
                    max_connections=self.concurrency, max_keepalive_connections=self.concurrency
                ),
                headers={"User-Agent": "cas-gateway"},
            )
        return self._client

    async def _deliver(self, message: OutboxMessage) -> None:
        try:
            reason = undeliverable_reason(message.url)
            if reason is not None:
                await self._give_up(message, reason)
                return
            key = destination(message.url)
            admission = await self._admission(key)
            if admission.not_before is not None:
                outcome = AttemptOutcome(f"not sent: {admission.reason}")
                await self._record(message, outcome, next_attempt=admission.not_before)
                return
            outcome = await self._attempt(message, key, probe=admission.probe)
            await self._record(message, outcome)
        except Exception:
            # the store could not record it: the claim runs out and the message is retried
            logger.exception("outbox: recording the attempt for %s failed", message.message_id)

    async def _admission(self, key: str) -> Admission:
        admission = self._breakers.admit(key, self.clock())
        if admission.wait is not None:  # a probe of that destination is under way
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(admission.wait.wait(), self.timeout)
            admission = self._breakers.admit(key, self.clock(), may_wait=False)
        return admission

    async def _attempt(self, message: OutboxMessage, key: str, *, probe: bool) -> AttemptOutcome:
        try:
            outcome = await post_message(
                self._http(), message, timeout=self.timeout, max_answer=self.max_answer
            )
        except BaseException as error:
            if probe:
                self._breakers.release(key)
            if not isinstance(error, Exception):
                raise  # cancelled: no outcome (the lease runs out, as after a crash)
            # a defect, not the subscriber: still a failed attempt
            logger.exception("outbox: attempt for %s failed unexpectedly", message.message_id)
            return AttemptOutcome(f"internal error: {type(error).__name__}")
        if outcome.status is None and outcome.error is not None:
            if not self._breakers.is_open(key):
                logger.info("outbox: %s gives no answer (%s): holding back", key, outcome.error)
            self._breakers.unreachable(key, self.clock(), outcome.error)
        else:
            self._breakers.answered(key)
        return outcome

    async def _record(
        self,
        message: OutboxMessage,
        outcome: AttemptOutcome,
        *,
        next_attempt: datetime | None = None,
    ) -> None:
        """Delivered, retried (at ``next_attempt``, else after the backoff), or put aside."""
        held_back = next_attempt is not None
        if outcome.error is None:
            await self.store.outbox_delivered(message)
            logger.info(
                "outbox: %s delivered to %s (attempt %d)",
                message.message_id,
                redacted(message.url),
                message.attempts + 1,
            )
            return
        now = self.clock()
        deadline = message.created + self.max_age
        if now >= deadline:
            await self._give_up(message, outcome.error)
            return
        if next_attempt is None:
            next_attempt = now + timedelta(seconds=self.backoff.delay(message.attempts))
        next_attempt = min(next_attempt, deadline)
        await self.store.outbox_retry(message, next_attempt, outcome.error)
        logger.log(
            logging.DEBUG if held_back else logging.INFO,
            "outbox: %s to %s failed (attempt %d): %s; next attempt at %s",
            message.message_id,
            redacted(message.url),
            message.attempts + 1,
            outcome.error,
            next_attempt.isoformat(),
        )

    async def _give_up(self, message: OutboxMessage, error: str) -> None:
        await self.store.outbox_dead(message, error)
        logger.warning(
            "outbox: %s to %s given up after %d attempts (created %s): %s",
            message.message_id,
            redacted(message.url),
            message.attempts + 1,
            message.created.isoformat(),
            error,
        )
