"""OutboxDelivery against a real HTTP receiver, on every store backend.

Time in the store (due times, leases, ages) is a ManualClock: no test waits for a backoff.
Only the per-attempt timeout of a hanging receiver is real (a fraction of a second).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from datetime import timedelta

import pytest

from cas.notify import Backoff, OutboxDelivery
from tests.notify.conftest import T0, StoreSpy, event_message
from tests.support.receiver import Answer, Receiver

NO_JITTER = Backoff(random=lambda: 0.0)


@contextlib.asynccontextmanager
async def delivery(store, clock, **settings):
    settings.setdefault("backoff", NO_JITTER)
    settings.setdefault("owner", "node-a")
    worker = OutboxDelivery(store, clock=clock, **settings)
    async with worker:
        yield worker


@contextlib.asynccontextmanager
async def running(worker: OutboxDelivery):
    """``worker.run()`` in the background, stopped (and checked to stop) at the end."""
    task = asyncio.create_task(worker.run())
    try:
        yield task
    finally:
        worker.stop()
        await asyncio.wait_for(task, timeout=10)


async def eventually(condition, timeout: float = 10.0) -> float:
    """Seconds until ``await condition()`` is true (polled every 10 ms)."""
    start = time.monotonic()
    while not await condition():
        if time.monotonic() - start > timeout:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
    return time.monotonic() - start


# --- delivered once ------------------------------------------------------------------------


async def test_a_message_is_delivered_once_with_its_exact_body_and_content_type(
    store, clock, receiver
):
    soap12 = event_message("m-12", receiver.url)
    soap11 = event_message("m-11", receiver.url, soap11=True)
    await store.outbox_put([soap12, soap11])
    async with delivery(store, clock) as worker:
        assert await worker.deliver_due() == 2
        assert await store.outbox_pending() == 0
        by_id = {request.message_id: request for request in receiver.requests}
        assert sorted(by_id) == ["m-11", "m-12"]
        for message in (soap12, soap11):
            got = by_id[message.message_id]
            assert got.method == "POST" and got.path == "/notify"
            assert got.body == message.body
            assert got.content_type == message.content_type
        assert by_id["m-11"].headers["soapaction"] == '""'  # SOAP 1.1 over HTTP needs it
        assert "soapaction" not in by_id["m-12"].headers
        clock.advance(86_400)  # long after any lease or retry time: nothing is sent again
        assert await worker.deliver_due() == 0
    assert len(receiver.requests) == 2


# --- failures retried with backoff ---------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        (Answer.error(500), "HTTP 500, SOAP Fault: receiver broken"),
        (Answer.error(404), "HTTP 404, SOAP Fault: receiver broken"),
        (Answer.failed(), "HTTP 200, Result FAILED: 2.15 refused by the test receiver"),
        (Answer.garbage(), "HTTP 200, unreadable answer: "),
        (Answer.empty(), "HTTP 200 with an empty body"),
        (Answer.cut(), "RemoteProtocolError: "),
        (Answer.redirect("http://elsewhere.example/notify"), "HTTP 307: redirect not followed"),
    ],
    ids=["500", "404", "failed", "garbage", "empty", "cut", "redirect"],
)
async def test_a_failing_receiver_is_retried_with_backoff_until_it_answers_ok(
    store, clock, receiver, bad, error
):
    spy = StoreSpy(store)
    await store.outbox_put([event_message("m-1", receiver.url)])
    receiver.answer_next(bad, bad, bad)  # then OK
    backoff = Backoff(random=lambda: 0.5)  # jitter 0.5 x 0.5: delays of 0.75 x 1, 2, 4 s
    async with delivery(spy, clock, backoff=backoff) as worker:
        attempt_times = [clock()]
        assert await worker.deliver_due() == 1
        for nominal in (1, 2, 4):
            due = attempt_times[-1] + timedelta(seconds=0.75 * nominal)
            assert spy.retries[-1][1] == due
            assert spy.retries[-1][2].startswith(error)
            clock.set(due - timedelta(milliseconds=1))
            assert await worker.deliver_due() == 0  # not before its time
            attempt_times.append(clock.set(due))
            assert await worker.deliver_due() == 1
        assert spy.delivered == ["m-1"]
        assert await store.outbox_pending() == 0
    assert len(spy.retries) == 3 and spy.dead == []
    assert receiver.message_ids() == ["m-1"] * 4  # the same MessageID at every attempt
    assert len({request.body for request in receiver.requests}) == 1  # the body never changes
    assert receiver.message_ids(answered_ok=True) == ["m-1"]


async def test_the_attempt_count_and_last_error_are_kept_with_the_message(store, clock, receiver):
    receiver.default = Answer.error(503)
    await store.outbox_put([event_message("m-1", receiver.url)])
    async with delivery(store, clock) as worker:
        for _ in range(3):
            await worker.deliver_due()
            clock.advance(600)
    (claimed,) = await store.outbox_claim("inspector", clock(), 10, 30)
    assert claimed.attempts == 3
    assert claimed.last_error == "HTTP 503, SOAP Fault: receiver broken"


# --- a receiver that hangs ----------------------------------------------------------------------


async def test_a_hanging_receiver_times_out_without_holding_back_other_messages(
    store, clock, receiver
):
    spy = StoreSpy(store)

    def answer(request):
        return Answer.hang(30) if request.message_id == "slow" else Answer.ok()

    receiver.default = answer
    async with delivery(spy, clock, timeout=1.0, poll_interval=30) as worker, running(worker):
        await store.outbox_put([event_message("slow", receiver.url)])
        worker.wake()
        await receiver.wait_for(1)
        # queued while the slow one hangs: delivered at once, not after the timeout
        await store.outbox_put([event_message(f"fast-{i}", receiver.url) for i in range(3)])
        worker.wake()
        await eventually(lambda: _equals(spy.delivered, 3))
        await eventually(lambda: _true(worker.in_flight == 1))
        assert spy.retries == []  # the slow attempt is still under way: they did not wait
        await eventually(lambda: _equals(spy.retries, 1))
        (retry,) = spy.retries
        assert retry[0] == "slow" and retry[2] == "no answer within 1 s"
        assert retry[1] == T0 + timedelta(seconds=1)
        # it answers in time now: delivered at its retry time
        receiver.default = Answer.ok()
        clock.advance(1)
        worker.wake()
        await eventually(lambda: _equals(spy.delivered, 4))
    assert sorted(spy.delivered) == ["fast-0", "fast-1", "fast-2", "slow"]
    assert Counter(receiver.message_ids())["slow"] == 2


async def _equals(items, count) -> bool:
    return len(items) == count


async def _true(value: bool) -> bool:
    return value


async def test_concurrent_attempts_are_bounded(store, clock, receiver):
    receiver.default = Answer.hang(0.1)
    await store.outbox_put([event_message(f"m-{i}", receiver.url) for i in range(7)])
    async with delivery(store, clock, concurrency=3) as worker:
        attempted = [await worker.deliver_due() for _ in range(4)]
    assert attempted == [3, 3, 1, 0]
    assert receiver.peak_active == 3
    assert sorted(receiver.message_ids()) == [f"m-{i}" for i in range(7)]


async def test_the_running_worker_keeps_every_slot_busy(store, clock, receiver):
    receiver.default = Answer.hang(0.1)
    spy = StoreSpy(store)
    await store.outbox_put([event_message(f"m-{i}", receiver.url) for i in range(12)])
    async with delivery(spy, clock, concurrency=4, poll_interval=30) as worker, running(worker):
        elapsed = await eventually(lambda: _equals(spy.delivered, 12))
    assert receiver.peak_active == 4
    assert elapsed < 5.0  # 3 rounds of 0.1 s, not 3 polls of 30 s
    assert sorted(receiver.message_ids()) == sorted(f"m-{i}" for i in range(12))


# --- a subscriber down for a while ------------------------------------------------------------


async def test_a_subscriber_down_for_a_while_gets_everything_once_back(store, clock, receiver):
    spy = StoreSpy(store)
    await receiver.stop()  # nothing listening on its port
    async with delivery(spy, clock) as worker:
        await store.outbox_put([event_message(f"early-{i}", receiver.url) for i in range(5)])
        assert await worker.deliver_due() == 5
        assert {error.split(":")[0] for _, _, error in spy.retries} == {"ConnectError"}
        for _ in range(4):  # still down, more results queued meanwhile
            clock.advance(300)
            await store.outbox_put(
                [event_message(f"later-{clock().minute}-{i}", receiver.url) for i in range(2)]
            )
            await worker.deliver_due()
        assert len(receiver.requests) == 0 and spy.delivered == []
        tried = [error for _, _, error in spy.retries if error.startswith("ConnectError")]
        assert len(tried) == 5 + 4  # the first burst, then one probe a pass; the rest held
        queued = 5 + 8
        assert await store.outbox_pending() == queued
        await receiver.start()  # back, on the same port
        clock.advance(300)  # the backoff cap: every message is due again
        # one probe goes, 4 (concurrency 16 / 4) wait for its answer and follow, the other
        # 8 were held back until the probe would have ended (timeout)
        assert await worker.deliver_due() == queued
        assert len(receiver.requests) == 5
        clock.advance(worker.timeout)
        assert await worker.deliver_due() == queued - 5
        assert await store.outbox_pending() == 0
        clock.advance(86_400)
        assert await worker.deliver_due() == 0  # nothing is sent again after success
    counts = Counter(receiver.message_ids())
    assert len(counts) == queued and set(counts.values()) == {1}
    assert sorted(counts) == sorted(spy.delivered)


async def test_a_lost_ok_answer_is_the_only_way_to_a_duplicate(store, clock, receiver):
    """The receiver takes the message but the connection breaks before the answer: the worker
    cannot know, sends the same bytes again (same MessageID), and stops once it hears OK."""
    message = event_message("m-1", receiver.url)
    await store.outbox_put([message])
    receiver.answer_next(Answer.cut())
    async with delivery(store, clock) as worker:
        await worker.deliver_due()
        clock.advance(1)
        await worker.deliver_due()
        clock.advance(86_400)
        assert await worker.deliver_due() == 0
    assert receiver.message_ids() == ["m-1", "m-1"]
    assert [request.body for request in receiver.requests] == [message.body, message.body]


# --- giving up --------------------------------------------------------------------------------


async def test_a_failure_after_max_age_puts_the_message_aside(store, clock, receiver, caplog):
    spy = StoreSpy(store)
    receiver.default = Answer.error(500)
    message = event_message("m-old", receiver.url, created=T0)
    await store.outbox_put([message])
    async with delivery(spy, clock, max_age=timedelta(minutes=10)) as worker:
        clock.set(T0 + timedelta(minutes=9))
        assert await worker.deliver_due() == 1
        # the 1 s retry fits; after a few doublings the last retry is held at the deadline
        for _ in range(12):
            clock.set(spy.retries[-1][1])
            await worker.deliver_due()
            if spy.dead:
                break
        assert spy.retries[-1][1] == T0 + timedelta(minutes=10)
        assert spy.dead == [("m-old", "HTTP 500, SOAP Fault: receiver broken")]
        assert await store.outbox_pending() == 0
        clock.advance(86_400 * 30)
        assert await worker.deliver_due() == 0
    (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "m-old" in warning.getMessage() and "given up" in warning.getMessage()
    assert "EventMessage" not in caplog.text  # the body is never logged


async def test_an_old_message_still_gets_its_attempt(store, clock, receiver):
    """Age alone does not drop a message: a gateway down for weeks still delivers."""
    spy = StoreSpy(store)
    await store.outbox_put([event_message("m-1", receiver.url, created=T0 - timedelta(days=30))])
    async with delivery(spy, clock) as worker:
        assert await worker.deliver_due() == 1
    assert spy.delivered == ["m-1"] and spy.dead == []


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/notify", "file:///etc/passwd", "notify"])
async def test_an_address_that_is_not_http_is_put_aside_without_sending(store, clock, url):
    spy = StoreSpy(store)
    await store.outbox_put([event_message("m-1", url)])
    async with delivery(spy, clock) as worker:
        assert await worker.deliver_due() == 1
    assert spy.dead == [("m-1", "not an http(s) URL")]
    assert spy.retries == [] and await store.outbox_pending() == 0


async def test_logs_name_the_subscriber_without_its_credentials(store, clock, receiver, caplog):
    caplog.set_level(logging.INFO, logger="cas.notify")
    url = receiver.url.replace("http://", "http://user:s3cret@") + "?token=t0ps3cret"
    receiver.answer_next(Answer.error(500))
    await store.outbox_put([event_message("m-1", url)])
    async with delivery(store, clock) as worker:
        await worker.deliver_due()
        await receiver.stop()
        clock.advance(1)
        await worker.deliver_due()  # connection refused: the error text names no URL either
        await receiver.start()
        clock.advance(2)
        await worker.deliver_due()
    assert await store.outbox_pending() == 0
    assert receiver.requests[-1].path == "/notify?token=t0ps3cret"  # sent as given
    assert receiver.requests[-1].headers["authorization"].startswith("Basic ")
    assert "m-1" in caplog.text and f"127.0.0.1:{receiver.port}/notify" in caplog.text
    assert "s3cret" not in caplog.text and "t0ps3cret" not in caplog.text


# --- crash and restart ------------------------------------------------------------------------


async def test_a_crashed_workers_messages_go_out_through_another_after_the_lease(
    open_store, clock, receiver
):
    store = await open_store()
    messages = [event_message(f"m-{i}", receiver.url) for i in range(3)]
    await store.outbox_put(messages)
    receiver.answer_next(Answer.hang(30), Answer.hang(30), Answer.hang(30))
    async with delivery(store, clock, owner="node-a", lease=60) as crashing:
        attempt = asyncio.create_task(crashing.deliver_due())
        await receiver.wait_for(3)
        attempt.cancel()  # died with the messages claimed: never recorded anything
        with contextlib.suppress(asyncio.CancelledError):
            await attempt
    spy = StoreSpy(await open_store())  # the other node has its own connection
    async with delivery(spy, clock, owner="node-b", lease=60) as other:
        clock.advance(59)
        assert await other.deliver_due() == 0  # still leased to node-a
        clock.advance(2)
        assert await other.deliver_due() == 3
    assert sorted(spy.delivered) == ["m-0", "m-1", "m-2"]
    assert await store.outbox_pending() == 0
    assert sorted(receiver.message_ids(answered_ok=True)) == ["m-0", "m-1", "m-2"]


async def test_messages_queued_before_a_restart_are_delivered_after_it(open_store, clock, receiver):
    store = await open_store()
    await store.outbox_put([event_message(f"m-{i}", receiver.url) for i in range(3)])
    receiver.answer_next(Answer.error(500))
    async with delivery(store, clock, concurrency=1) as worker:
        assert await worker.deliver_due() == 1  # m-0 failed once, retry due at T0 + 1 s
    await store.close()  # the process ends

    spy = StoreSpy(await open_store())  # and starts again on the same store
    async with delivery(spy, clock) as worker:
        assert await worker.deliver_due() == 2  # m-1, m-2; m-0 waits for its retry time
        clock.advance(1)
        assert await worker.deliver_due() == 1
    assert sorted(spy.delivered) == ["m-0", "m-1", "m-2"]
    assert await spy.outbox_pending() == 0
    assert Counter(receiver.message_ids(answered_ok=True)) == {"m-0": 1, "m-1": 1, "m-2": 1}


# --- waking up and stopping -------------------------------------------------------------------


async def test_wake_sends_at_once_and_the_poll_finds_what_others_queued(store, clock, receiver):
    async with (
        delivery(store, clock, poll_interval=0.2) as worker,
        running(worker),
    ):
        await store.outbox_put([event_message("polled", receiver.url)])  # by another process
        polled = await eventually(lambda: _received(receiver, 1))
        worker.poll_interval = 30  # from now on only wake() is quick
        await asyncio.sleep(0.25)  # let the current poll wait run out
        await store.outbox_put([event_message("woken", receiver.url)])
        worker.wake()
        woken = await eventually(lambda: _received(receiver, 2))
    assert receiver.message_ids() == ["polled", "woken"]
    assert polled < 5.0 and woken < 5.0  # the poll is 0.2 s, then 30 s


async def _received(receiver: Receiver, count: int) -> bool:
    return len(receiver.requests) >= count


async def test_stop_ends_run_promptly_even_before_it_started(store, clock):
    async with delivery(store, clock, poll_interval=30) as worker:
        worker.stop()
        await asyncio.wait_for(worker.run(), timeout=2)
    async with delivery(store, clock, poll_interval=30) as worker:
        task = asyncio.create_task(worker.run())
        await asyncio.sleep(0.05)
        worker.stop()
        await asyncio.wait_for(task, timeout=2)


async def test_a_store_failure_does_not_end_the_worker(store, clock, receiver, caplog):
    class Flaky(StoreSpy):
        failures = 2

        async def outbox_claim(self, *args):
            if self.failures:
                self.failures -= 1
                raise ConnectionError("store unreachable")
            return await self._store.outbox_claim(*args)

    flaky = Flaky(store)
    await store.outbox_put([event_message("m-1", receiver.url)])
    async with delivery(flaky, clock, poll_interval=0.05) as worker, running(worker):
        await eventually(lambda: _equals(flaky.delivered, 1))
    assert "claiming messages failed" in caplog.text


def test_a_lease_shorter_than_the_timeout_is_refused(tmp_path):
    with pytest.raises(ValueError, match="lease"):
        OutboxDelivery(object(), owner="a", lease=20, timeout=10)  # type: ignore[arg-type]


async def test_wake_while_every_slot_is_busy_sends_as_soon_as_one_frees(store, clock, receiver):
    receiver.answer_next(Answer.hang(0.3))
    spy = StoreSpy(store)
    async with delivery(spy, clock, concurrency=1, poll_interval=30) as worker, running(worker):
        await store.outbox_put([event_message("first", receiver.url)])
        worker.wake()
        await receiver.wait_for(1)
        await store.outbox_put([event_message("second", receiver.url)])
        worker.wake()  # no free slot now: remembered
        elapsed = await eventually(lambda: _equals(spy.delivered, 2))
    assert spy.delivered == ["first", "second"] and elapsed < 5.0  # the poll is 30 s


async def test_an_oversized_answer_is_not_read_and_counts_as_a_failure(store, clock, receiver):
    spy = StoreSpy(store)
    receiver.answer_next(Answer(body=b"<x>" + b" " * 5000 + b"</x>"))
    await store.outbox_put([event_message("m-1", receiver.url)])
    async with delivery(spy, clock, max_answer=4096) as worker:
        await worker.deliver_due()
    assert spy.retries[0][2] == "answer larger than 4096 bytes"


async def test_a_hanging_subscriber_with_a_backlog_does_not_starve_another(store, clock):
    """Twenty messages for a subscriber that hangs, claimed first (oldest), four slots: one
    round of four attempts times out, then its messages are held back without being sent
    while the other subscriber's go out."""
    spy = StoreSpy(store)
    async with Receiver(default=Answer.hang(30)) as hanging, Receiver() as healthy:
        stuck = [event_message(f"stuck-{i}", hanging.url, created=T0) for i in range(20)]
        fine = [
            event_message(f"fine-{i}", healthy.url, created=T0 + timedelta(seconds=1))
            for i in range(4)
        ]
        await store.outbox_put(stuck + fine)
        async with delivery(spy, clock, concurrency=4, timeout=0.5) as worker:
            assert await worker.deliver_due() == 4  # stuck-0..3: no answer within 0.5 s
            start = time.monotonic()
            assert await worker.deliver_due() == 4  # stuck-4..7: held back, nothing sent
            assert await worker.deliver_due() == 4  # stuck-8..11
            assert await worker.deliver_due() == 4  # stuck-12..15
            assert await worker.deliver_due() == 4  # stuck-16..19
            assert await worker.deliver_due() == 4  # fine-0..3: delivered
            elapsed = time.monotonic() - start
        assert len(hanging.requests) == 4
        assert sorted(healthy.message_ids()) == [f"fine-{i}" for i in range(4)]
    assert sorted(spy.delivered) == [f"fine-{i}" for i in range(4)]
    assert elapsed < 0.5  # no pass waited for the hanging subscriber again
    held = [error for mid, _, error in spy.retries if mid in {"stuck-4", "stuck-19"}]
    assert held == [f"not sent: {destination_of(hanging)} unreachable (no answer within 0.5 s)"] * 2


def destination_of(receiver: Receiver) -> str:
    return f"http://127.0.0.1:{receiver.port}"
