"""``cas group-read`` as an operator runs it against a live gateway."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import sys
from datetime import UTC, datetime

from cas.simulator import MeterFleet, readings
from tests.support.gateway import running_gateway


async def group_read(url: str, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cas",
        "group-read",
        "--url",
        url,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode, out.decode(), err.decode()


async def test_group_read_writes_every_member_with_progress(tmp_path):
    fleet = MeterFleet(count=12)
    await fleet.start()  # the registry entries exist once the meters listen
    meters = [dataclasses.replace(m, response_timeout=0.5) for m in fleet.meters]
    async with running_gateway(meters) as gateway:
        fleet[3].faults.no_answer = True
        before = datetime.now(UTC)
        code, _out, err = await group_read(
            gateway.url,
            "--csv",
            str(tmp_path / "out.csv"),
            "--page-size",
            "5",
            "--no-retry",
            "DG_ALL_METERS",
            "3",
            "1.0.1.8.0.255",
            "2",
        )
        after = datetime.now(UTC)
    await fleet.stop()
    assert code == 1  # one meter failed
    assert "group access R-" in err and "[" in err and "ok 11" in err
    rows = list(csv.DictReader((tmp_path / "out.csv").open()))
    assert sorted(r["device"] for r in rows) == sorted(m.system_title for m in fleet.meters)
    for row in rows:
        if row["device"] == fleet[3].system_title:
            assert row["outcome"] == "errorResult" and row["value"].startswith("4.1")
            continue
        assert row["outcome"] == "XDLMSResult"
        value = int(row["value"].split("=")[1])
        assert value in {readings.energy_import_wh(row["device"], t) for t in (before, after)}


async def test_group_read_refuses_bad_input_clearly():
    fleet = MeterFleet(count=1)
    async with fleet, running_gateway(fleet.meters) as gateway:
        unknown = await group_read(gateway.url, "NO_GROUP", "3", "1.0.1.8.0.255", "2")
        bad_obis = await group_read(gateway.url, "DG_ALL_METERS", "3", "1.0.1", "2")
    assert unknown[0] == 1 and "no device group" in unknown[2]
    assert bad_obis[0] == 2 and "OBIS" in bad_obis[2]
    assert "Traceback" not in unknown[2] + bad_obis[2]


async def test_ctrl_c_cancels_the_group_access_and_keeps_what_was_done():
    import re
    import signal

    from cas.gateway import GatewaySettings
    from tests.support.soap import NS, envelope

    fleet = MeterFleet(count=20, latency=0.2)
    settings = GatewaySettings(worker_concurrency=2)  # about 4 s for the whole group
    async with fleet, running_gateway(fleet.meters, settings=settings) as gateway:
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "cas", "group-read", "--url", gateway.url),
            *("DG_ALL_METERS", "3", "1.0.1.8.0.255", "2"),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        seen = ""
        async with asyncio.timeout(30):
            while not re.search(r"ok [1-9]", seen):  # some members done, not all
                seen += (await process.stderr.read(256)).decode()
        process.send_signal(signal.SIGINT)
        _out, rest = await asyncio.wait_for(process.communicate(), 30)
        err = seen + rest.decode()
        (resource_id,) = re.findall(r"group access (R-\w+)", err)
        assert process.returncode == 130
        assert f"cancelled {resource_id}" in err
        store = gateway.gateway.store
        kept = len(await store.results(resource_id))
        directory = await gateway.post(
            envelope("get", "ResourceDirectory", request=f"<mes:ID>{resource_id}</mes:ID>")
        )
        assert directory.root.findtext(".//dev:ResourceStatus", namespaces=NS) == "CANCELLED"
        await asyncio.sleep(1.0)  # what was under way may finish; nothing new starts
        after = len(await store.results(resource_id))
        assert 1 <= kept <= after <= kept + 2 < 20
        assert fleet.stats.associations < 20
