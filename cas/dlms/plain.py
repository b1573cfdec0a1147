"""Plain wrapper associations (no ciphering, no HLS) without a gurux client per session.

A group read opens thousands of such associations, and a gurux client costs about 110 µs of
CPU for each (building the client, the AARQ, parsing the AARE, the RLRQ) — a tenth of the
gateway's budget per meter. For these associations nothing in the AARQ or RLRQ varies from
one session to the next, so gurux builds them once per meter profile (the same bytes it
would send every time) and the AARE is read with the engine's own ACSE codec.
HDLC links and associations with keys keep a gurux client per session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cas.cosem import CosemDecodeError, decode_apdu
from cas.dlms.errors import AssociationRefused, ProtocolError
from cas.registry import Authentication, Meter, SecurityPolicy, Transport
from generated import cosem as cos

LN_NO_CIPHERING = "2.16.756.5.8.1.1"  # application context: logical names, no ciphering
DLMS_VERSION = 6
MAX_PROFILES = 1024


@dataclass(frozen=True, slots=True)
class PlainFrames:
    aarq: tuple[bytes, ...]
    rlrq: tuple[bytes, ...]


# Profile (addresses, authentication, password, PDU size) -> its frames. The password is in
# the AARQ anyway (LLS sends it in clear), as in the registry; neither is ever logged.
_BY_PROFILE: dict[tuple, PlainFrames] = {}


def is_plain(meter: Meter) -> bool:
    """A wrapper association without keys: security none, authentication none or low."""
    return (
        meter.transport is Transport.WRAPPER
        and meter.security is SecurityPolicy.NONE
        and meter.authentication in (Authentication.NONE, Authentication.LOW)
    )


def frames_for(meter: Meter, build_client: Callable[[], Any]) -> PlainFrames:
    """The AARQ and RLRQ frames of ``meter``'s profile; ``build_client()`` makes the gurux
    client that builds them the first time the profile is seen."""
    password = meter.password.reveal() if meter.password is not None else None
    profile = (
        meter.client_address,
        meter.server_address,
        meter.authentication,
        password,
        meter.max_pdu_size,
    )
    frames = _BY_PROFILE.get(profile)
    if frames is None:
        if len(_BY_PROFILE) >= MAX_PROFILES:
            _BY_PROFILE.clear()  # unbounded variety of profiles: start over, stay small
        frames = _BY_PROFILE[profile] = _build(build_client())
    return frames


def _build(client: Any) -> PlainFrames:
    from gurux_dlms.ConnectionState import ConnectionState

    aarq = tuple(bytes(frame) for frame in client.aarqRequest())
    client.settings.connected |= ConnectionState.DLMS  # as after an accepted AARE
    rlrq = tuple(bytes(frame) for frame in client.releaseRequest())
    return PlainFrames(aarq, rlrq)


def negotiated_pdu_size(aare: bytes, where: str) -> int:
    """The server-max-receive-pdu-size of an accepted plain AARE (the largest APDU the
    gateway may send), after checking the application context and the initiate-response."""
    try:
        decoded = decode_apdu(aare)
    except CosemDecodeError as error:
        raise ProtocolError(f"{where}: malformed AARE ({error})") from None
    if not isinstance(decoded, cos.Aare):
        raise ProtocolError(f"{where}: expected an AARE")
    if decoded.application_context_name != LN_NO_CIPHERING:
        raise AssociationRefused(
            f"{where}: the meter answered with application context "
            f"{decoded.application_context_name}, {LN_NO_CIPHERING} expected"
        )
    information = decoded.user_information.choice if decoded.user_information else None
    if isinstance(information, cos.ConfirmedServiceError):
        raise ProtocolError(f"{where}: the AARE carries a confirmed-service-error")
    if not isinstance(information, cos.InitiateResponse):
        raise ProtocolError(f"{where}: the AARE carries no initiate-response")
    if information.negotiated_dlms_version_number != DLMS_VERSION:
        raise ProtocolError(
            f"{where}: the meter negotiated DLMS version "
            f"{information.negotiated_dlms_version_number}, {DLMS_VERSION} expected"
        )
    return information.server_max_receive_pdu_size
