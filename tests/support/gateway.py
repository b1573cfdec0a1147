"""A real gateway for tests: uvicorn on an ephemeral port, in the test's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

from cas.api.app import ENDPOINT, create_app
from cas.api.auth import ClientAuth
from cas.gateway import Gateway, GatewaySettings
from cas.registry import Meter, Registry
from cas.store import Store
from cas.store.sqlite import SqliteStore
from tests.support.soap import Reply, read_reply


@dataclass
class RunningGateway:
    gateway: Gateway
    url: str  # the SOAP endpoint
    client: httpx.AsyncClient

    async def post(self, body: bytes, **headers: str) -> Reply:
        headers.setdefault("content-type", "application/soap+xml; charset=utf-8")
        response = await self.client.post(self.url, content=body, headers=headers)
        return read_reply(response.status_code, response.content)


@contextlib.asynccontextmanager
async def running_gateway(
    meters: list[Meter],
    *,
    auth: ClientAuth | None = None,
    store: Store | None = None,
    settings: GatewaySettings | None = None,
    clock=None,
    role: str = "all",
    background: bool = True,
) -> AsyncIterator[RunningGateway]:
    """The gateway on an SQLite store in a temporary folder unless ``store`` is given.

    ``background=False``: the scheduler, workers and outbox do not run by themselves; the
    test drives them (needed when it moves a fake clock past leases)."""
    with tempfile.TemporaryDirectory(prefix="cas-test-") as folder:
        if store is None:
            store = await SqliteStore.open(Path(folder) / "cas.db")
        options = {"clock": clock} if clock is not None else {}
        gateway = Gateway(Registry(meters), store, settings, role=role, **options)
        async with _serving(gateway, auth, background) as running:
            yield running


@contextlib.asynccontextmanager
async def _serving(
    gateway: Gateway, auth: ClientAuth | None, background: bool
) -> AsyncIterator[RunningGateway]:
    if background:
        await gateway.start()
    app = create_app(gateway.service, auth=auth, health=gateway.health, on_shutdown=gateway.close)
    # IPPROTO_TCP given explicitly: asyncio then sets TCP_NODELAY (no 40 ms delayed answers)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        async with httpx.AsyncClient(timeout=300) as client:
            yield RunningGateway(gateway, f"http://127.0.0.1:{port}{ENDPOINT}", client)
    finally:
        server.should_exit = True
        await task
        sock.close()
