"""Durable state: resources, schedules, device tasks, results, the delivery outbox, invocation
counters and per-meter locks. ``Store`` is the protocol; ``open_store`` picks SQLite (a file,
the default) or Redis (shared by several gateway processes) from a URL."""

from __future__ import annotations

from cas.store.model import (
    TERMINAL_STATUSES,
    Iteration,
    IterationStatus,
    OutboxMessage,
    Resource,
    ResourceKind,
    ResourceStatus,
    StoredResult,
    Task,
)
from cas.store.protocol import Store


async def open_store(location: str) -> Store:
    """``redis://…`` / ``rediss://…`` opens a RedisStore; anything else is an SQLite file."""
    if location.startswith(("redis://", "rediss://", "unix://")):
        import os

        from cas.store.redis import RedisStore

        # CAS_REDIS_PREFIX: several gateways (or test runs) on one Redis, each in its own keys
        return await RedisStore.open(location, prefix=os.environ.get("CAS_REDIS_PREFIX", "cas:"))
    from cas.store.sqlite import SqliteStore

    return await SqliteStore.open(location)


__all__ = [
    "TERMINAL_STATUSES",
    "Iteration",
    "IterationStatus",
    "OutboxMessage",
    "Resource",
    "ResourceKind",
    "ResourceStatus",
    "Store",
    "StoredResult",
    "Task",
    "open_store",
]
