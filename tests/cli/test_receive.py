"""``cas receive`` as the README uses it: a scheduled read delivered to a local subscriber."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from datetime import UTC, datetime

from cas.simulator import MeterFleet
from tests.support.gateway import running_gateway
from tests.support.serve import free_port
from tests.support.soap import device_access, envelope, get_xml


async def test_a_scheduled_read_reaches_cas_receive(tmp_path):
    port = free_port()
    receiver = subprocess.Popen(
        [sys.executable, "-m", "cas", "receive", "--port", str(port), "--save", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "receiving on" in receiver.stdout.readline()
        async with MeterFleet(count=1) as fleet, running_gateway(fleet.meters) as gateway:
            title = fleet.meters[0].system_title
            now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            created = await gateway.post(
                envelope(
                    "create",
                    "DeviceAccess",
                    device_access(
                        [title],
                        [get_xml(3, "1.0.1.8.0.255", 2)],
                        f"<dev:Activates>{now}</dev:Activates>"
                        "<dev:RepeatingInterval>PT15M</dev:RepeatingInterval>",
                    ),
                    header_extra=f"<mes:ReplyAddress>http://127.0.0.1:{port}/</mes:ReplyAddress>",
                )
            )
            assert created.result == "OK"
            async with asyncio.timeout(30):
                while await gateway.gateway.store.outbox_pending() or not list(
                    tmp_path.glob("*.xml")
                ):
                    await asyncio.sleep(0.1)
    finally:
        receiver.send_signal(signal.SIGINT)
        out, _err = receiver.communicate(timeout=30)
    assert f"CorrelationID={created.ids[0]}" in out
    assert "EventMessage created DeviceAccess" in out and "Iteration=0" in out
    assert f"device {title}" in out and "double-long-unsigned=" in out
    assert len(list(tmp_path.glob("*.xml"))) == 1
