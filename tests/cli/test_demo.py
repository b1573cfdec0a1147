"""``cas demo --once``: the README's first command does something real and says what."""

from __future__ import annotations

import subprocess
import sys

from lxml import etree

NS = {"mes": "http://iec.ch/TC57/2011/schema/message"}


def test_demo_serves_simulated_meters_and_answers_its_example(tmp_path):
    folder = tmp_path / "demo"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cas",
            "demo",
            "--once",
            "--port",
            "0",
            "--meters",
            "3",
            "--dir",
            str(folder),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Reply/Result: OK" in done.stdout
    assert done.stdout.count("active energy import") == 3
    assert "curl" in done.stdout
    response = etree.parse(str(folder / "example-response.xml"))
    assert response.findtext(".//mes:Reply/mes:Result", namespaces=NS) == "OK"
    assert (folder / "registry.yaml").stat().st_mode & 0o777 == 0o600
    assert (folder / "example-request.xml").read_text().count("DeviceReference") == 3


def test_demo_refuses_a_port_in_use(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "cas",
                "demo",
                "--once",
                "--port",
                str(port),
                "--meters",
                "1",
                "--dir",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 1
    assert "cas demo:" in done.stderr and "Traceback" not in done.stderr
