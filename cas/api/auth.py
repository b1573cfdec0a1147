"""Who may call the CAS: HTTP Basic users and API keys, from configuration.

Credentials come from an auth file (YAML: ``users: {name: password}``, ``api_keys: [...]``)
and/or the environment (``CAS_USERS="name:password,..."``, ``CAS_API_KEYS="k1,k2"``). An API
key is sent as ``X-API-Key: <key>`` or ``Authorization: Bearer <key>``. With nothing
configured the gateway accepts every request, and the server binds to localhost only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml


class AuthConfigError(ValueError):
    """The auth file or variables are malformed."""


def _digest(secret: str) -> bytes:
    # Compare fixed-size digests so comparison time does not depend on the secret's length.
    return hashlib.sha256(secret.encode()).digest()


@dataclass(frozen=True)
class ClientAuth:
    users: Mapping[str, bytes]  # name -> sha256(password)
    api_keys: frozenset[bytes]  # sha256(key)

    @property
    def configured(self) -> bool:
        return bool(self.users or self.api_keys)

    @classmethod
    def none(cls) -> ClientAuth:
        return cls({}, frozenset())

    @classmethod
    def build(cls, users: Mapping[str, str], api_keys: list[str]) -> ClientAuth:
        for name, password in users.items():
            if not name or ":" in name or not password:
                raise AuthConfigError("each user needs a name without ':' and a password")
        if any(not key for key in api_keys):
            raise AuthConfigError("empty API key")
        return cls(
            {name: _digest(password) for name, password in users.items()},
            frozenset(_digest(key) for key in api_keys),
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None, environ=os.environ) -> ClientAuth:
        users: dict[str, str] = {}
        keys: list[str] = []
        if path is not None:
            try:
                document = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
            except (OSError, yaml.YAMLError) as exc:
                raise AuthConfigError(f"cannot read auth file {path}: {exc}") from None
            if not isinstance(document, dict):
                raise AuthConfigError(f"auth file {path}: expected a mapping")
            raw_users = document.get("users") or {}
            raw_keys = document.get("api_keys") or []
            if not isinstance(raw_users, dict) or not isinstance(raw_keys, list):
                raise AuthConfigError(f"auth file {path}: users is a mapping, api_keys a list")
            users.update({str(k): str(v) for k, v in raw_users.items()})
            keys.extend(str(key) for key in raw_keys)
        for item in filter(None, environ.get("CAS_USERS", "").split(",")):
            name, _, password = item.partition(":")
            users[name.strip()] = password
        keys.extend(key.strip() for key in environ.get("CAS_API_KEYS", "").split(",") if key)
        return cls.build(users, keys)

    def allows(self, headers: Mapping[str, str]) -> bool:
        """True when the request carries valid credentials (or none are configured)."""
        if not self.configured:
            return True
        key = headers.get("x-api-key")
        authorization = headers.get("authorization", "")
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer":
            key = value.strip()
        if key is not None:
            digest = _digest(key)
            return any(hmac.compare_digest(digest, known) for known in self.api_keys)
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(value.strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return False
            name, _, password = decoded.partition(":")
            known = self.users.get(name)
            return known is not None and hmac.compare_digest(_digest(password), known)
        return False
