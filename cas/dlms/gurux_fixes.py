"""Every fix the project applies to gurux-dlms, in one place, for exactly one version.

gurux-dlms is used as a sans-IO codec by the session engine (client) and by the meter
simulator (server). Both share the ciphering classes, so these patches are process-wide and
keep server behaviour correct too. ``apply()`` is idempotent and refuses any other gurux-dlms
version: the replacements are written against 1.0.203's internals.

Fixes (each has a regression test in tests/dlms/test_gurux_fixes.py):

``aes_gcm``
    Defect: ``GXDLMSChippering.decryptAesGcm`` never verifies the GCM tag of an
    authenticated+encrypted APDU (its cipher stream is built in encrypt mode), so a wrong key
    or a flipped bit is accepted; its pure-Python AES also costs ~1 ms per APDU and blocks the
    event loop. Fix: encryption and decryption go through ``cryptography`` (cas.dlms.gcm), the
    tag is always verified, an unsupported ciphering (general-ciphering with key agreement,
    compression without a handler) is refused instead of half-parsed.

``replay_hook``
    Defect: gurux never checks that a peer's invocation counter increases (replay).
    Fix: after a tag verifies, the decryption calls ``settings.cas_on_ciphered_apdu(
    command, security_control, system_title, invocation_counter)`` when the owner of those
    settings installed one; the session engine uses it for the AARE's ciphered
    initiate-response (it checks the other ciphered APDUs itself).

``pending_error``
    Defect: ``_GXAPDU.parsePDU2`` catches every exception raised while parsing the AARE
    user-information and reports "permanently rejected, no reason given", hiding a bad GCM tag
    or a replay. Fix: a security failure is also stored on ``settings.cas_pending_error``; the
    session's error classification looks there first.

``quiet``
    Defect: gurux prints to stdout ("Encryption is applied.", "Invalid HDLC Frame ...",
    "Data length is ...", signing keys in the ECDSA path). Fix: ``print`` in every gurux
    module is rebound to a debug logger; lines that mention keys are dropped.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import logging
import pkgutil
import threading

from cas.dlms import gcm
from cas.dlms.errors import DlmsError, SecurityError

GURUX_VERSION = "1.0.203"
FIXES = ("aes_gcm", "replay_hook", "pending_error", "quiet")

logger = logging.getLogger("cas.dlms.gurux")

_lock = threading.Lock()
_applied = False
# The replaced gurux functions, kept for the benchmark (gurux's own AES) and for tests.
ORIGINALS: dict[str, object] = {}


def apply() -> None:
    """Patch gurux-dlms (idempotent). Raises RuntimeError for any other gurux-dlms version."""
    global _applied
    if _applied:  # the hot path: every session calls apply()
        return
    with _lock:
        if _applied:
            return
        check_version()
        _fix_aes_gcm()
        _fix_quiet()
        _applied = True


def check_version() -> None:
    installed = importlib.metadata.version("gurux-dlms")
    if installed != GURUX_VERSION:
        raise RuntimeError(
            f"cas.dlms.gurux_fixes is written for gurux-dlms {GURUX_VERSION}, "
            f"found {installed}: review every fix before changing the pin"
        )


def is_applied() -> bool:
    return _applied


# --- aes_gcm, replay_hook, pending_error ------------------------------------------------------


def _fix_aes_gcm() -> None:
    from gurux_dlms.GXDLMSChippering import GXDLMSChippering

    ORIGINALS["encryptAesGcm"] = GXDLMSChippering.__dict__["encryptAesGcm"]
    ORIGINALS["decryptAesGcm"] = GXDLMSChippering.__dict__["decryptAesGcm"]
    GXDLMSChippering.encryptAesGcm = classmethod(_encrypt_aes_gcm)
    GXDLMSChippering.decryptAesGcm = classmethod(_decrypt_aes_gcm)


def _encrypt_aes_gcm(cls, p, plainText):
    """Same contract as gurux's encryptAesGcm (AesGcmParameter in, bytes out), via cryptography."""
    from gurux_dlms.CountType import CountType
    from gurux_dlms.enums.Command import Command
    from gurux_dlms.GXByteBuffer import GXByteBuffer
    from gurux_dlms.internal._GXCommon import _GXCommon

    if isinstance(plainText, GXByteBuffer):
        plainText = plainText.array()
    plaintext = bytes(plainText or b"")
    p.countTag = None
    security_control = int(p.security) | int(p.securitySuite)
    if p.broadcast:
        security_control |= 0x40
    if p.compression:
        security_control |= 0x80
    security = int(p.security)
    if security not in (gcm.AUTHENTICATION, gcm.ENCRYPTION, gcm.AUTHENTICATED_ENCRYPTION):
        raise ValueError("security")
    payload, tag = gcm.seal(
        security_control,
        bytes(p.systemTitle),
        p.invocationCounter,
        bytes(p.blockCipherKey),
        bytes(p.authenticationKey or b""),
        plaintext,
    )
    packet = p.type_ == CountType.PACKET
    out = bytearray()
    if packet:
        out.append(security_control)
        out += p.invocationCounter.to_bytes(4, "big")
    if security == gcm.ENCRYPTION:
        out += payload
    else:
        if p.type_ & CountType.DATA:
            out += payload
        if p.type_ & CountType.TAG:
            p.countTag = bytearray(tag)
            out += tag
    if not packet:
        return out
    framed = GXByteBuffer(10 + len(out))
    framed.setUInt8(p.tag)
    if p.tag in (
        Command.GENERAL_GLO_CIPHERING,
        Command.GENERAL_DED_CIPHERING,
        Command.DATA_NOTIFICATION,
    ):
        if not p.ignoreSystemTitle:
            _GXCommon.setObjectCount(len(p.systemTitle), framed)
            framed.set(p.systemTitle)
        else:
            framed.setUInt8(0)
    _GXCommon.setObjectCount(len(out), framed)
    framed.set(out)
    return framed.array()


_SERVICE_SPECIFIC = None


def _service_specific_commands():
    global _SERVICE_SPECIFIC
    if _SERVICE_SPECIFIC is None:
        from gurux_dlms.enums.Command import Command

        _SERVICE_SPECIFIC = frozenset(
            int(getattr(Command, name))
            for name in dir(Command)
            if name.startswith(("GLO_", "DED_")) and isinstance(getattr(Command, name), int)
        )
    return _SERVICE_SPECIFIC


def _decrypt_aes_gcm(cls, settings, p, data):
    """Parse a ciphered APDU from ``data`` (a GXByteBuffer), verify its tag, return plaintext."""
    try:
        return _decrypt_verified(settings, p, data)
    except DlmsError as exc:
        if settings is not None:
            settings.cas_pending_error = exc
        raise


def _decrypt_verified(settings, p, data):
    from gurux_dlms.enums.Command import Command
    from gurux_dlms.enums.CryptoKeyType import CryptoKeyType
    from gurux_dlms.enums.Security import Security
    from gurux_dlms.GXCryptoKeyParameter import GXCryptoKeyParameter
    from gurux_dlms.internal._GXCommon import _GXCommon
    from gurux_dlms.objects.enums.SecuritySuite import SecuritySuite

    if not data or len(data) - data.position < 2:
        raise ValueError("cryptedData")
    command = data.getUInt8()
    if command in (Command.GENERAL_GLO_CIPHERING, Command.GENERAL_DED_CIPHERING):
        length = _GXCommon.getObjectCount(data)
        if length != 0:
            title = bytearray(length)
            data.get(title)
            p.systemTitle = title
    elif command == Command.GENERAL_CIPHERING:
        # Suite 1/2 key agreement: gurux's parser for it is incomplete; refuse, never guess.
        raise SecurityError("general-ciphering (key agreement) is not supported")
    elif command not in _service_specific_commands():
        raise ValueError("cryptedData")
    length = _GXCommon.getObjectCount(data)
    if length > len(data) - data.position:
        raise ValueError("Not enough data.")
    content = bytes(data._data[data.position : data.position + length])
    data.position += length
    p.cipheredContent = bytearray(content)
    security_control, invocation_counter, payload, tag = gcm.split_content(content)
    p.security = Security(security_control & 0x30)
    p.securitySuite = SecuritySuite(security_control & 0x03)
    p.invocationCounter = invocation_counter
    if security_control & 0x80:
        raise SecurityError("compressed ciphered APDUs are not supported")
    if p.securitySuite != SecuritySuite.SUITE_0:
        raise SecurityError(f"security suite {int(p.securitySuite)} is not supported")
    block_cipher_key = p.blockCipherKey
    if security_control & 0x40:
        p.broadcast = True
        cipher = getattr(settings, "cipher", None)
        block_cipher_key = getattr(cipher, "broadcastBlockCipherKey", None)
        if not block_cipher_key:
            raise SecurityError("broadcast-ciphered APDU without a broadcast key")
    if p.security == Security.NONE:
        raise SecurityError("ciphered APDU with no protection in its security control")
    if not p.authenticationKey or not block_cipher_key:
        args = GXCryptoKeyParameter()
        args.invocationCounter = invocation_counter
        args.systemTitle = p.systemTitle
        args.securitySuite = p.securitySuite
        if not block_cipher_key:
            args.keyType |= CryptoKeyType.BLOCK_CIPHER
        if not p.authenticationKey:
            args.keyType |= CryptoKeyType.AUTHENTICATION
        settings.getKey2(args)
        block_cipher_key = block_cipher_key or args.blockCipherKey
        p.authenticationKey = p.authenticationKey or args.authenticationKey
    if not p.systemTitle or len(p.systemTitle) != 8:
        raise SecurityError("ciphered APDU without a usable sender system title")
    try:
        plaintext = gcm.open_(
            security_control,
            bytes(p.systemTitle),
            invocation_counter,
            bytes(block_cipher_key),
            bytes(p.authenticationKey or b""),
            payload,
            tag,
        )
    except gcm.TagMismatch:
        raise SecurityError("GCM tag does not verify (wrong key or tampered APDU)") from None
    hook = getattr(settings, "cas_on_ciphered_apdu", None)
    if hook is not None:
        hook(int(command), security_control, bytes(p.systemTitle), invocation_counter)
    return bytearray(plaintext)


# --- quiet ------------------------------------------------------------------------------------


def _gurux_print(*args, **kwargs) -> None:
    text = " ".join(str(arg) for arg in args)
    if "key" in text.lower():
        return  # gurux prints signing keys in its ECDSA path: never log those
    logger.debug("gurux: %s", text[:200])


def _fix_quiet() -> None:
    import gurux_dlms

    for info in pkgutil.walk_packages(gurux_dlms.__path__, "gurux_dlms."):
        try:
            module = importlib.import_module(info.name)
        except Exception:  # pragma: no cover - a gurux module that cannot even import
            logger.debug("gurux module %s does not import", info.name)
            continue
        module.print = _gurux_print  # shadows the builtin inside that module only
    gurux_dlms.print = _gurux_print


__all__ = ["FIXES", "GURUX_VERSION", "ORIGINALS", "apply", "is_applied"]
