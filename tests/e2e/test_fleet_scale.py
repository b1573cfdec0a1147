"""Group access at fleet scale: per-segment limits as the meters see them, and a
10,000-meter group read paged through to the last result."""

from __future__ import annotations

from datetime import UTC, datetime

from cas.dlms.admission import SegmentLimit
from cas.gateway import GatewaySettings
from cas.simulator import MeterFleet, readings
from tests.e2e.test_group_access import group_access
from tests.support.gateway import running_gateway
from tests.support.soap import NS, envelope

SKEW = 0.1  # s: how much later than admitted a meter may see a connection start


async def test_segment_limits_hold_as_the_meters_count_them():
    fleet = MeterFleet(count=120, segments=3, latency=0.03)  # 40 meters in each segment
    rate = 20
    settings = GatewaySettings(
        worker_concurrency=64,
        segment_limits={
            "seg-0": SegmentLimit(new_per_second=rate),
            "seg-1": SegmentLimit(max_open=5),
        },
    )
    async with fleet, running_gateway(fleet.meters, settings=settings) as gateway:
        reply = await gateway.post(
            envelope("create", "DeviceAccess", group_access("DG_ALL_METERS"))
        )
    assert reply.result == "OK", reply.error_codes
    assert len(reply.results(0)) == 120
    limited, capped, free = (fleet.segments[f"seg-{i}"] for i in range(3))
    assert limited.connections == capped.connections == free.connections == 40
    # Unthrottled (or at twice the rate), seg-0's 40 connections start within one second.
    # Spaced 1/rate apart: no second sees more than 20 starts (+1 at the window's edge), and
    # the 40 starts span at least 39/20 s. The meters see a start up to SKEW after the
    # gateway admitted it (the event loop is busy starting 120 tasks: the first connection
    # has been seen ~50 ms late, together with the second), so the window is shortened by it.
    assert limited.max_starts_within(1.0 - SKEW) <= rate + 1
    starts = limited.starts
    assert len(starts) == 40
    assert starts[-1] - starts[0] >= (len(starts) - 1) / rate - SKEW
    assert capped.peak_open_connections <= 5
    assert free.peak_open_connections > 5  # the limits, not the workload, held the others
    assert free.max_starts_within(1.0) > rate + 1  # the free segment was not held to 20/s


async def test_a_10000_meter_group_read_pages_through_every_result():
    fleet = MeterFleet(count=10_000)
    async with fleet, running_gateway(fleet.meters) as gateway:
        before = datetime.now(UTC)
        first = await gateway.post(
            envelope("create", "DeviceAccess", group_access("DG_ALL_METERS"))
        )
        after = datetime.now(UTC)
        assert first.result == "PARTIAL", first.error_codes  # OK, but more results follow
        assert first.error_codes == ["0.1"]
        (resource_id,) = [i for i in first.ids if i.startswith("R-")]
        seen = [r.device_id for r in first.results(0)]
        values = {r.device_id: r.value(".//cos:double-long-unsigned") for r in first.results(0)}
        cursor = _next_page(first)
        while cursor is not None:
            page = await gateway.post(
                envelope(
                    "get",
                    "DeviceAccess",
                    request="<mes:Option><mes:name>PageSize</mes:name><mes:value>5000</mes:value>"
                    f"</mes:Option><mes:Option><mes:name>After</mes:name><mes:value>{cursor}"
                    f"</mes:value></mes:Option><mes:ID>{resource_id}</mes:ID>",
                )
            )
            seen += [r.device_id for r in page.results(0)]
            values.update(
                {r.device_id: r.value(".//cos:double-long-unsigned") for r in page.results(0)}
            )
            cursor = _next_page(page)
    assert len(seen) == len(set(seen)) == 10_000
    assert set(seen) == {m.system_title for m in fleet.meters}
    for title in list(values)[::500]:  # a sample, checked exactly
        expected = {readings.energy_import_wh(title, t) for t in (before, after)}
        assert int(values[title]) in expected


def _next_page(reply) -> str | None:
    for identifier in reply.root.iterfind(".//mes:Reply/mes:ID", NS):
        if identifier.get("idType") == "NextPage":
            return identifier.text
    return None
