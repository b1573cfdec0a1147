"""The round trip every test relies on: bytes -> object -> XML -> object -> bytes."""

from __future__ import annotations

from typing import Any

from cas import cosem
from generated import cosem as m


def through_xml(value: Any) -> Any:
    """Object -> XML text -> object (the XML path the SOAP layer uses)."""
    return cosem.apdu_from_xml(cosem.apdu_to_xml(value))


def data_round_trip(encoded: bytes) -> bytes:
    """Data bytes -> object -> XML (global data element) -> object -> bytes."""
    kind = cosem.decode_data(encoded)
    back = through_xml(m.Data(choice=kind))
    assert cosem.apdu_to_xml(back) == cosem.apdu_to_xml(m.Data(choice=kind))
    return cosem.encode_data(back)


def apdu_round_trip(encoded: bytes) -> bytes:
    apdu = cosem.decode_apdu(encoded)
    back = through_xml(apdu)
    assert cosem.apdu_to_xml(back) == cosem.apdu_to_xml(apdu)
    return cosem.encode_apdu(back)
