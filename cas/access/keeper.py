"""Keeps on-demand requests and their results in the store, behind the replies.

An on-demand reply does not wait for the store: the resource record (FINISHED) and its
results are queued here and written in batches, so that ``get DeviceAccess`` finds them later
and a NotOlderThan request can be answered from them. If the gateway stops before a batch is
written, those results are only lost from the cache: the client already has them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from cas.store import Resource, Store, StoredResult

logger = logging.getLogger(__name__)


class ResultKeeper:
    def __init__(self, store: Store, *, max_batch: int = 500, max_queue: int = 100_000) -> None:
        self.store = store
        self.max_batch = max_batch
        self._queue: asyncio.Queue[tuple[Resource, Sequence[StoredResult]]] = asyncio.Queue(
            max_queue
        )
        self._stopped = False

    def keep(self, resource: Resource, results: Sequence[StoredResult]) -> None:
        try:
            self._queue.put_nowait((resource, results))
        except asyncio.QueueFull:
            logger.warning("result keeper is behind: %s not kept", resource.id)

    async def run(self) -> None:
        while not self._stopped:
            first = await self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < self.max_batch and not self._queue.empty():
                item = self._queue.get_nowait()
                if item is None:
                    self._stopped = True
                    break
                batch.append(item)
            await self._write(batch)

    async def _write(self, batch: list[tuple[Resource, Sequence[StoredResult]]]) -> None:
        try:
            for resource, _ in batch:
                await self.store.create_resource(resource, None)
            await self.store.put_results([r for _, results in batch for r in results])
        except Exception:
            logger.exception("could not keep %d on-demand result set(s)", len(batch))

    async def flush(self) -> None:
        """Write everything queued now (tests, shutdown)."""
        batch = []
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if item is not None:
                batch.append(item)
        if batch:
            await self._write(batch)

    async def stop(self) -> None:
        """Write what is queued, then let ``run`` return."""
        self._stopped = True
        await self.flush()
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(None)  # type: ignore[arg-type]
