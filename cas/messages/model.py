"""What a parsed request gives the rest of the gateway: plain, typed, immutable values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from cas.messages.namespaces import SoapVersion

if TYPE_CHECKING:
    from lxml import etree

    from generated import device_access as dev
    from generated.message import RequestMessage

    Payload = dev.DeviceAccessType | dev.DeviceGroupListType | dev.ResourceDirectoryType

BYPASS_RETRY = "BypassRetry"
"""Header Property name: Value "true" asks the CAS not to retry transient failures."""

DEFAULT_PRIORITY = 4
"""DeviceAccess/Priority when the request has none (0..255, a higher value runs sooner)."""


@dataclass(frozen=True, slots=True)
class RequestHeader:
    """The Header of a request, once Verb, Noun, Timestamp and MessageID are known present."""

    verb: str
    noun: str
    message_id: str
    timestamp: datetime
    correlation_id: str | None = None
    reply_address: str | None = None
    async_reply_flag: bool = False
    ack_required: bool = False
    source: str | None = None
    revision: str | None = None
    context: str | None = None
    user_id: str | None = None
    organization: str | None = None
    comment: str | None = None
    properties: tuple[tuple[str, str | None], ...] = ()

    def property_value(self, name: str) -> str | None:
        """The Value of the first Header Property with this Name (None if absent)."""
        for prop_name, value in self.properties:
            if prop_name == name:
                return value
        return None

    @property
    def bypass_retry(self) -> bool:
        """Property BypassRetry = true/1: report transient failures at once, no retries."""
        value = self.property_value(BYPASS_RETRY)
        return value is not None and value.strip().lower() in ("true", "1")


@dataclass(frozen=True, slots=True)
class RequestParams:
    """The Request element (all empty when the request has none)."""

    start_time: datetime | None = None
    end_time: datetime | None = None
    ids: tuple[str, ...] = ()
    options: tuple[tuple[str, str | None], ...] = ()
    with_data: bool | None = None
    last_valid_data: bool | None = None

    @property
    def id(self) -> str | None:
        """The first Request/ID (the resource a change/get/delete/cancel is about)."""
        return self.ids[0] if self.ids else None

    def option(self, name: str) -> str | None:
        for option_name, value in self.options:
            if option_name == name:
                return value
        return None


@dataclass(frozen=True, slots=True)
class ParsedRequest:
    """A request that passed every check of the message layer.

    ``payload`` is the bound CAS payload (a DeviceAccess, DeviceGroup list or
    ResourceDirectory from ``generated``), or None. Payload elements of other namespaces
    (CIM profiles) are not bound here: they are in ``other_payload`` as lxml elements, already
    validated (lax) against the schemas the CAS knows.
    """

    soap_version: SoapVersion
    header: RequestHeader
    request: RequestParams
    payload: Payload | None
    other_payload: tuple[etree._Element, ...]
    message: RequestMessage
