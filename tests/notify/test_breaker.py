from __future__ import annotations

from datetime import timedelta

import pytest

from cas.notify import Backoff
from cas.notify.breaker import Breakers, destination
from tests.notify.conftest import T0

KEY = "http://mdm.example:80"


def seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


@pytest.fixture
def breakers() -> Breakers:
    return Breakers(Backoff(random=lambda: 0.0), max_waiters=2, hold=10)  # 1 s, 2 s, 4 s ...


def test_destinations_are_origins_without_credentials():
    assert destination("http://u:p@MDM.example/notify?t=1") == KEY
    assert destination("https://mdm.example/x") == "https://mdm.example:443"
    assert destination("HTTP://10.0.0.1:8080/x") == "http://10.0.0.1:8080"


def test_a_destination_that_answers_is_always_sent_to(breakers):
    assert breakers.admit(KEY, T0).send
    breakers.answered(KEY)
    assert breakers.admit(KEY, T0).send and not breakers.is_open(KEY)


def test_without_answer_it_is_held_back_then_probed_while_a_few_wait(breakers):
    breakers.unreachable(KEY, T0, "ConnectError: refused")
    held = breakers.admit(KEY, T0 + seconds(0.5))
    assert not held.send and held.not_before == T0 + seconds(1)
    assert held.reason == "http://mdm.example:80 unreachable (ConnectError: refused)"

    probe = breakers.admit(KEY, T0 + seconds(1))
    assert probe.send and probe.probe
    waiting = [breakers.admit(KEY, T0 + seconds(1)) for _ in range(2)]
    assert all(w.wait is not None and not w.wait.is_set() for w in waiting)
    over = breakers.admit(KEY, T0 + seconds(1))  # more than max_waiters: held for `hold`
    assert over.not_before == T0 + seconds(11)
    assert over.reason == "http://mdm.example:80 being probed after: ConnectError: refused"

    breakers.answered(KEY)  # the probe got an answer (any: even an HTTP 500)
    assert all(w.wait.is_set() for w in waiting)
    assert breakers.admit(KEY, T0 + seconds(1.2), may_wait=False).send


def test_a_failed_probe_opens_it_longer_and_wakes_the_waiters(breakers):
    breakers.unreachable(KEY, T0, "ConnectError")
    assert breakers.admit(KEY, T0 + seconds(1)).probe
    waiter = breakers.admit(KEY, T0 + seconds(1))
    breakers.unreachable(KEY, T0 + seconds(1.5), "no answer within 10 s")
    assert waiter.wait.is_set()
    again = breakers.admit(KEY, T0 + seconds(1.5), may_wait=False)
    assert again.not_before == T0 + seconds(3.5)  # second failure: 2 s
    assert again.reason == "http://mdm.example:80 unreachable (no answer within 10 s)"


def test_failures_of_one_burst_do_not_lengthen_the_wait(breakers):
    for _ in range(16):  # the attempts under way when the first failure opened it
        breakers.unreachable(KEY, T0, "ConnectError")
    assert breakers.admit(KEY, T0).not_before == T0 + seconds(1)


def test_a_cancelled_probe_lets_another_one_go(breakers):
    breakers.unreachable(KEY, T0, "ConnectError")
    assert breakers.admit(KEY, T0 + seconds(2)).probe
    waiter = breakers.admit(KEY, T0 + seconds(2))
    breakers.release(KEY)
    assert waiter.wait.is_set()
    assert breakers.admit(KEY, T0 + seconds(2), may_wait=False).probe


def test_destinations_are_independent(breakers):
    breakers.unreachable(KEY, T0, "ConnectError")
    assert breakers.admit("http://other.example:80", T0).send
