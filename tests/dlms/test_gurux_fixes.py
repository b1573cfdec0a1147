"""Regression tests for cas.dlms.gurux_fixes: each fails without its fix."""

from __future__ import annotations

import importlib.metadata
import os
import random

import pytest
from gurux_dlms.AesGcmParameter import AesGcmParameter
from gurux_dlms.CountType import CountType
from gurux_dlms.enums.Command import Command
from gurux_dlms.enums.Security import Security
from gurux_dlms.GXByteBuffer import GXByteBuffer
from gurux_dlms.GXCiphering import GXCiphering
from gurux_dlms.GXDLMSChippering import GXDLMSChippering
from gurux_dlms.GXDLMSException import GXDLMSException
from gurux_dlms.GXDLMSSettings import GXDLMSSettings
from gurux_dlms.internal._GXCommon import _GXCommon

from cas.dlms import gcm, gurux_fixes
from cas.dlms.errors import ReplayError, SecurityError, classify_gurux_error

gurux_fixes.apply()

EK = bytes(range(16))
AK = bytes(range(0xD0, 0xE0))
METER_TITLE = bytes.fromhex("4D4D4D0000BC614E")
GET_RESPONSE = bytes.fromhex("C401C1000600001234")


def _original(name):
    return gurux_fixes.ORIGINALS[name].__get__(None, GXDLMSChippering)


def _ciphered(plaintext: bytes, ic: int, security=Security.AUTHENTICATION_ENCRYPTION, ek=EK):
    p = AesGcmParameter(Command.GLO_GET_RESPONSE, bytearray(METER_TITLE), ek, AK)
    p.security = security
    p.invocationCounter = ic
    return bytes(GXCiphering.encrypt(p, plaintext))


def _settings() -> GXDLMSSettings:
    settings = GXDLMSSettings(False, None)
    settings.cipher = GXCiphering(bytearray(b"CASGW001"))
    return settings


def _decrypt(data: bytes, settings=None, ek=EK, ak=AK):
    settings = settings or _settings()
    p = AesGcmParameter(0, bytearray(METER_TITLE), ek, ak)
    return bytes(GXCiphering.decrypt(settings, p, GXByteBuffer(bytearray(data))))


def test_apply_is_idempotent_and_pins_the_version(monkeypatch):
    gurux_fixes.apply()
    gurux_fixes.apply()
    assert gurux_fixes.is_applied()
    assert GXDLMSChippering.__dict__["decryptAesGcm"].__func__ is gurux_fixes._decrypt_aes_gcm
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "1.0.204")
    with pytest.raises(RuntimeError, match=r"1\.0\.203"):
        gurux_fixes.check_version()
    # In a process where nothing is patched yet, apply() refuses before patching anything.
    monkeypatch.setattr(gurux_fixes, "_applied", False)
    monkeypatch.setattr(gurux_fixes, "_fix_aes_gcm", lambda: pytest.fail("patched anyway"))
    with pytest.raises(RuntimeError, match=r"1\.0\.203"):
        gurux_fixes.apply()


# --- aes_gcm --------------------------------------------------------------------------------


def test_encryption_is_byte_identical_to_gurux_own_aes():
    rng = random.Random(7)
    original = _original("encryptAesGcm")
    for security in (
        Security.AUTHENTICATION,
        Security.ENCRYPTION,
        Security.AUTHENTICATION_ENCRYPTION,
    ):
        for command in (Command.GLO_GET_REQUEST, Command.GENERAL_GLO_CIPHERING):
            for count_type in (CountType.PACKET, CountType.TAG, CountType.DATA | CountType.TAG):
                size = rng.choice([0, 1, 15, 16, 17, 300])
                plaintext = rng.randbytes(size)
                ic = rng.randrange(2**32)
                results = []
                for encrypt in (original, GXDLMSChippering.encryptAesGcm):
                    p = AesGcmParameter(command, bytearray(METER_TITLE), EK, AK)
                    p.security, p.invocationCounter, p.type_ = security, ic, count_type
                    results.append((bytes(encrypt(p, bytearray(plaintext))), p.countTag))
                assert results[0] == results[1]


def test_round_trip_through_gurux_ciphering():
    for security in (
        Security.AUTHENTICATION,
        Security.ENCRYPTION,
        Security.AUTHENTICATION_ENCRYPTION,
    ):
        assert _decrypt(_ciphered(GET_RESPONSE, 41, security)) == GET_RESPONSE


def test_flipped_tag_is_rejected_which_gurux_own_decryption_accepts():
    data = bytearray(_ciphered(GET_RESPONSE, 42))
    data[-1] ^= 0x01
    # The defect: gurux's own decryptAesGcm returns the plaintext without checking the tag.
    p = AesGcmParameter(0, bytearray(METER_TITLE), EK, AK)
    settings = GXDLMSSettings(False, None)
    assert bytes(_original("decryptAesGcm")(settings, p, GXByteBuffer(data))) == GET_RESPONSE
    with pytest.raises(SecurityError, match="tag"):
        _decrypt(bytes(data))


def test_flipped_ciphertext_bit_and_wrong_key_are_rejected():
    data = bytearray(_ciphered(GET_RESPONSE, 43))
    data[8] ^= 0x80
    with pytest.raises(SecurityError):
        _decrypt(bytes(data))
    with pytest.raises(SecurityError):
        _decrypt(_ciphered(GET_RESPONSE, 44), ak=bytes(16))
    with pytest.raises(SecurityError):
        _decrypt(_ciphered(GET_RESPONSE, 45), ek=bytes(16))


def test_authentication_only_tag_is_checked():
    data = bytearray(_ciphered(GET_RESPONSE, 46, Security.AUTHENTICATION))
    data[8] ^= 0x01  # the plaintext travels in clear: change it
    with pytest.raises(SecurityError):
        _decrypt(bytes(data))


def test_gcm_module_matches_published_suite0_vector():
    # DLMS Green Book, "Example: glo-get-request xDLMS APDU" (security suite 0): EK 00..0F,
    # AK D0..DF, system title 4D4D4D0000BC614E, IC 0x01234567, authenticated encryption.
    plaintext = bytes.fromhex("C00100000800000100 00FF0200".replace(" ", ""))
    payload, tag = gcm.seal(0x30, METER_TITLE, 0x01234567, EK, AK, plaintext)
    assert payload.hex().upper() == "411312FF935A47566827C467BC"
    assert tag.hex().upper() == "7D825C3BE4A77C3FCC056B6B"
    assert gcm.open_(0x30, METER_TITLE, 0x01234567, EK, AK, payload, tag) == plaintext
    apdu = bytes.fromhex("C81E3001234567411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B")
    assert _decrypt(apdu) == plaintext


# --- replay_hook, pending_error ---------------------------------------------------------------


def test_replay_hook_sees_every_verified_counter():
    seen = []
    settings = _settings()
    settings.cas_on_ciphered_apdu = lambda *args: seen.append(args)
    _decrypt(_ciphered(GET_RESPONSE, 1000), settings)
    assert seen == [(Command.GLO_GET_RESPONSE, 0x30, METER_TITLE, 1000)]


def _aare_with_ciphered_user_information(ic: int) -> bytes:
    initiate_response = bytes.fromhex("080006 5F1F040000181D 0400 0007".replace(" ", ""))
    p = AesGcmParameter(Command.GLO_INITIATE_RESPONSE, bytearray(METER_TITLE), EK, AK)
    p.security = Security.AUTHENTICATION_ENCRYPTION
    p.invocationCounter = ic
    user_information = bytes(GXCiphering.encrypt(p, initiate_response))
    body = bytearray()
    body += bytes.fromhex("A109060760857405080103")  # LN referencing with ciphering
    body += bytes.fromhex("A203020100")  # accepted
    body += bytes.fromhex("A305A103020100")  # acse-service-user null
    body += bytes.fromhex("A40A0408") + METER_TITLE  # responding-AP-title
    body += bytes((0xBE, len(user_information) + 2, 0x04, len(user_information)))
    body += user_information
    return bytes((0x61, len(body))) + bytes(body)


def _client_settings():
    from gurux_dlms.secure.GXDLMSSecureClient import GXDLMSSecureClient

    client = GXDLMSSecureClient(True)
    client.settings.cipher.blockCipherKey = bytearray(EK)
    client.settings.cipher.authenticationKey = bytearray(AK)
    client.settings.cipher.security = Security.AUTHENTICATION_ENCRYPTION
    return client


def test_security_failure_inside_the_aare_is_not_hidden_as_a_rejection():
    client = _client_settings()

    def replayed(command, security_control, title, ic):
        raise ReplayError(f"counter {ic} does not increase")

    client.settings.cas_on_ciphered_apdu = replayed
    aare = _aare_with_ciphered_user_information(5)
    with pytest.raises(GXDLMSException) as caught:  # gurux swallows and reports a rejection
        client.parseAareResponse(GXByteBuffer(bytearray(aare)))
    pending = client.settings.cas_pending_error
    assert isinstance(pending, ReplayError)
    assert classify_gurux_error(caught.value, "meter", pending=pending) is pending


def test_accepted_aare_with_valid_ciphered_user_information():
    client = _client_settings()
    seen = []
    client.settings.cas_on_ciphered_apdu = lambda *args: seen.append(args[3])
    client.parseAareResponse(GXByteBuffer(bytearray(_aare_with_ciphered_user_information(9))))
    assert seen == [9]
    assert client.settings.maxPduSize == 0x0400


# --- quiet ----------------------------------------------------------------------------------


def test_gurux_prints_nothing(capsys):
    _decrypt(_ciphered(GET_RESPONSE, 50))  # gurux's decrypt path prints "Encryption is applied."
    settings = GXDLMSSettings(False, None)
    assert settings.checkFrame(0x54, None) is False  # out of sequence: "Invalid HDLC Frame"
    # gurux's own decryption (kept for the benchmark) prints too, in its module namespace.
    p = AesGcmParameter(0, bytearray(METER_TITLE), EK, AK)
    _original("decryptAesGcm")(settings, p, GXByteBuffer(bytearray(_ciphered(GET_RESPONSE, 51))))
    assert capsys.readouterr().out == ""


def test_quiet_print_drops_lines_about_keys(caplog):
    caplog.set_level("DEBUG", logger="cas.dlms.gurux")
    gurux_fixes._gurux_print("Private signing key: 0011")
    gurux_fixes._gurux_print("Invalid HDLC Frame: 0x54")
    messages = [record.getMessage() for record in caplog.records]
    assert messages == ["gurux: Invalid HDLC Frame: 0x54"]


def test_random_plaintexts_round_trip():
    for _ in range(20):
        plaintext = os.urandom(random.randrange(0, 600))
        assert _decrypt(_ciphered(plaintext, random.randrange(2**32))) == plaintext


def test_common_getobjectcount_is_unchanged():
    # The decryption reads BER lengths with gurux's own helper: long form lengths work.
    bb = GXByteBuffer()
    _GXCommon.setObjectCount(300, bb)
    assert bytes(bb.array()) == b"\x82\x01\x2c"
