from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cas.notify import Backoff


def test_doubles_from_one_second_up_to_five_minutes_without_jitter():
    backoff = Backoff(jitter=0.0)
    assert [backoff.delay(n) for n in range(10)] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300]
    assert backoff.delay(10_000) == 300  # no overflow on absurd attempt counts


def test_jitter_comes_from_the_injected_random():
    assert Backoff(random=lambda: 0.0).delay(3) == 8.0
    assert Backoff(random=lambda: 0.5).delay(3) == 6.0  # default jitter 0.5: 8 * (1 - 0.25)
    assert Backoff(jitter=0.2, random=lambda: 0.999999).delay(0) == pytest.approx(0.8)


@given(
    attempt=st.integers(min_value=-3, max_value=500),
    draw=st.floats(min_value=0.0, max_value=1.0, exclude_max=True),
    jitter=st.floats(min_value=0.0, max_value=1.0),
)
def test_delay_stays_within_the_jitter_band_and_under_the_cap(attempt, draw, jitter):
    backoff = Backoff(jitter=jitter, random=lambda: draw)
    nominal = backoff.nominal(attempt)
    assert nominal <= backoff.cap
    assert nominal * (1 - jitter) - 1e-9 <= backoff.delay(attempt) <= nominal


@pytest.mark.parametrize(
    "kwargs",
    [{"first": 0}, {"first": 10, "cap": 5}, {"factor": 0.5}, {"jitter": 1.5}, {"jitter": -0.1}],
)
def test_nonsense_settings_are_refused(kwargs):
    with pytest.raises(ValueError):
        Backoff(**kwargs)
