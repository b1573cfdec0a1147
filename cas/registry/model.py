"""What the gateway knows about one meter: where it is, how to talk to it, its keys."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Transport(enum.StrEnum):
    WRAPPER = "wrapper"  # IEC 62056-47 IP wrapper over TCP
    HDLC = "hdlc"  # IEC 62056-46 HDLC frames over TCP


class Authentication(enum.StrEnum):
    NONE = "none"
    LOW = "low"  # password
    HLS_GMAC = "hls-gmac"  # high-level security, mechanism 5 (GMAC), security suite 0


class SecurityPolicy(enum.StrEnum):
    """Protection applied to xDLMS APDUs once associated (security suite 0, AES-GCM-128)."""

    NONE = "none"
    AUTHENTICATED = "authenticated"
    ENCRYPTED = "encrypted"
    AUTHENTICATED_ENCRYPTED = "authenticated-encrypted"


class Secret:
    """Key material or a password. Its repr and str never show the value."""

    __slots__ = ("_value",)

    def __init__(self, value: bytes) -> None:
        self._value = bytes(value)

    def reveal(self) -> bytes:
        return self._value

    def __repr__(self) -> str:
        return "Secret(***)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __len__(self) -> int:
        return len(self._value)


@dataclass(frozen=True, slots=True)
class MeterKeys:
    """Suite 0 keys: the global unicast encryption key (EK) and the authentication key (AK)."""

    block_cipher_key: Secret | None = None
    authentication_key: Secret | None = None


@dataclass(frozen=True, slots=True)
class Meter:
    """One DLMS/COSEM server (a meter) as the registry describes it."""

    system_title: str  # 16 upper-case hex characters: the canonical name of the meter
    host: str
    port: int
    device_id: str | None = None
    transport: Transport = Transport.WRAPPER
    client_address: int = 16
    server_address: int = 1  # logical device address (wrapper) / upper HDLC address
    physical_address: int | None = None  # lower HDLC address, HDLC only
    authentication: Authentication = Authentication.NONE
    security: SecurityPolicy = SecurityPolicy.NONE
    password: Secret | None = field(default=None, repr=False)
    keys: MeterKeys = field(default_factory=MeterKeys, repr=False)
    inactivity_timeout: float = 120.0  # seconds the meter keeps an idle association open
    response_timeout: float = 5.0  # seconds to wait for one answer
    network_segment: str = "default"
    meter_type: str | None = None
    max_pdu_size: int = 1024

    @property
    def system_title_bytes(self) -> bytes:
        return bytes.fromhex(self.system_title)
