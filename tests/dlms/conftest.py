"""Fixtures for the DLMS engine tests: simulated meters over real TCP, pools, sessions."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator

import pytest

from cas.dlms.counters import MemoryInvocationCounterStore, MeterCounters
from cas.dlms.pool import SessionPool
from cas.dlms.session import Session
from cas.registry import Meter
from cas.simulator import MeterFleet

COMBINATIONS = [
    pytest.param(transport, security, id=f"{transport}-{security}")
    for transport in ("wrapper", "hdlc")
    for security in ("none", "low", "hls-gmac")
]


@contextlib.asynccontextmanager
async def fleet_of(
    transport: str = "wrapper", security: str = "none", count: int = 1, **options
) -> AsyncIterator[MeterFleet]:
    async with MeterFleet(count=count, transport=transport, security=security, **options) as fleet:
        yield fleet


def quick(meter: Meter, response_timeout: float = 0.3, **changes) -> Meter:
    """The registry entry with a short response timeout, for fault tests."""
    return dataclasses.replace(meter, response_timeout=response_timeout, **changes)


@contextlib.asynccontextmanager
async def open_session(meter: Meter, store=None) -> AsyncIterator[Session]:
    store = store if store is not None else MemoryInvocationCounterStore()
    session = Session(meter, MeterCounters(store, meter.system_title))
    await session.open()
    try:
        yield session
    finally:
        await session.close()


@pytest.fixture
async def pool() -> AsyncIterator[SessionPool]:
    pool = SessionPool(MemoryInvocationCounterStore())
    try:
        yield pool
    finally:
        await pool.close()
