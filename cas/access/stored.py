"""How DeviceAccess requests and their results are kept in the store: as XML.

A request is kept as the ``mes:DeviceAccess`` element it arrived as (re-bound when a worker
executes it); a result as its ``dev:CosemAccessResult`` element, ready to be returned. A GET
gets a request key (a digest of its APDU without the invoke id) so that a later request with
NotOlderThan can be answered from a stored result of the same GET on the same device.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib

from lxml import etree

from cas.cosem import CosemError, encode_apdu
from cas.messages.binding import bind, to_xml
from cas.messages.namespaces import DEV, PREFIXES
from cas.xmlbind import to_bytes
from cas.xmlbind.hardened import hardened_parser
from generated import cosem as cos
from generated import device_access as dev
from generated import message as mes

_RESULT_TAG = f"{{{DEV}}}CosemAccessResult"


def request_bytes(access: dev.DeviceAccessType) -> bytes:
    fields = {f.name: getattr(access, f.name) for f in dataclasses.fields(dev.DeviceAccessType)}
    return to_xml(mes.DeviceAccess(**fields))


@functools.lru_cache(maxsize=4096)
def request_from_bytes(data: bytes) -> dev.DeviceAccessType:
    """The stored request, bound again (cached: workers run a resource's request many times;
    callers must not modify it)."""
    return bind(etree.fromstring(data, hardened_parser()), mes.DeviceAccess)


def result_bytes(result: dev.CosemAccessResultType) -> bytes:
    """The result as a ``dev:CosemAccessResult`` element (ASCII: what etree.tostring gives
    for the element to_element builds, written without building it)."""
    return to_bytes(result, PREFIXES, tag=_RESULT_TAG, encoding="ASCII")


def result_from_bytes(data: bytes) -> dev.CosemAccessResultType:
    return bind(etree.fromstring(data, hardened_parser()), dev.CosemAccessResultType)


def request_key(access: dev.CosemAccessType) -> str | None:
    """Identifies a GET (same device, same key: same question) — None for anything else."""
    holder = access.cosem_access_descriptor
    descriptor = holder.choice if holder else None
    if not isinstance(descriptor, dev.CosemXdlmsdescriptorType):
        return None
    apdu = descriptor.choice
    if not isinstance(apdu, cos.GetRequest):
        return None
    try:
        encoded = bytearray(encode_apdu(apdu))
    except CosemError:
        return None
    encoded[2] = 0  # the invoke-id-and-priority octet does not change the question
    return "get:" + hashlib.sha256(encoded).hexdigest()[:32]


def access_kind(access: dev.CosemAccessType) -> str:
    """GET, SET, ACTION, TIMESYNC, UPGRADE or ACSE: what one access does."""
    holder = access.cosem_access_descriptor
    descriptor = holder.choice if holder else None
    if isinstance(descriptor, dev.CosemXdlmsdescriptorType):
        return {
            cos.GetRequest: "GET",
            cos.SetRequest: "SET",
            cos.ActionRequest: "ACTION",
        }.get(type(descriptor.choice), "GET")
    if isinstance(descriptor, dev.CosemTimeSyncType):
        return "TIMESYNC"
    if isinstance(descriptor, dev.CosemUpgradeType):
        return "UPGRADE"
    return "ACSE"


def is_write(access: dev.CosemAccessType) -> bool:
    """Changes the meter: repeating it after an interruption is not harmless."""
    return access_kind(access) in ("SET", "ACTION", "TIMESYNC", "UPGRADE")
