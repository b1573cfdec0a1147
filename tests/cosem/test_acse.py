"""ACSE APDUs (BER): real AARQ/AARE/RLRQ/RLRE octets decode to their values and re-encode
to the same octets, with the initiate request/response decoded when plaintext and kept as
octets when ciphered."""

from __future__ import annotations

from cas import cosem
from generated import cosem as m

from .roundtrip import apdu_round_trip


def _hex(text: str) -> bytes:
    return bytes.fromhex(" ".join(text.split()))


LN_NO_CIPHERING = "2.16.756.5.8.1.1"
LN_CIPHERING = "2.16.756.5.8.1.3"
LOW_SECURITY = "2.16.756.5.8.2.1"

# Low-level-security association of a concentrator with password "12345678" and the meter's
# answer (public GitHub C source "ptcl_62056-47.c", found with the code search).
AARQ_LLS = _hex(
    """60 36 A1 09 06 07 60 85 74 05 08 01 01 8A 02 07 80 8B 07 60 85 74 05 08 02 01 AC 0A 80
    08 31 32 33 34 35 36 37 38 BE 10 04 0E 01 00 00 00 06 5F 1F 04 00 00 7E 1F 04 B0"""
)
AARE_LLS = _hex(
    """61 42 A1 09 06 07 60 85 74 05 08 01 01 A2 03 02 01 00 A3 05 A1 03 02 01 00 88 02 07 80
    89 07 60 85 74 05 08 02 01 AA 0A 80 08 31 32 33 34 35 36 37 38 BE 10 04 0E 08 00 06 5F 1F
    04 00 00 18 1F 02 00 00 07"""
)
# A refusal: rejected-permanent, acse-service-user authentication-failure (a meter
# simulator's answer to a wrong password in a public C++ source found with the code search).
AARE_REFUSED = _hex("61 17 A1 09 06 07 60 85 74 05 08 01 01 A2 03 02 01 01 A3 05 A1 03 02 01 0D")
# Ciphered LLS association (HDLC payloads from the gurux forum thread "Decoding of AARQ
# Packet Byte By Byte", https://gurux.fi/node/24607): user-information holds a
# glo-initiate-request / glo-initiate-response.
AARQ_CIPHERED = _hex(
    """60 51 A1 09 06 07 60 85 74 05 08 01 03 A6 0A 04 08 48 50 4C 37 32 39 39 38 8A 02 07 80
    8B 07 60 85 74 05 08 02 01 AC 12 80 10 31 31 31 31 31 31 31 31 31 31 31 31 31 31 31 31 BE
    17 04 15 21 13 20 00 00 00 01 E9 C5 31 32 60 76 62 DC 7A 94 A6 14 39 BF"""
)
AARE_CIPHERED = _hex(
    """61 3C A1 09 06 07 60 85 74 05 08 01 03 A2 03 02 01 00 A3 05 A1 03 02 01 00 A4 0A 04 08
    48 50 4C 00 00 10 F4 47 BE 17 04 15 28 13 20 00 00 00 00 83 07 05 F0 35 94 EE E1 A9 6C 27
    CC A0 51"""
)


def test_lls_aarq():
    aarq = cosem.decode_apdu(AARQ_LLS)
    assert aarq.application_context_name == LN_NO_CIPHERING
    assert aarq.sender_acse_requirements == "1"
    assert aarq.mechanism_name == LOW_SECURITY
    assert aarq.calling_authentication_value.charstring_or_bitstring == b"12345678"
    initiate = aarq.user_information.choice
    assert isinstance(initiate, m.InitiateRequest)
    assert initiate.proposed_dlms_version_number == 6
    assert initiate.client_max_receive_pdu_size == 0x04B0
    assert initiate.response_allowed is None and initiate.dedicated_key is None
    assert m.ConformanceBit.GET in initiate.proposed_conformance
    assert m.ConformanceBit.SELECTIVE_ACCESS in initiate.proposed_conformance
    assert apdu_round_trip(AARQ_LLS) == AARQ_LLS


def test_lls_aare():
    aare = cosem.decode_apdu(AARE_LLS)
    assert aare.result is m.AssociationResult.ACCEPTED
    assert (
        aare.result_source_diagnostic.acse_service_user_or_acse_service_provider
        is m.AcseServiceUser.NULL
    )
    assert aare.responder_acse_requirements == "1"
    response = aare.user_information.choice
    assert isinstance(response, m.InitiateResponse)
    assert (response.server_max_receive_pdu_size, response.vaa_name) == (0x0200, 7)
    assert apdu_round_trip(AARE_LLS) == AARE_LLS


def test_refused_association_aare():
    aare = cosem.decode_apdu(AARE_REFUSED)
    assert aare.result is m.AssociationResult.REJECTED_PERMANENT
    assert (
        aare.result_source_diagnostic.acse_service_user_or_acse_service_provider
        is m.AcseServiceUser.AUTHENTICATION_FAILURE
    )
    xml = cosem.apdu_to_xml(aare)
    assert "<result>rejected-permanent</result>" in xml
    assert "<acse-service-user>authentication-failure</acse-service-user>" in xml
    assert apdu_round_trip(AARE_REFUSED) == AARE_REFUSED


def test_ciphered_initiate_is_kept_as_octets():
    aarq = cosem.decode_apdu(AARQ_CIPHERED)
    assert aarq.application_context_name == LN_CIPHERING
    assert aarq.calling_ap_title == b"HPL72998"
    assert aarq.user_information.choice[:1] == b"\x21"  # glo-initiate-request
    assert apdu_round_trip(AARQ_CIPHERED) == AARQ_CIPHERED
    aare = cosem.decode_apdu(AARE_CIPHERED)
    assert aare.responding_ap_title == bytes.fromhex("48504C000010F447")
    assert aare.user_information.choice[:1] == b"\x28"  # glo-initiate-response
    assert "<raw-apdu>2813200000000083" in cosem.apdu_to_xml(aare)
    assert apdu_round_trip(AARE_CIPHERED) == AARE_CIPHERED


def test_aare_refusing_with_a_confirmed_service_error():
    aare = m.Aare(
        application_context_name=LN_NO_CIPHERING,
        result=m.AssociationResult.REJECTED_PERMANENT,
        result_source_diagnostic=m.AssociateSourceDiagnostic(
            acse_service_user_or_acse_service_provider=m.AcseServiceUser.NO_REASON_GIVEN
        ),
        user_information=m.UserInformation(
            choice=m.ConfirmedServiceError(
                choice=m.ConfirmedServiceError.InitiateError(choice=m.Initiate.DLMS_VERSION_TOO_LOW)
            )
        ),
    )
    raw = cosem.encode_apdu(aare)
    assert raw.endswith(_hex("BE 06 04 04 0E 01 06 01"))
    assert cosem.decode_apdu(raw) == aare
    assert "<confirmed-service-error><initiateError><initiate>dlms-version-too-low" in (
        cosem.apdu_to_xml(aare)
    )
    assert apdu_round_trip(raw) == raw


def test_release_request_and_response():
    assert cosem.decode_apdu(_hex("62 00")) == m.Rlrq()
    rlre = cosem.decode_apdu(_hex("63 03 80 01 00"))
    assert rlre.reason is m.ReleaseResponseReason.NORMAL
    rlrq = m.Rlrq(reason=m.ReleaseRequestReason.NORMAL)
    assert cosem.encode_apdu(rlrq) == _hex("62 03 80 01 00")


def test_non_canonical_initiate_stays_octets_so_the_aare_round_trips():
    # response-allowed written explicitly as 0xFF: decodes, but would re-encode as 0x01
    odd = _hex("01 00 01 FF 00 06 5F 1F 04 00 00 1E 1D FF FF")
    aarq = m.Aarq(application_context_name=LN_NO_CIPHERING, user_information=None)
    raw = bytearray(cosem.encode_apdu(aarq))
    raw += b"\xbe" + bytes((len(odd) + 2,)) + b"\x04" + bytes((len(odd),)) + odd
    raw[1] = len(raw) - 2
    decoded = cosem.decode_apdu(bytes(raw))
    assert decoded.user_information.choice == odd
    assert cosem.encode_apdu(decoded) == bytes(raw)
