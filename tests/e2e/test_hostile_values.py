"""Hostile values anywhere in a rich request, over HTTP to a gateway with a real meter: the
gateway answers each with a SOAP envelope (a ResponseMessage, or a Fault for what it cannot
accept), never with HTTP 500, and it keeps serving.

Deterministic fuzzing (a seeded generator, so CI is reproducible): each case takes the rich
request below and replaces one text or attribute value, drops one element or repeats one.
"""

from __future__ import annotations

import copy
import random
from datetime import UTC, datetime, timedelta

from lxml import etree

from cas.simulator import MeterFleet, readings
from cas.xmlbind.hardened import hardened_parser
from tests.support.gateway import running_gateway
from tests.support.soap import (
    NS,
    action_xml,
    device_access,
    envelope,
    get_xml,
    range_selection,
    time_sync_xml,
)

HOSTILE = [
    "",
    " ",
    "-1",
    "0",
    "65536",
    "4294967296",
    "99999999999999999999999999",
    "1e309",
    "NaN",
    "0x10",
    "ZZ",
    "0100010800F",
    "0100010800FFFF",
    "P1M",
    "PT0.5S",
    "-PT1M",
    "2026-13-45T99:99:99Z",
    "9999-12-31T23:59:59Z",
    "true",
    "ü€𝄞",
    "<not-xml>",
    "]]>",
    "x" * 5000,
]


def rich_request(device: str, now: datetime) -> bytes:
    accesses = [
        get_xml(3, "1.0.1.8.0.255", 2),
        get_xml(7, "1.0.99.1.0.255", 2, range_selection(now - timedelta(hours=2), now)),
        action_xml(70, "0.0.96.3.10.255", 2),
        time_sync_xml(5, 600),
    ]
    return envelope("create", "DeviceAccess", device_access([device], accesses))


def mutations(body: bytes, rng: random.Random, count: int):
    tree = etree.fromstring(body, hardened_parser())
    elements = list(tree.iter())
    for _ in range(count):
        copy_root = copy.deepcopy(tree)
        target = list(copy_root.iter())[rng.randrange(len(elements))]
        action = rng.choice(["text", "text", "attribute", "drop", "repeat"])
        if action == "attribute" and target.attrib:
            name = rng.choice(sorted(target.attrib))
            target.set(name, rng.choice(HOSTILE))
        elif action == "drop" and target.getparent() is not None:
            target.getparent().remove(target)
        elif action == "repeat" and target.getparent() is not None:
            target.addnext(copy.deepcopy(target))
        else:
            target.text = rng.choice(HOSTILE)
        yield action, etree.tostring(copy_root)


async def test_hostile_values_get_an_envelope_never_a_500():
    fleet = MeterFleet(count=1)
    async with fleet, running_gateway(fleet.meters) as gateway:
        meter = fleet.meters[0]
        body = rich_request(meter.system_title, datetime.now(UTC))
        statuses: dict[int, int] = {}
        for action, mutated in mutations(body, random.Random(20261204), 150):
            response = await gateway.client.post(
                gateway.url,
                content=mutated,
                headers={"content-type": "application/soap+xml; charset=utf-8"},
            )
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            assert response.status_code in (200, 400), (action, mutated[:300], response.text)
            answer = etree.fromstring(response.content, hardened_parser())
            assert answer.tag.endswith("}Envelope")
            if response.status_code == 200:
                result = answer.findtext(".//mes:Reply/mes:Result", namespaces=NS)
                assert result in ("OK", "PARTIAL", "FAILED"), response.text
            else:
                assert answer.find(".//{*}Fault") is not None
        assert statuses.get(200, 0) > 20 and statuses.get(400, 0) > 0  # both kinds were hit
        # still serving, the meter still answered with its real value
        before = datetime.now(UTC)
        reply = await gateway.post(
            envelope(
                "create",
                "DeviceAccess",
                device_access([meter.system_title], [get_xml(3, "1.0.1.8.0.255", 2)]),
            )
        )
        after = datetime.now(UTC)
        assert reply.result == "OK", reply.error_codes
        value = int(reply.results(0)[0].value(".//cos:double-long-unsigned"))
        assert value in {readings.energy_import_wh(meter.system_title, t) for t in (before, after)}
