"""Read and write the registry YAML file.

The file is a mapping with one key, ``meters``, holding a list of entries::

    meters:
      - system_title: 4753580000000001
        device_id: SIM-0001
        host: 127.0.0.1
        port: 4061
        transport: wrapper            # wrapper | hdlc
        client_address: 1
        server_address: 1
        physical_address: 17          # HDLC only
        authentication: hls-gmac      # none | low | hls-gmac
        security: authenticated-encrypted
        password: "..."               # low only
        keys: {block_cipher_key: <32 hex>, authentication_key: <32 hex>}
        inactivity_timeout: 120
        response_timeout: 5
        network_segment: default
        meter_type: SIM-E1
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from cas.registry.errors import RegistryError
from cas.registry.model import (
    Authentication,
    Meter,
    MeterKeys,
    Secret,
    SecurityPolicy,
    Transport,
)

_HEX16 = re.compile(r"^[0-9A-Fa-f]{16}$")
_HEX32 = re.compile(r"^[0-9A-Fa-f]{32}$")
_FIELDS = {
    "system_title",
    "device_id",
    "host",
    "port",
    "transport",
    "client_address",
    "server_address",
    "physical_address",
    "authentication",
    "security",
    "password",
    "keys",
    "inactivity_timeout",
    "response_timeout",
    "network_segment",
    "meter_type",
    "max_pdu_size",
}


def meter_from_mapping(entry: Mapping[str, Any], where: str = "meter") -> Meter:
    """Validate one registry entry; errors name the entry and the field."""
    if not isinstance(entry, Mapping):
        raise RegistryError(f"{where}: expected a mapping, got {type(entry).__name__}")
    unknown = set(entry) - _FIELDS
    if unknown:
        raise RegistryError(f"{where}: unknown field(s) {sorted(unknown)}")

    def need(name: str) -> Any:
        if entry.get(name) in (None, ""):
            raise RegistryError(f"{where}.{name}: required")
        return entry[name]

    title = str(need("system_title"))
    if not _HEX16.match(title):
        raise RegistryError(f"{where}.system_title: expected 16 hex characters, got {title!r}")
    try:
        transport = Transport(entry.get("transport", "wrapper"))
        authentication = Authentication(entry.get("authentication", "none"))
        default_policy = (
            "authenticated-encrypted" if authentication is Authentication.HLS_GMAC else "none"
        )
        security = SecurityPolicy(entry.get("security", default_policy))
    except ValueError as exc:
        raise RegistryError(f"{where}: {exc}") from None
    keys = _keys(entry.get("keys") or {}, f"{where}.keys")
    if security is not SecurityPolicy.NONE and (
        keys.block_cipher_key is None or keys.authentication_key is None
    ):
        raise RegistryError(f"{where}.keys: security {security} needs both keys")
    if authentication is Authentication.HLS_GMAC and security is SecurityPolicy.NONE:
        raise RegistryError(f"{where}.security: hls-gmac needs a security policy")
    password = entry.get("password")
    if authentication is Authentication.LOW and not password:
        raise RegistryError(f"{where}.password: required for authentication low")
    return Meter(
        system_title=title.upper(),
        device_id=str(entry["device_id"]) if entry.get("device_id") is not None else None,
        host=str(need("host")),
        port=_int(entry, "port", where, 1, 65535, required=True),
        transport=transport,
        client_address=_int(entry, "client_address", where, 0, 0x3FFF, default=16),
        server_address=_int(entry, "server_address", where, 0, 0x3FFF, default=1),
        physical_address=_int(entry, "physical_address", where, 0, 0x3FFF, default=None),
        authentication=authentication,
        security=security,
        password=Secret(str(password).encode()) if password else None,
        keys=keys,
        inactivity_timeout=_float(entry, "inactivity_timeout", where, 120.0),
        response_timeout=_float(entry, "response_timeout", where, 5.0),
        network_segment=str(entry.get("network_segment") or "default"),
        meter_type=str(entry["meter_type"]) if entry.get("meter_type") else None,
        max_pdu_size=_int(entry, "max_pdu_size", where, 64, 0xFFFF, default=1024),
    )


def meter_to_mapping(meter: Meter) -> dict[str, Any]:
    """The inverse of meter_from_mapping (secrets included: this writes the registry file)."""
    out: dict[str, Any] = {
        "system_title": meter.system_title,
        "host": meter.host,
        "port": meter.port,
        "transport": str(meter.transport),
        "client_address": meter.client_address,
        "server_address": meter.server_address,
        "authentication": str(meter.authentication),
        "security": str(meter.security),
        "inactivity_timeout": meter.inactivity_timeout,
        "response_timeout": meter.response_timeout,
        "network_segment": meter.network_segment,
        "max_pdu_size": meter.max_pdu_size,
    }
    if meter.device_id is not None:
        out["device_id"] = meter.device_id
    if meter.physical_address is not None:
        out["physical_address"] = meter.physical_address
    if meter.meter_type:
        out["meter_type"] = meter.meter_type
    if meter.password is not None:
        out["password"] = meter.password.reveal().decode()
    keys = {}
    if meter.keys.block_cipher_key is not None:
        keys["block_cipher_key"] = meter.keys.block_cipher_key.reveal().hex().upper()
    if meter.keys.authentication_key is not None:
        keys["authentication_key"] = meter.keys.authentication_key.reveal().hex().upper()
    if keys:
        out["keys"] = keys
    return out


def load_meters(path: str | os.PathLike[str]) -> list[Meter]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise RegistryError(f"cannot read registry {path}: {exc.strerror}") from None
    try:
        document = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise RegistryError(f"registry {path} is not valid YAML: {exc}") from None
    if not isinstance(document, Mapping) or not isinstance(document.get("meters", []), list):
        raise RegistryError(f"registry {path}: expected a mapping with a 'meters' list")
    return [
        meter_from_mapping(entry, f"meters[{index}]")
        for index, entry in enumerate(document.get("meters", []))
    ]


def save_meters(path: str | os.PathLike[str], meters: Iterable[Meter]) -> None:
    """Write atomically, readable by the owner only (the file holds keys)."""
    target = Path(path)
    document = {"meters": [meter_to_mapping(m) for m in meters]}
    fd, tmp = tempfile.mkstemp(dir=target.parent or ".", prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            yaml.safe_dump(document, handle, sort_keys=False)
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _keys(raw: Any, where: str) -> MeterKeys:
    if not isinstance(raw, Mapping):
        raise RegistryError(f"{where}: expected a mapping")
    unknown = set(raw) - {"block_cipher_key", "authentication_key"}
    if unknown:
        raise RegistryError(f"{where}: unknown key(s) {sorted(unknown)}")
    found: dict[str, Secret] = {}
    for name in ("block_cipher_key", "authentication_key"):
        value = raw.get(name)
        if value is None:
            continue
        if not _HEX32.match(str(value)):
            raise RegistryError(f"{where}.{name}: expected 32 hex characters")
        found[name] = Secret(bytes.fromhex(str(value)))
    return MeterKeys(**found)


def _int(
    entry: Mapping[str, Any],
    name: str,
    where: str,
    low: int,
    high: int,
    default: int | None = None,
    required: bool = False,
) -> Any:
    value = entry.get(name)
    if value is None:
        if required:
            raise RegistryError(f"{where}.{name}: required")
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise RegistryError(f"{where}.{name}: expected an integer in {low}..{high}, got {value!r}")
    return value


def _float(entry: Mapping[str, Any], name: str, where: str, default: float) -> float:
    value = entry.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise RegistryError(f"{where}.{name}: expected a positive number, got {value!r}")
    return float(value)
