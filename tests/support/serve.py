"""``cas serve`` as a real child process, the way an operator starts it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx

from tests.support.soap import Reply, read_reply


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Serve:
    """One ``cas serve`` process on a free port; its first stdout line is the banner."""

    def __init__(self, registry, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        command = [
            sys.executable,
            "-m",
            "cas",
            "serve",
            "--registry",
            str(registry),
            "--port",
            str(self.port),
            "--log-level",
            "warning",
            *args,
        ]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        self.banner = self.process.stdout.readline()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/cas"

    def wait_http(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"cas serve exited: {self.process.stderr.read()}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise AssertionError(f"cas serve did not answer: {self.banner!r}")

    def post(self, body: bytes) -> Reply:
        response = httpx.post(
            self.url, content=body, headers={"content-type": "application/soap+xml"}, timeout=60
        )
        return read_reply(response.status_code, response.content)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Stop it (uvicorn shuts down gracefully, then re-raises the signal it caught)."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()
        finally:
            self.process.stdout.close()
            self.process.stderr.close()
