"""Faults: each gives a typed error within a bounded time, and the session is not reused."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from cas.dlms.counters import MemoryInvocationCounterStore
from cas.dlms.errors import (
    AssociationRefused,
    AuthenticationFailed,
    ConnectionClosed,
    FrameError,
    MeterTimeout,
    MeterUnreachable,
    ReplayError,
    SecurityError,
)
from cas.dlms.pool import SessionPool
from cas.dlms.session import SessionSettings

from . import apdus
from .conftest import fleet_of, open_session, quick

TIMEOUT = 0.3
BOUND = TIMEOUT + 1.5  # tolerant of a loaded machine, still proves the wait is bounded
TRANSPORTS = ["wrapper", "hdlc"]

BYTE_FAULTS = [
    ("no_answer", MeterTimeout),
    ("close", ConnectionClosed),
    ("garbage", FrameError),
    ("truncate", FrameError),
    ("oversized", FrameError),
]


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(("fault", "error"), BYTE_FAULTS, ids=[f for f, _ in BYTE_FAULTS])
async def test_fault_during_a_request(transport, fault, error):
    async with fleet_of(transport, "hls-gmac") as fleet:
        sim, meter = fleet[0], quick(fleet.meters[0], TIMEOUT)
        pool = SessionPool(MemoryInvocationCounterStore())
        try:
            assert apdus.data_of(await pool.request(meter, apdus.get(apdus.SERIAL)))
            setattr(sim.faults, fault, True)
            started = time.monotonic()
            with pytest.raises(error, match=meter.system_title):
                await pool.request(meter, apdus.get(apdus.ENERGY_IMPORT))
            assert time.monotonic() - started < BOUND
            assert pool.open_sessions == 0 and pool.stats.discarded == 1  # never reused

            sim.faults.reset()
            assert apdus.data_of(await pool.request(meter, apdus.get(apdus.SERIAL)))
            assert sim.stats.associations == 2  # a fresh association after the failure
        finally:
            await pool.close()


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_fault_during_association(transport):
    async with fleet_of(transport, "low") as fleet:
        sim, meter = fleet[0], quick(fleet.meters[0], TIMEOUT)
        sim.faults.no_answer = True
        started = time.monotonic()
        with pytest.raises(MeterTimeout):
            async with open_session(meter):
                pass
        assert time.monotonic() - started < BOUND


async def test_slow_meter_within_its_timeout_is_fine_and_beyond_it_times_out():
    async with fleet_of() as fleet, open_session(quick(fleet.meters[0], 0.5)) as session:
        fleet[0].faults.delay = 0.1
        assert apdus.data_of(await session.request(apdus.get(apdus.SERIAL)))
        fleet[0].faults.delay = 1.0
        with pytest.raises(MeterTimeout):
            await session.request(apdus.get(apdus.SERIAL))
        assert not session.usable


async def test_unreachable_meter():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with fleet_of() as fleet:
        meter = quick(fleet.meters[0], port=port)
    started = time.monotonic()
    with pytest.raises(MeterUnreachable, match=meter.system_title):
        async with open_session(meter):
            pass
    assert time.monotonic() - started < BOUND


async def test_response_larger_than_the_limit_is_cut_off():
    async with fleet_of() as fleet:
        pool = SessionPool(settings=SessionSettings(max_response_size=20_000))
        try:
            with pytest.raises(FrameError, match="exceeds 20000"):
                await pool.request(fleet.meters[0], apdus.get(apdus.LOAD_PROFILE))
            assert pool.open_sessions == 0
        finally:
            await pool.close()


# --- security ---------------------------------------------------------------------------------


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_wrong_password(transport):
    async with fleet_of(transport, "low") as fleet:
        fleet[0].faults.wrong_keys = True
        with pytest.raises(AuthenticationFailed, match="authentication-failure") as caught:
            async with open_session(quick(fleet.meters[0])):
                pass
        assert caught.value.aare[:1] == b"\x61"
        assert caught.value.diagnostic == 13
        password = fleet.meters[0].password.reveal().decode()
        assert password not in str(caught.value)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_wrong_keys(transport):
    async with fleet_of(transport, "hls-gmac") as fleet:
        fleet[0].faults.wrong_keys = True
        with pytest.raises(AssociationRefused, match="wrong keys") as caught:
            async with open_session(quick(fleet.meters[0])):
                pass
        assert caught.value.aare[:1] == b"\x61"
        keys = fleet.meters[0].keys
        for secret in (keys.block_cipher_key, keys.authentication_key):
            assert secret.reveal().hex() not in str(caught.value).lower()


async def test_gateway_with_wrong_authentication_key_fails_hls():
    async with fleet_of("wrapper", "hls-gmac") as fleet:
        meter = fleet.meters[0]
        wrong = type(meter.keys)(
            meter.keys.block_cipher_key, type(meter.keys.block_cipher_key)(bytes(16))
        )
        with pytest.raises((AuthenticationFailed, AssociationRefused, SecurityError)):
            async with open_session(quick(meter, keys=wrong)):
                pass


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_tampered_gcm_tag(transport):
    async with (
        fleet_of(transport, "hls-gmac") as fleet,
        open_session(quick(fleet.meters[0])) as session,
    ):
        fleet[0].faults.flip_tag = True
        with pytest.raises(SecurityError, match="tag") as caught:
            await session.request(apdus.get(apdus.ENERGY_IMPORT))
        assert not isinstance(caught.value, ReplayError)
        assert not session.usable


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_replayed_response_within_a_session(transport):
    async with (
        fleet_of(transport, "hls-gmac") as fleet,
        open_session(quick(fleet.meters[0])) as session,
    ):
        await session.request(apdus.get(apdus.ENERGY_IMPORT))  # the meter keeps this reply
        fleet[0].faults.replay = True
        with pytest.raises(ReplayError, match="does not increase"):
            await session.request(apdus.get(apdus.ENERGY_IMPORT))


async def test_replayed_response_in_a_later_session_and_after_a_restart(tmp_path):
    from cas.dlms.counters import SqliteInvocationCounterStore

    async with fleet_of("wrapper", "hls-gmac") as fleet:
        sim, meter = fleet[0], quick(fleet.meters[0])
        store = SqliteInvocationCounterStore(tmp_path / "counters.sqlite")
        pool = SessionPool(store)
        await pool.request(meter, apdus.get(apdus.ENERGY_IMPORT))  # reply captured
        await pool.request(meter, apdus.get(apdus.SERIAL))
        await pool.close()  # releases; the meter's last counter is persisted
        await store.close()

        # A new gateway process: the same file, nothing in memory.
        store = SqliteInvocationCounterStore(tmp_path / "counters.sqlite")
        pool = SessionPool(store)
        try:
            sim.faults.replay = True
            with pytest.raises(ReplayError):
                await pool.request(meter, apdus.get(apdus.ENERGY_IMPORT))
        finally:
            await pool.close()
            await store.close()


async def test_requests_are_bounded_even_when_the_loop_is_busy():
    """A stalled meter never blocks other meters: the timeout is per request."""
    async with fleet_of(count=2) as fleet:
        fleet[0].faults.no_answer = True
        pool = SessionPool()
        try:
            slow = asyncio.create_task(
                pool.request(quick(fleet.meters[0], 0.5), apdus.get(apdus.SERIAL))
            )
            started = time.monotonic()
            assert apdus.data_of(await pool.request(fleet.meters[1], apdus.get(apdus.SERIAL)))
            assert time.monotonic() - started < 0.4
            with pytest.raises(MeterTimeout):
                await slow
        finally:
            await pool.close()
