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
    return Breakers(Backoff(random=lambda: 0.0))  # 1 s, 2 s, 4 s ...


def test_destinations_are_origins_without_credentials():
    assert destination("http://u:p@MDM.example/notify?t=1") == KEY
    assert destination("https://mdm.example/x") == "https://mdm.example:443"
    assert destination("HTTP://10.0.0.1:8080/x") == "http://10.0.0.1:8080"


def test_a_destination_without_answer_is_held_back_then_probed_once(breakers):
    assert breakers.admit(KEY, T0) is None
    breakers.unreachable(KEY, T0, "ConnectError: refused")
    assert breakers.admit(KEY, T0 + seconds(0.5)) == (
        T0 + seconds(1),
        "http://mdm.example:80 unreachable (ConnectError: refused)",
    )
    assert breakers.admit(KEY, T0 + seconds(1)) is None  # the probe
    assert breakers.admit(KEY, T0 + seconds(1)) == (
        T0 + seconds(1),
        "http://mdm.example:80 being probed after: ConnectError: refused",
    )
    breakers.unreachable(KEY, T0 + seconds(1.5), "no answer within 10 s")  # the probe failed
    assert breakers.admit(KEY, T0 + seconds(3)) == (
        T0 + seconds(3.5),
        "http://mdm.example:80 unreachable (no answer within 10 s)",
    )
    assert breakers.admit(KEY, T0 + seconds(3.5)) is None
    breakers.answered(KEY)  # even an HTTP 500 is an answer: the host is there
    assert breakers.admit(KEY, T0 + seconds(3.5)) is None
    assert not breakers.is_open(KEY)


def test_failures_of_one_burst_do_not_lengthen_the_wait(breakers):
    for _ in range(16):  # the attempts under way when the first failure opened it
        breakers.unreachable(KEY, T0, "ConnectError")
    assert breakers.admit(KEY, T0)[0] == T0 + seconds(1)


def test_a_cancelled_probe_lets_another_one_go(breakers):
    breakers.unreachable(KEY, T0, "ConnectError")
    assert breakers.admit(KEY, T0 + seconds(2)) is None
    breakers.release(KEY)
    assert breakers.admit(KEY, T0 + seconds(2)) is None


def test_destinations_are_independent(breakers):
    breakers.unreachable(KEY, T0, "ConnectError")
    assert breakers.admit("http://other.example:80", T0) is None
