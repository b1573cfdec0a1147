"""Fixtures for the delivery outbox: the store under test (SQLite, and Redis once
``cas/store/redis.py`` exists), a clock moved by hand, a real HTTP receiver.

Redis tests use the server at $CAS_TEST_REDIS (default redis://127.0.0.1:6379/0), each test
under its own key prefix, removed afterwards (as tests/store does).
"""

from __future__ import annotations

import importlib.util
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from cas.store import OutboxMessage, Store
from tests.support.receiver import Receiver
from tests.support.redis_keys import drop_prefix

REDIS_URL = os.environ.get("CAS_TEST_REDIS", "redis://127.0.0.1:6379/0")
HAS_REDIS_STORE = importlib.util.find_spec("cas.store.redis") is not None

Opener = Callable[[], Awaitable[Store]]

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)

BACKENDS = [
    "sqlite",
    pytest.param(
        "redis",
        marks=pytest.mark.skipif(not HAS_REDIS_STORE, reason="cas/store/redis.py not there yet"),
    ),
]


class ManualClock:
    """The time the worker and the store see; tests move it instead of waiting."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> datetime:
        self.now = moment
        return moment

    def advance(self, seconds: float) -> datetime:
        return self.set(self.now + timedelta(seconds=seconds))


@pytest.fixture(params=BACKENDS)
async def open_store(request, tmp_path) -> AsyncIterator[Opener]:
    """A function that opens the store under test (again: the same data, as after a restart)."""
    opened: list[Store] = []
    prefix = f"cas-test:{uuid.uuid4().hex}:"

    async def opener() -> Store:
        if request.param == "sqlite":
            from cas.store.sqlite import SqliteStore

            store = await SqliteStore.open(tmp_path / "cas.db")
        else:
            from cas.store.redis import RedisStore

            store = await RedisStore.open(REDIS_URL, prefix=prefix)
        opened.append(store)
        return store

    yield opener
    for store in opened:
        await store.close()
    if request.param == "redis":
        await drop_prefix(REDIS_URL, prefix)


@pytest.fixture
async def store(open_store) -> Store:
    return await open_store()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver() as running:
        yield running


def event_message(
    message_id: str,
    url: str,
    *,
    created: datetime = T0,
    soap11: bool = False,
) -> OutboxMessage:
    """A real EventMessage (as the scheduler queues them) with a stable MessageID."""
    from cas.messages import SoapVersion, build_event, content_type, render_event

    version = SoapVersion.V11 if soap11 else SoapVersion.V12
    event = build_event(
        None,
        message_id=message_id,
        correlation_id="R-1",
        timestamp=created,
        properties=[("Iteration", "0")],
    )
    return OutboxMessage(
        message_id=message_id,
        url=url,
        body=render_event(event, version),
        content_type=content_type(version),
        created=created,
        resource_id="R-1",
    )


class StoreSpy:
    """The store, with a record of the outcomes the worker wrote (the store has no getter)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.retries: list[tuple[str, datetime, str]] = []
        self.dead: list[tuple[str, str]] = []
        self.delivered: list[str] = []

    def __getattr__(self, name: str):
        return getattr(self._store, name)

    async def outbox_retry(self, message: OutboxMessage, next_attempt: datetime, error: str):
        self.retries.append((message.message_id, next_attempt, error))
        await self._store.outbox_retry(message, next_attempt, error)

    async def outbox_dead(self, message: OutboxMessage, error: str):
        self.dead.append((message.message_id, error))
        await self._store.outbox_dead(message, error)

    async def outbox_delivered(self, message: OutboxMessage):
        self.delivered.append(message.message_id)
        await self._store.outbox_delivered(message)
