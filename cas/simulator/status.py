"""The status file of a fleet in another process: counters, segment peaks and CPU, as JSON.

``cas simulate --status FILE`` rewrites FILE (atomically: readers never see half a file)
every interval, and at once on SIGUSR2 (write now) and SIGUSR1 (restart the peaks, then
write). The document::

    {"pid": 1234, "sequence": 17, "resets": 1,
     "written_at": <time.time()>, "monotonic": <time.monotonic()>,
     "cpu_seconds": 3.2,                      # user + system CPU of the simulator process
     "meters": 10000, "down": 100,
     "stats": {"connections": .., "associations": .., "requests": ..,
               "open_connections": .., "peak_open_connections": ..},
     "segments": {"seg-0": {"meters": .., "connections": .., "open_connections": ..,
                            "peak_open_connections": .., "peak_rate": .., "rate_window": 1.0},
                  ...}}

``sequence`` increases with every write and ``resets`` with every SIGUSR1, so a reader
that signalled can wait for the write that followed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cas.simulator.fleet import MeterFleet

log = logging.getLogger(__name__)


def status_document(fleet: MeterFleet, sequence: int = 0, resets: int = 0) -> dict[str, Any]:
    times = os.times()
    return {
        "pid": os.getpid(),
        "sequence": sequence,
        "resets": resets,
        "written_at": time.time(),
        "monotonic": time.monotonic(),
        "cpu_seconds": round(times.user + times.system, 3),
        "meters": len(fleet),
        "down": len(fleet.down),
        "stats": fleet.stats.as_dict(),
        "segments": {name: segment.as_dict() for name, segment in fleet.segments.items()},
    }


def write_json(path: Path, document: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class StatusWriter:
    """Rewrites the status file every ``interval`` seconds on the running loop."""

    def __init__(self, fleet: MeterFleet, path: str | os.PathLike[str], interval: float) -> None:
        self.fleet = fleet
        self.path = Path(path)
        self.interval = interval
        self.sequence = 0
        self.resets = 0
        self._timer: asyncio.TimerHandle | None = None

    def write(self) -> None:
        self.sequence += 1
        try:
            write_json(self.path, status_document(self.fleet, self.sequence, self.resets))
        except OSError as error:
            log.warning("cannot write the status file %s: %s", self.path, error.strerror)

    def reset_peaks(self) -> None:
        self.fleet.reset_peaks()
        self.resets += 1
        self.write()

    def start(self) -> None:
        self._timer = asyncio.get_running_loop().call_later(self.interval, self._tick)

    def _tick(self) -> None:
        self.write()
        self.start()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.write()
