"""Wiring: the objects one gateway process runs, built from its configuration.

Kept apart from the HTTP edge so that commands (``cas serve``, ``cas demo``), tests and
benchmarks build the same gateway.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from cas.access.device_run import DeviceRunner
from cas.access.service import CasService
from cas.dlms import InvocationCounterStore, SessionPool, SessionSettings
from cas.registry import Registry


@dataclass
class GatewaySettings:
    device_concurrency: int = 64  # meters worked on at once for one request
    max_sessions: int = 1000  # associations held open at once
    session: SessionSettings = field(default_factory=SessionSettings)


class Gateway:
    """Registry, session pool and CAS service of one process."""

    def __init__(
        self,
        registry: Registry,
        counters: InvocationCounterStore,
        settings: GatewaySettings | None = None,
    ) -> None:
        self.settings = settings or GatewaySettings()
        self.registry = registry
        self.counters = counters
        self.pool = SessionPool(
            counters, settings=self.settings.session, max_sessions=self.settings.max_sessions
        )
        self.runner = DeviceRunner(registry, self.pool)
        self.service = CasService(self.runner, device_concurrency=self.settings.device_concurrency)

    def health(self) -> dict:
        return {"meters": len(self.registry), "open_sessions": self.pool.open_sessions}

    async def close(self) -> None:
        await self.pool.close()
        await self.counters.close()


def default_db_path() -> str:
    return os.environ.get("CAS_DB", "cas.db")
