"""The engine carries what the COSEM codec builds, and hands back what it decodes exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cas.cosem import apdu_to_xml, decode_apdu, encode_apdu, get_request, range_access
from cas.simulator import readings

from . import apdus
from .conftest import fleet_of, open_session


@pytest.mark.parametrize("transport", ["wrapper", "hdlc"])
async def test_codec_request_through_the_engine_round_trips(transport):
    async with fleet_of(transport, "hls-gmac") as fleet, open_session(fleet.meters[0]) as session:
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        start, end = now - timedelta(days=2), now - timedelta(days=1)
        request = encode_apdu(get_request(7, "1.0.99.1.0.255", 2, access=range_access(start, end)))
        response = await session.request(request)

        decoded = decode_apdu(response)  # block transfer joined into one normal response
        assert encode_apdu(decoded) == response  # the codec re-encodes it byte for byte
        assert "get-response-normal" in apdu_to_xml(decoded)
        rows = apdus.data_of(response)
        expected = readings.load_profile_rows(fleet.meters[0].system_title, now, start, end)
        assert [(apdus.cosem_time(row[0]), row[1]) for row in rows] == expected
