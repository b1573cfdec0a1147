"""Fixtures shared by the end-to-end tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from cas.store import Store
from tests.store.conftest import REDIS_URL
from tests.support.redis_keys import drop_prefix


@pytest.fixture(params=["sqlite", "redis"])
async def backend(request) -> AsyncIterator[Store | None]:
    """None (the gateway's own SQLite file) or a RedisStore under a key prefix of its own."""
    if request.param == "sqlite":
        yield None
        return
    from cas.store.redis import RedisStore

    prefix = f"cas-test:{uuid.uuid4().hex}:"
    yield await RedisStore.open(REDIS_URL, prefix=prefix)
    await drop_prefix(REDIS_URL, prefix)
