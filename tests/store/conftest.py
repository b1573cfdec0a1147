"""Both store implementations behind one fixture: every contract test runs on each.

Redis tests use the server at $CAS_TEST_REDIS (default redis://127.0.0.1:6379/0), each test
under its own key prefix, removed afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from cas.store import Store
from tests.support.redis_keys import drop_prefix

REDIS_URL = os.environ.get("CAS_TEST_REDIS", "redis://127.0.0.1:6379/0")

Opener = Callable[[], Awaitable[Store]]


@pytest.fixture(params=["sqlite", "redis"])
async def open_store(request, tmp_path) -> AsyncIterator[Opener]:
    """A function that opens the store under test (again: the same data, as after a restart)."""
    opened: list[Store] = []
    if request.param == "sqlite":
        from cas.store.sqlite import SqliteStore

        path = tmp_path / "cas.db"

        async def opener() -> Store:
            store = await SqliteStore.open(path)
            opened.append(store)
            return store

    else:
        from cas.store.redis import RedisStore

        prefix = f"cas-test:{uuid.uuid4().hex}:"

        async def opener() -> Store:
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
