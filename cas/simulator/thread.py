"""Run a MeterFleet in a background thread, for synchronous callers and benchmarks."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from cas.simulator.fleet import MeterFleet


class FleetThread:
    """A MeterFleet on its own event loop in a daemon thread.

    ``with FleetThread(count=2, security="hls-gmac") as fleet:`` gives the started
    ``MeterFleet`` (its meters, faults and stats are plain attributes, safe to read and set
    from the caller's thread). Its CPU is still this process's CPU: to measure a client apart
    from the simulator, run ``cas simulate`` as a subprocess (see ``cas.simulator.process``).
    """

    def __init__(self, **fleet_options: Any) -> None:
        self.fleet = MeterFleet(**fleet_options)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self, timeout: float = 30.0) -> MeterFleet:
        self._thread = threading.Thread(target=self._run, name="cas-simulator", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("the simulator thread did not start in time")
        if self._error is not None:
            raise self._error
        return self.fleet

    def stop(self, timeout: float = 30.0) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(self._stopping.set)
        thread.join(timeout)
        self._loop = self._thread = None

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        try:
            await self.fleet.start()
        except BaseException as error:
            self._error = error
            self._ready.set()
            return
        self._ready.set()
        try:
            await self._stopping.wait()
        finally:
            await self.fleet.stop()

    def __enter__(self) -> MeterFleet:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
