"""Every service of a simulated meter, over real TCP, with an independent gurux client.

One scenario per transport and security mode (6 combinations): association, GET of every
object with exact deterministic values, load profile by range (block transfer) and by
entry, event log, GET with-list, SET clock, ACTION disconnect/reconnect, invocation counter,
association counting.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from gurux_dlms.enums import DataType
from gurux_dlms.GXDateTime import GXDateTime
from gurux_dlms.objects import (
    GXDLMSAssociationLogicalName,
    GXDLMSCaptureObject,
    GXDLMSClock,
    GXDLMSData,
    GXDLMSDisconnectControl,
    GXDLMSProfileGeneric,
    GXDLMSPushSetup,
    GXDLMSRegister,
)

from cas.simulator import MeterFleet, readings

from .gurux_client import GuruxClient

COMBINATIONS = [
    (transport, security)
    for transport in ("wrapper", "hdlc")
    for security in ("none", "low", "hls-gmac")
]


def cosem_time(raw: bytes | bytearray) -> datetime:
    """Decode a 12-byte COSEM date-time with deviation 0 (written here, independently)."""
    raw = bytes(raw)
    assert len(raw) == 12 and raw[9:11] == b"\x00\x00", raw.hex()
    year = int.from_bytes(raw[0:2], "big")
    return datetime(year, raw[2], raw[3], raw[5], raw[6], raw[7], tzinfo=UTC)


def either(function, title: str, before: datetime, after: datetime) -> set[int]:
    """Values valid for a read made between two instants (a boundary may fall between)."""
    return {function(title, before), function(title, after)}


def profile_objects() -> tuple[GXDLMSClock, GXDLMSRegister, GXDLMSProfileGeneric]:
    clock = GXDLMSClock("0.0.1.0.0.255")
    energy = GXDLMSRegister("1.0.1.8.0.255")
    profile = GXDLMSProfileGeneric("1.0.99.1.0.255")
    profile.captureObjects = [
        (clock, GXDLMSCaptureObject(2, 0)),
        (energy, GXDLMSCaptureObject(2, 0)),
    ]
    return clock, energy, profile


@pytest.mark.parametrize(("transport", "security"), COMBINATIONS)
async def test_meter_services(transport: str, security: str) -> None:
    async with MeterFleet(count=2, transport=transport, security=security, seed=7) as fleet:
        sim = fleet[1]
        title = sim.system_title
        assert fleet[title] is sim
        client = GuruxClient(fleet.meters[1])
        try:
            await client.associate()
            assert sim.stats.associations == 1
            assert sim.stats.connections == 1
            assert sim.stats.open_connections == 1
            assert fleet[0].stats.connections == 0

            # Clock: real UTC time.
            clock, energy, profile = profile_objects()
            raw = await client.read_raw(clock, 2)
            assert abs(cosem_time(raw.value) - datetime.now(UTC)) < timedelta(seconds=5)

            # Serial number: visible-string derived from the system title.
            serial = await client.read(GXDLMSData("0.0.96.1.0.255"), 2)
            assert serial == readings.serial_number(title)

            # Registers: exact values, scaler and unit.
            export = GXDLMSRegister("1.0.2.8.0.255")
            voltage = GXDLMSRegister("1.0.32.7.0.255")
            before = datetime.now(UTC)
            values = [
                (await client.read_raw(energy, 2)).value,
                (await client.read_raw(export, 2)).value,
                (await client.read_raw(voltage, 2)).value,
            ]
            after = datetime.now(UTC)
            assert values[0] in either(readings.energy_import_wh, title, before, after)
            assert values[1] in either(readings.energy_export_wh, title, before, after)
            assert values[2] in either(readings.voltage_l1_decivolt, title, before, after)
            assert (await client.read_raw(energy, 3)).value == [0, 30]
            assert (await client.read_raw(export, 3)).value == [0, 30]
            assert (await client.read_raw(voltage, 3)).value == [-1, 35]

            # GET with-list.
            listed = await client.read_list([(energy, 2), (GXDLMSData("0.0.96.1.0.255"), 2)])
            assert listed[0] in either(readings.energy_import_wh, title, before, datetime.now(UTC))
            assert listed[1] == readings.serial_number(title)

            # Load profile by range: exact rows, several blocks.
            end = readings.last_boundary(datetime.now(UTC)) - timedelta(hours=1)
            start = end - timedelta(days=2)
            answered = sim.stats.requests
            rows = (await client.read_range(profile, start, end)).value
            assert sim.stats.requests - answered >= 4  # get-response-with-datablock
            expected = readings.load_profile_rows(title, datetime.now(UTC), start, end)
            assert len(rows) == 2 * 96 + 1
            assert [(cosem_time(t), v) for t, v in rows] == expected
            assert rows[-1][1] == readings.energy_import_wh(title, end)

            # Load profile by entry: the three oldest rows.
            before = datetime.now(UTC)
            rows = (await client.read_entries(profile, 1, 3)).value
            after = datetime.now(UTC)
            got = [(cosem_time(t), v) for t, v in rows]
            assert got in (
                readings.load_profile_rows(title, before)[:3],
                readings.load_profile_rows(title, after)[:3],
            )
            assert (await client.read_raw(profile, 4)).value == 900
            assert (await client.read_raw(profile, 7)).value == readings.PROFILE_ROWS
            assert (await client.read_raw(profile, 8)).value == readings.PROFILE_ROWS

            # Disconnect control: disconnect, then reconnect.
            disconnector = GXDLMSDisconnectControl("0.0.96.3.10.255")
            assert await client.read(disconnector, 2) is True
            await client.method(disconnector, 1, 0, DataType.INT8)
            assert sim.output_state is False
            assert await client.read(disconnector, 2) is False
            assert (await client.read_raw(disconnector, 3)).value == 0
            await client.method(disconnector, 2, 0, DataType.INT8)
            assert sim.output_state is True
            assert (await client.read_raw(disconnector, 3)).value == 1

            # Event log: the deterministic entries, then the two disconnector events.
            event_log = GXDLMSProfileGeneric("0.0.99.98.0.255")
            entries = [
                (cosem_time(t), code) for t, code in (await client.read_raw(event_log, 2)).value
            ]
            assert [code for _t, code in entries[-2:]] == [
                readings.REMOTE_DISCONNECT,
                readings.REMOTE_RECONNECT,
            ]
            now = datetime.now(UTC)
            assert entries[:-2] == [
                (t.replace(microsecond=0), c) for t, c in readings.events(title, now)
            ]
            assert all(now - t < timedelta(seconds=30) for t, _c in entries[-2:])

            # SET clock: one hour ahead; later reads follow the meter's clock.
            clock.time = GXDateTime(datetime.now(UTC) + timedelta(hours=1))
            await client.write(clock, 2)
            assert abs(sim.clock_offset - timedelta(hours=1)) < timedelta(seconds=5)
            raw = await client.read_raw(clock, 2)
            ahead = datetime.now(UTC) + timedelta(hours=1)
            assert abs(cosem_time(raw.value) - ahead) < timedelta(seconds=5)
            before = datetime.now(UTC) + sim.clock_offset
            value = (await client.read_raw(energy, 2)).value
            after = datetime.now(UTC) + sim.clock_offset
            assert value in either(readings.energy_import_wh, title, before, after)

            # Invocation counter object: the meter's frame counter.
            counter = GXDLMSData("0.0.43.1.0.255")
            first = (await client.read_raw(counter, 2)).value
            second = (await client.read_raw(counter, 2)).value
            if security == "hls-gmac":
                assert second > first > 1
                assert sim.invocation_counter > second
            else:
                assert first == second == sim.invocation_counter

            # Push setup (version 2): the clock's time pushed over TCP to 127.0.0.1:4059.
            push = GXDLMSPushSetup("0.0.25.9.0.255")
            assert (await client.read_raw(push, 1)).value == bytes((0, 0, 25, 9, 0, 255))
            # push_object_list: {class 8, clock, attribute 2, data index 0, no restriction,
            # all columns}
            assert (await client.read_raw(push, 2)).value == [
                [8, bytes((0, 0, 1, 0, 0, 255)), 2, 0, [0, None], []]
            ]
            # send_destination_and_method: {transport TCP (0), destination, message A-XDR (0)}
            assert (await client.read_raw(push, 3)).value == [0, b"127.0.0.1:4059", 0]
            assert (await client.read_raw(push, 4)).value in (None, [])  # empty window
            assert (await client.read_raw(push, 5)).value == 0  # randomisation start interval
            assert (await client.read_raw(push, 6)).value == 0  # number of retries
            assert (await client.read_raw(push, 7)).value == [0, 0, 0]  # repetition delay

            # The association's object list.
            objects = (await client.read_raw(GXDLMSAssociationLogicalName(), 2)).value
            names = {".".join(str(b) for b in bytes(entry[2])) for entry in objects}
            assert names >= {
                "0.0.1.0.0.255", "0.0.96.1.0.255", "1.0.1.8.0.255", "1.0.2.8.0.255",
                "1.0.32.7.0.255", "1.0.99.1.0.255", "0.0.99.98.0.255", "0.0.96.3.10.255",
                "0.0.25.9.0.255", "0.0.43.1.0.255", "0.0.40.0.0.255",
            }  # fmt: skip

            await client.release()
        finally:
            await client.close()

        # A second association: counted, the counter keeps increasing across associations.
        counter_before = sim.invocation_counter
        again = GuruxClient(fleet.meters[1])
        try:
            await again.associate()
            assert sim.stats.associations == 2
            assert sim.stats.connections == 2
            if security == "hls-gmac":
                first = (await again.read_raw(GXDLMSData("0.0.43.1.0.255"), 2)).value
                assert first > counter_before
        finally:
            await again.close()
