"""The engine against simulated meters over real TCP: every service, transport and security.

Values are asserted against cas.simulator.readings (deterministic per system title and time).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from cas.dlms.errors import AssociationRefused, AuthenticationFailed, SecurityError
from cas.simulator import readings

from . import apdus
from .conftest import COMBINATIONS, fleet_of, open_session


def either(function, title: str, before: datetime, after: datetime) -> set[int]:
    return {function(title, before), function(title, after)}


@pytest.mark.parametrize(("transport", "security"), COMBINATIONS)
async def test_get_normal_returns_the_meters_values(transport, security):
    async with fleet_of(transport, security) as fleet, open_session(fleet.meters[0]) as session:
        title = fleet.meters[0].system_title
        before = datetime.now(UTC)
        energy = await session.request(apdus.get(apdus.ENERGY_IMPORT))
        export = await session.request(apdus.get(apdus.ENERGY_EXPORT))
        voltage = await session.request(apdus.get(apdus.VOLTAGE))
        serial = await session.request(apdus.get(apdus.SERIAL))
        clock = await session.request(apdus.get(apdus.CLOCK))
        after = datetime.now(UTC)

        assert energy[:5] == bytes.fromhex("C401C10006")  # double-long-unsigned, exact bytes
        assert apdus.data_of(energy) in either(readings.energy_import_wh, title, before, after)
        assert apdus.data_of(export) in either(readings.energy_export_wh, title, before, after)
        assert apdus.data_of(voltage) in either(readings.voltage_l1_decivolt, title, before, after)
        assert apdus.data_of(serial) == readings.serial_number(title)
        meter_time = apdus.cosem_time(apdus.data_of(clock))
        assert before - timedelta(seconds=1) <= meter_time <= after + timedelta(seconds=1)


@pytest.mark.parametrize(("transport", "security"), COMBINATIONS)
async def test_load_profile_by_range_uses_block_transfer(transport, security):
    async with fleet_of(transport, security) as fleet, open_session(fleet.meters[0]) as session:
        sim, meter = fleet[0], fleet.meters[0]
        now = datetime.now(UTC)
        # Off the 15-minute grid, so the range holds exactly 2 x 96 rows whatever the time.
        middle = readings.last_boundary(now) + timedelta(minutes=7)
        start, end = middle - timedelta(days=3), middle - timedelta(days=1)
        requests_before = sim.stats.requests
        response = await session.request(
            apdus.get(apdus.LOAD_PROFILE, 2, apdus.range_access(start, end))
        )
        rows = apdus.data_of(response)
        expected = readings.load_profile_rows(meter.system_title, now, start, end)
        assert len(expected) == 2 * 96
        assert [(apdus.cosem_time(row[0]), row[1]) for row in rows] == expected
        # The answer is far bigger than one PDU: it came in blocks, joined into one APDU.
        assert len(response) > 3 * meter.max_pdu_size
        assert sim.stats.requests - requests_before >= 4


@pytest.mark.parametrize(("transport", "security"), COMBINATIONS)
async def test_whole_load_profile_thousands_of_rows(transport, security):
    async with fleet_of(transport, security) as fleet, open_session(fleet.meters[0]) as session:
        meter = fleet.meters[0]
        before = datetime.now(UTC)
        rows = apdus.data_of(await session.request(apdus.get(apdus.LOAD_PROFILE, 2)))
        after = datetime.now(UTC)
        assert len(rows) == readings.PROFILE_ROWS == 2880
        got = [(apdus.cosem_time(row[0]), row[1]) for row in rows]
        assert got in (
            readings.load_profile_rows(meter.system_title, before),
            readings.load_profile_rows(meter.system_title, after),
        )


@pytest.mark.parametrize(("transport", "security"), COMBINATIONS)
async def test_get_with_list_keeps_each_result(transport, security):
    async with fleet_of(transport, security) as fleet, open_session(fleet.meters[0]) as session:
        title = fleet.meters[0].system_title
        before = datetime.now(UTC)
        response = await session.request(
            apdus.get_with_list((apdus.ENERGY_IMPORT, 2), (apdus.MISSING, 2), (apdus.VOLTAGE, 2))
        )
        after = datetime.now(UTC)
        assert response[:4] == bytes.fromhex("C403C103")
        reader = apdus.Reader(response[4:])
        assert reader.take(1) == b"\x00"
        assert reader.value() in either(readings.energy_import_wh, title, before, after)
        assert reader.take(2) == b"\x01\x04"  # data-access-result: object-undefined
        assert reader.take(1) == b"\x00"
        assert reader.value() in either(readings.voltage_l1_decivolt, title, before, after)
        assert reader.pos == len(reader.data)


@pytest.mark.parametrize(("transport", "security"), COMBINATIONS)
async def test_missing_object_comes_back_as_a_result(transport, security):
    async with fleet_of(transport, security) as fleet, open_session(fleet.meters[0]) as session:
        response = await session.request(apdus.get(apdus.MISSING, invoke=0xC5))
        assert response == bytes.fromhex("C401C50104")  # keeps invoke-id 5; object-undefined
        # The association is still usable afterwards.
        assert apdus.data_of(await session.request(apdus.get(apdus.SERIAL)))


@pytest.mark.parametrize(("transport", "security"), COMBINATIONS)
async def test_set_clock(transport, security):
    async with fleet_of(transport, security) as fleet, open_session(fleet.meters[0]) as session:
        sim = fleet[0]
        target = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
        data = b"\x09\x0c" + apdus.cosem_datetime(target)
        response = await session.request(apdus.set_(apdus.CLOCK, 2, data))
        assert response == bytes.fromhex("C501C100")
        assert abs(sim.clock_offset - timedelta(hours=1)) < timedelta(seconds=3)
        meter_time = apdus.cosem_time(apdus.data_of(await session.request(apdus.get(apdus.CLOCK))))
        assert abs(meter_time - target) < timedelta(seconds=3)


@pytest.mark.parametrize(("transport", "security"), COMBINATIONS)
async def test_action_disconnect_then_reconnect(transport, security):
    async with fleet_of(transport, security) as fleet, open_session(fleet.meters[0]) as session:
        sim = fleet[0]
        assert sim.output_state is True
        # action-response-normal: success, return-parameters absent (exact bytes).
        assert await session.request(apdus.action(apdus.DISCONNECT, 1)) == bytes.fromhex(
            "C701C10000"
        )
        assert sim.output_state is False
        assert apdus.data_of(await session.request(apdus.get(apdus.DISCONNECT, 2))) is False
        assert await session.request(apdus.action(apdus.DISCONNECT, 2)) == bytes.fromhex(
            "C701C10000"
        )
        assert sim.output_state is True


async def test_action_without_access_is_a_result_not_an_exception():
    async with fleet_of() as fleet, open_session(fleet.meters[0]) as session:
        response = await session.request(apdus.action(apdus.CLOCK, 1))  # no method access
        assert response[:3] == bytes.fromhex("C701C1") and response[3] != 0


@pytest.mark.parametrize("transport", ["wrapper", "hdlc"])
async def test_errors_of_the_meter_are_answers(transport):
    async with fleet_of(transport, "low") as fleet, open_session(fleet.meters[0]) as session:
        # SET of a read-only attribute: data-access-result read-write-denied.
        denied = await session.request(apdus.set_(apdus.ENERGY_IMPORT, 2, b"\x06\x00\x00\x00\x0a"))
        assert denied == bytes.fromhex("C501C103")
        # get-request-next without a transfer: no-long-get-or-read-in-progress.
        assert await session.request(bytes.fromhex("C002C100000005")) == bytes.fromhex("C401C10110")
        # An unknown set-request choice: confirmed-service-error, exactly as sent.
        unknown = bytes.fromhex("C107C1") + apdus.descriptor(apdus.CLOCK, 2) + b"\x00"
        assert await session.request(unknown) == bytes.fromhex("0E010600")
        assert apdus.data_of(await session.request(apdus.get(apdus.SERIAL)))


async def test_unauthenticated_error_in_a_ciphered_association_is_not_an_answer():
    async with fleet_of("wrapper", "hls-gmac") as fleet, open_session(fleet.meters[0]) as session:
        unknown = bytes.fromhex("C107C1") + apdus.descriptor(apdus.CLOCK, 2) + b"\x00"
        with pytest.raises(SecurityError, match=r"unprotected response.*0E010600"):
            await session.request(unknown)


async def test_nothing_on_stdout_and_no_secret_in_debug_logs(capfd, caplog):
    caplog.set_level(logging.DEBUG)
    secrets = []
    for security in ("low", "hls-gmac"):
        async with fleet_of("hdlc", security) as fleet:
            meter = fleet.meters[0]
            if meter.password is not None:
                secrets.append(meter.password.reveal())
            for key in (meter.keys.block_cipher_key, meter.keys.authentication_key):
                if key is not None:
                    secrets.append(key.reveal())
            async with open_session(meter) as session:
                await session.request(apdus.get(apdus.LOAD_PROFILE))
                if security == "hls-gmac":
                    fleet[0].faults.flip_tag = True
                    with pytest.raises(SecurityError):
                        await session.request(apdus.get(apdus.SERIAL))
            fleet[0].faults.reset()
            fleet[0].faults.wrong_keys = True
            with pytest.raises((AssociationRefused, AuthenticationFailed)):
                async with open_session(meter):
                    pass
    assert capfd.readouterr().out == ""
    logged = "\n".join(record.getMessage() for record in caplog.records).lower()
    assert len(secrets) == 3 and caplog.records
    for secret in secrets:
        assert secret.hex() not in logged and secret.decode("latin-1").lower() not in logged
