"""Make what real clients send match the schema before validating it.

Accepted variations (seen in a real CAS client, or allowed by cas-messages.md):

- children of RequestMessage, Header and Request in any order: put back in schema order
  (a stable sort; unknown children keep their place at the end, where the schema's
  extension wildcard is);
- the payload element (DeviceAccess, DeviceGroup, ResourceDirectory) in the mes or the dev
  namespace: renamed to mes, and any mes-namespaced descendant of it renamed to dev (the
  real client sends mes:DeviceGroup/mes:DeviceGroup/mes:DeviceReference);
- ``XDLMSDescriptor`` and ``ACSEDescriptor`` (the standard's names) renamed to
  ``CosemXDLMSDescriptor`` and ``CosemACSEDescriptor``;
- class-id / instance-id / attribute-id / method-id in the dev or mes namespace inside
  dev:cosem-object and the descriptors of a Resource: renamed to cos (the schema, like the
  real client, has dev:cosem-object/cos:class-id);
- an empty DevicesReferenceList (sent by the real client on get DeviceAccess without a
  device filter): removed, which means "no filter".

The COSEM APDUs (cos elements) are not walked into: they belong to the COSEM codec.
"""

from __future__ import annotations

from itertools import pairwise

from lxml import etree

from cas.messages.namespaces import COS, DEV, MES

PAYLOAD_NAMES = ("DeviceAccess", "DeviceGroup", "ResourceDirectory")


def _order(namespace: str, names: list[str]) -> dict[str, int]:
    return {f"{{{namespace}}}{name}": index for index, name in enumerate(names)}


MESSAGE_ORDER = _order(MES, ["Header", "Request", "Reply", "Payload"])
HEADER_ORDER = _order(
    MES,
    [
        "Verb",
        "Noun",
        "Revision",
        "ReplayDetection",
        "Context",
        "Timestamp",
        "Source",
        "AsyncReplyFlag",
        "ReplyAddress",
        "AckRequired",
        "User",
        "MessageID",
        "CorrelationID",
        "Comment",
        "Property",
    ],
)
REQUEST_ORDER = _order(MES, ["StartTime", "EndTime", "Option", "ID", "WithData", "LastValidData"])

_MES_PAYLOAD = {
    f"{{{ns}}}{name}": f"{{{MES}}}{name}" for ns in (MES, DEV) for name in PAYLOAD_NAMES
}
_ALIASES = {
    f"{{{ns}}}{old}": f"{{{DEV}}}{new}"
    for ns in (MES, DEV)
    for old, new in (
        ("XDLMSDescriptor", "CosemXDLMSDescriptor"),
        ("ACSEDescriptor", "CosemACSEDescriptor"),
    )
}
_OBJECT_HOLDERS = {
    f"{{{DEV}}}{name}"
    for name in ("cosem-object", "CosemAttributeDescriptor", "CosemMethodDescriptor")
}
_OBJECT_FIELDS = {
    f"{{{ns}}}{name}": f"{{{COS}}}{name}"
    for ns in (DEV, MES)
    for name in ("class-id", "instance-id", "attribute-id", "method-id")
}
_DEVICES_REFERENCE_LIST = f"{{{DEV}}}DevicesReferenceList"
_MES_PREFIX = f"{{{MES}}}"
_DEV_PREFIX = f"{{{DEV}}}"
_COS_PREFIX = f"{{{COS}}}"


def sort_children(parent: etree._Element, order: dict[str, int]) -> None:
    """Put the children of ``parent`` in schema order (stable; unknown ones last)."""
    children = list(parent)
    last = len(order)
    keys = [order.get(child.tag, last) for child in children]
    if all(a <= b for a, b in pairwise(keys)):
        return
    for _key, _index, child in sorted(zip(keys, range(len(keys)), children, strict=True)):
        parent.append(child)  # append moves the element: rebuilt in sorted order


def normalize_message(message: etree._Element) -> None:
    """Normalize a RequestMessage / ResponseMessage / EventMessage element in place."""
    sort_children(message, MESSAGE_ORDER)
    for child in message:
        tag = child.tag
        if tag == f"{_MES_PREFIX}Header":
            sort_children(child, HEADER_ORDER)
        elif tag == f"{_MES_PREFIX}Request":
            sort_children(child, REQUEST_ORDER)
        elif tag == f"{_MES_PREFIX}Payload":
            normalize_payload(child)


def normalize_payload(payload: etree._Element) -> None:
    for element in payload:
        renamed = _MES_PAYLOAD.get(element.tag)
        if renamed is not None:
            element.tag = renamed
            _normalize_payload_tree(element)


def _normalize_payload_tree(top: etree._Element) -> None:
    stack = list(top)
    while stack:
        element = stack.pop()
        tag = element.tag
        if not isinstance(tag, str):
            continue
        if tag.startswith(_COS_PREFIX):
            continue  # a COSEM APDU: not ours to touch
        if tag.startswith(_MES_PREFIX):
            tag = element.tag = _DEV_PREFIX + tag[len(_MES_PREFIX) :]
        alias = _ALIASES.get(tag)
        if alias is not None:
            tag = element.tag = alias
        if tag in _OBJECT_HOLDERS:
            for field in element:
                renamed = _OBJECT_FIELDS.get(field.tag)
                if renamed is not None:
                    field.tag = renamed
            continue
        if tag == _DEVICES_REFERENCE_LIST and len(element) == 0:
            element.getparent().remove(element)
            continue
        stack.extend(element)
