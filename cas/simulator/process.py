"""Run ``cas simulate`` as a child process (its CPU apart from the caller's, for benchmarks)."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from cas.registry import Meter
from cas.simulator import plan, registry_file


class FleetProcess:
    """``with FleetProcess(meters=200, security="hls-gmac") as meters:`` -> registry entries.

    The child listens on free ports unless ``port`` is given, writes its registry to a
    temporary file (or ``registry``) and is stopped with SIGTERM. Faults cannot be set in a
    child process: use ``MeterFleet`` in-process for fault tests. The scale options are
    those of ``MeterFleet`` (``latency``, ``latency_jitter``, ``failure_rate``,
    ``segments``, ``segment_layout``, ``shared_port``); ``down`` lists the indices of the
    meters that never answer (``cas.simulator.plan.down_indices``).

    The child rewrites a JSON status file (``cas.simulator.status``) every
    ``status_interval`` seconds: ``status()`` reads it (``fresh=True``: asks for a rewrite
    first and waits for it), ``reset_peaks()`` restarts the segments' peaks, and
    ``cpu_seconds()`` reads the child's CPU time from /proc.
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
        *,
        latency: float = 0.0,
        latency_jitter: float = 0.0,
        failure_rate: float = 0.0,
        segments: int | None = None,
        segment_layout: str = "round-robin",
        inactivity_timeout: float | None = None,
        status_interval: float = 1.0,
        loop: str | None = None,
        shared_port: bool = False,
    ) -> None:
        self.options = {
            "--meters": str(meters),
            "--transport": transport,
            "--security": security,
            "--port": str(port),
            "--seed": str(seed),
            "--latency": repr(latency),
            "--latency-jitter": repr(latency_jitter),
            "--failure-rate": repr(failure_rate),
            "--segment-layout": segment_layout,
            "--status-interval": repr(status_interval),
        }
        if segments is not None:
            self.options["--segments"] = str(segments)
        if inactivity_timeout is not None:
            self.options["--inactivity-timeout"] = repr(inactivity_timeout)
        if loop is not None:
            self.options["--loop"] = loop
        self.flags = ["--shared-port"] if shared_port else []
        self.down = plan.down_indices(meters, failure_rate, seed)
        self._tmp = tempfile.TemporaryDirectory(prefix="cas-simulate-")
        work = Path(self._tmp.name)
        self.registry = Path(registry) if registry is not None else work / "registry.yaml"
        self.status_file = work / "status.json"
        self._stderr_file = work / "stderr.log"
        self.start_timeout = start_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.meters: list[Meter] = []
        self.final_status: dict[str, Any] = {}

    def start(self) -> list[Meter]:
        if self.process is not None:
            raise RuntimeError("the simulator process is already running")
        Path(self._tmp.name).mkdir(exist_ok=True)  # again, after a stop()
        command = [sys.executable, "-m", "cas", "simulate", "--registry", str(self.registry)]
        command += ["--status", str(self.status_file)]
        for name, value in self.options.items():
            command += [name, value]
        command += self.flags
        with open(self._stderr_file, "wb") as stderr:
            self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr)
        line = self._first_line(self.start_timeout)
        if not line.startswith("serving"):
            error = self.stderr()
            self.stop()
            raise RuntimeError(f"cas simulate did not start: {line.strip()} {error.strip()}")
        self.meters = registry_file.load(self.registry)
        return self.meters

    def _first_line(self, timeout: float) -> str:
        """The one line the command prints when ready ('' if none came in time)."""
        assert self.process is not None and self.process.stdout is not None
        stdout = self.process.stdout
        deadline = time.monotonic() + timeout
        data = b""
        with selectors.DefaultSelector() as selector:
            selector.register(stdout, selectors.EVENT_READ)
            while b"\n" not in data:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    break
                chunk = os.read(stdout.fileno(), 4096)
                if not chunk:
                    break
                data += chunk
        return data.decode("utf-8", "replace")

    def stderr(self) -> str:
        """What the child wrote to stderr so far."""
        try:
            return self._stderr_file.read_text("utf-8", "replace")
        except OSError:
            return ""

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def cpu_seconds(self) -> float:
        """User + system CPU time of the child so far (from /proc)."""
        pid = self.pid
        if pid is None:
            raise RuntimeError("the simulator process is not running")
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def status(self, fresh: bool = False, timeout: float = 10.0) -> dict[str, Any]:
        """The child's last status document; ``fresh``: one written after this call."""
        if not fresh:
            return self._read_status()
        before = self._read_status().get("sequence", 0)
        self._signal(signal.SIGUSR2)
        return self._wait_status(lambda s: s.get("sequence", 0) > before, timeout)

    def reset_peaks(self, timeout: float = 10.0) -> dict[str, Any]:
        """Restart the child's peaks (segments and overall); the status written after."""
        before = self._read_status().get("resets", 0)
        self._signal(signal.SIGUSR1)
        return self._wait_status(lambda s: s.get("resets", 0) > before, timeout)

    def _signal(self, sig: signal.Signals) -> None:
        if self.process is None or self.process.poll() is not None:
            raise RuntimeError("the simulator process is not running")
        self.process.send_signal(sig)

    def _read_status(self) -> dict[str, Any]:
        try:
            return json.loads(self.status_file.read_text("utf-8"))
        except FileNotFoundError:
            return {}

    def _wait_status(self, done: Any, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            status = self._read_status()
            if done(status):
                return status
            if time.monotonic() > deadline:
                raise TimeoutError("the simulator did not rewrite its status file in time")
            time.sleep(0.01)

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM the child and wait; its exit code (None if it was not running). The
        temporary files go; the status the child wrote as it stopped stays in
        ``final_status``."""
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
            if process.stdout is not None:
                process.stdout.close()
            self.final_status = self._read_status()
        self._tmp.cleanup()
        return code

    def __enter__(self) -> list[Meter]:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
