"""DLMS security suite 0 (AES-GCM-128, 12-byte tag) on top of ``cryptography``.

The ciphered content of a glo-/ded-/general-glo-ciphering APDU is
``security-control (1) || invocation-counter (4) || payload || tag (12)``; the nonce is the
sender's system title (8) followed by the invocation counter (4). What is authenticated
depends on the security control byte (Green Book, security suite 0):

- 0x10 authentication only: tag over ``SC || AK || plaintext``, plaintext sent in clear;
- 0x20 encryption only: no tag (AES-CTR from J0+1);
- 0x30 authenticated encryption: tag over the ciphertext with ``SC || AK`` as AAD.
"""

from __future__ import annotations

import hmac

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

TAG_LENGTH = 12
AUTHENTICATION = 0x10
ENCRYPTION = 0x20
AUTHENTICATED_ENCRYPTION = 0x30
MAX_INVOCATION_COUNTER = 0xFFFFFFFF


class TagMismatch(Exception):
    """The GCM tag does not verify (wrong key, tampered ciphertext, tag or header)."""


def nonce(system_title: bytes, invocation_counter: int) -> bytes:
    if len(system_title) != 8:
        raise ValueError("a system title is 8 bytes")
    if not 0 <= invocation_counter <= MAX_INVOCATION_COUNTER:
        raise ValueError("invocation counter out of range")
    return bytes(system_title) + invocation_counter.to_bytes(4, "big")


def _check_key(key: bytes, what: str) -> bytes:
    key = bytes(key)
    if len(key) not in (16, 32):
        raise ValueError(f"{what} must be 16 or 32 bytes")
    return key


def _ctr(block_cipher_key: bytes, iv: bytes, data: bytes) -> bytes:
    # GCM's keystream starts at counter 2 (J0 = IV || 00000001 is used for the tag).
    ctr = Cipher(algorithms.AES(block_cipher_key), modes.CTR(iv + b"\x00\x00\x00\x02"))
    encryptor = ctr.encryptor()
    return encryptor.update(bytes(data)) + encryptor.finalize()


def authentication_tag(
    security_control: int,
    system_title: bytes,
    invocation_counter: int,
    block_cipher_key: bytes,
    authentication_key: bytes,
    plaintext: bytes,
) -> bytes:
    """The 12-byte GMAC of an authentication-only APDU (also HLS-GMAC pass 3/4)."""
    iv = nonce(system_title, invocation_counter)
    aad = bytes((security_control,)) + bytes(authentication_key) + bytes(plaintext)
    aesgcm = AESGCM(_check_key(block_cipher_key, "block cipher key"))
    return aesgcm.encrypt(iv, b"", aad)[:TAG_LENGTH]


def seal(
    security_control: int,
    system_title: bytes,
    invocation_counter: int,
    block_cipher_key: bytes,
    authentication_key: bytes,
    plaintext: bytes,
) -> tuple[bytes, bytes]:
    """Protect ``plaintext``: returns (payload, tag); tag is b"" for encryption only."""
    security = security_control & 0x30
    iv = nonce(system_title, invocation_counter)
    key = _check_key(block_cipher_key, "block cipher key")
    if security == AUTHENTICATION:
        tag = authentication_tag(
            security_control,
            system_title,
            invocation_counter,
            key,
            authentication_key,
            plaintext,
        )
        return bytes(plaintext), tag
    if security == ENCRYPTION:
        return _ctr(key, iv, plaintext), b""
    if security == AUTHENTICATED_ENCRYPTION:
        aad = bytes((security_control,)) + bytes(authentication_key)
        sealed = AESGCM(key).encrypt(iv, bytes(plaintext), aad)
        return sealed[:-16], sealed[-16 : -16 + TAG_LENGTH]
    raise ValueError(f"no protection in security control 0x{security_control:02X}")


def open_(
    security_control: int,
    system_title: bytes,
    invocation_counter: int,
    block_cipher_key: bytes,
    authentication_key: bytes,
    payload: bytes,
    tag: bytes,
) -> bytes:
    """Verify and decrypt. Raises TagMismatch unless the tag verifies (when there is one)."""
    security = security_control & 0x30
    iv = nonce(system_title, invocation_counter)
    key = _check_key(block_cipher_key, "block cipher key")
    if security == AUTHENTICATION:
        expected = authentication_tag(
            security_control, system_title, invocation_counter, key, authentication_key, payload
        )
        if not hmac.compare_digest(expected, bytes(tag)):
            raise TagMismatch("GCM tag does not verify")
        return bytes(payload)
    if security == ENCRYPTION:
        return _ctr(key, iv, payload)
    if security == AUTHENTICATED_ENCRYPTION:
        if len(tag) != TAG_LENGTH:
            raise TagMismatch("GCM tag has the wrong length")
        aad = bytes((security_control,)) + bytes(authentication_key)
        decryptor = Cipher(
            algorithms.AES(key), modes.GCM(iv, bytes(tag), min_tag_length=TAG_LENGTH)
        ).decryptor()
        decryptor.authenticate_additional_data(aad)
        plaintext = decryptor.update(bytes(payload))
        try:
            return plaintext + decryptor.finalize()
        except InvalidTag:
            raise TagMismatch("GCM tag does not verify") from None
    raise ValueError(f"no protection in security control 0x{security_control:02X}")


def split_content(content: bytes) -> tuple[int, int, bytes, bytes]:
    """``SC || IC || payload [|| tag]`` -> (security control, invocation counter, payload, tag)."""
    if len(content) < 5:
        raise ValueError("ciphered content shorter than its header")
    security_control = content[0]
    invocation_counter = int.from_bytes(content[1:5], "big")
    body = content[5:]
    if security_control & AUTHENTICATION:
        if len(body) < TAG_LENGTH:
            raise ValueError("ciphered content shorter than its tag")
        return security_control, invocation_counter, body[:-TAG_LENGTH], body[-TAG_LENGTH:]
    return security_control, invocation_counter, body, b""
