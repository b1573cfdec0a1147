"""Who a simulated meter is: system title, addresses and secrets, derived from a seed.

Everything is a pure function of ``(seed, index)`` so a fleet is the same on every run, and
different for every meter:

- system title: ``b"SIM"`` + 5-byte serial, serial = ``(seed % 1_000_000) * 1_000_000 +
  index + 1`` (so seed 1, meter 0 is ``53494D00000F4241``);
- keys and password: ``HMAC-SHA256(b"cas-simulator/<seed>", b"<title>/<purpose>")``,
  the first 16 bytes for the block cipher key (purpose ``ek``) and the authentication key
  (``ak``), 16 lower-case hex characters for the password (``pw``). ``wrong=True`` derives
  other secrets (purposes prefixed with ``wrong-``), for the ``wrong_keys`` fault.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

MANUFACTURER = b"SIM"
LOGICAL_DEVICE = 1  # server (logical device) address: the management logical device
HDLC_PHYSICAL_ADDRESS = 17  # lower HDLC address of every simulated meter


@dataclass(frozen=True, slots=True)
class Secrets:
    """A meter's password (low) and Suite 0 keys. repr never shows them."""

    password: bytes = field(repr=False)
    block_cipher_key: bytes = field(repr=False)
    authentication_key: bytes = field(repr=False)


def system_title(seed: int, index: int) -> str:
    serial = (seed % 1_000_000) * 1_000_000 + index + 1
    return (MANUFACTURER + serial.to_bytes(5, "big")).hex().upper()


def secrets_for(seed: int, title: str, wrong: bool = False) -> Secrets:
    def derive(purpose: str) -> bytes:
        if wrong:
            purpose = "wrong-" + purpose
        return hmac.new(
            f"cas-simulator/{seed}".encode(), f"{title}/{purpose}".encode(), hashlib.sha256
        ).digest()

    return Secrets(
        password=derive("pw")[:8].hex().encode("ascii"),
        block_cipher_key=derive("ek")[:16],
        authentication_key=derive("ak")[:16],
    )
