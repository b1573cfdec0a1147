"""Run ``cas simulate`` as a child process (its CPU apart from the caller's, for benchmarks)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from cas.registry import Meter, load_meters


class FleetProcess:
    """``with FleetProcess(meters=200, security="hls-gmac") as meters:`` -> registry entries.

    The child listens on ephemeral ports unless ``port`` is given, writes its registry to a
    temporary file (or ``registry``) and is stopped with SIGTERM. Faults cannot be set in a
    child process: use ``MeterFleet`` in-process for fault tests.
    """

    def __init__(
        self,
        meters: int = 1,
        transport: str = "wrapper",
        security: str = "none",
        port: int = 0,
        seed: int = 1,
        registry: str | os.PathLike[str] | None = None,
        start_timeout: float = 60.0,
    ) -> None:
        self.options = {
            "--meters": str(meters),
            "--transport": transport,
            "--security": security,
            "--port": str(port),
            "--seed": str(seed),
        }
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if registry is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="cas-simulate-")
            registry = Path(self._tmp.name) / "registry.yaml"
        self.registry = Path(registry)
        self.start_timeout = start_timeout
        self.process: subprocess.Popen[str] | None = None
        self.meters: list[Meter] = []

    def start(self) -> list[Meter]:
        command = [sys.executable, "-m", "cas", "simulate", "--registry", str(self.registry)]
        for name, value in self.options.items():
            command += [name, value]
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + self.start_timeout
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # the one line the command prints when ready
        if not line.startswith("serving") or time.monotonic() > deadline:
            error = self.process.stderr.read() if self.process.stderr else ""
            self.stop()
            raise RuntimeError(f"cas simulate did not start: {line.strip()} {error.strip()}")
        self.meters = load_meters(self.registry)
        return self.meters

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM the child and wait; its exit code (None if it was not running)."""
        process, self.process = self.process, None
        code = None
        if process is not None:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                code = process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                code = process.wait()
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        return code

    def __enter__(self) -> list[Meter]:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
